"""The sheet workflow (R8, R19): upload, validate (dry run), apply, report.

Views, the `sheet` command and the task are thin shells over these functions,
so the web and the CLI behave the same. One apply itself is `kleidi.sheets.runs`;
here a large sheet's apply is queued (`kleidi.sheets.tasks`) and a dead one noticed.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi import worker
from kleidi.audit.services import record
from kleidi.review.services import NewItem, file_items
from kleidi.sheets.models import APPLICABLE, SheetState, SheetUpload
from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.runs import (
    apply_upload,
    check_scope,
    interrupt,
    interrupt_dead_apply,
    refusal,
    sheet_error_result,
    store_result,
)
from kleidi.sheets.tasks import apply_sheet
from kleidi.sheets.validation import Result, validate
from kleidi.sheets.validation.queue import REASON, SOURCE


def validate_content(content: bytes, *, school, kind: str, today=None) -> Result:
    """Read and validate; a sheet-level problem becomes the result's only error."""
    try:
        table = read_sheet(content)
    except SheetError as exc:
        return sheet_error_result(kind, exc)
    return validate(table, school=school, kind=kind, today=today)


def validate_file(
    content: bytes, *, school, kind: str, actor=None, client_ip=None, filename: str = ""
) -> Result:
    """R19's dry run without keeping the file (the CLI's `validate`): only an audit event."""
    result = validate_content(content, school=school, kind=kind)
    record(
        "sheet.validated",
        actor=actor,
        client_ip=client_ip,
        school=school,
        details=_summary(result, filename=filename, sha256=hashlib.sha256(content).hexdigest()),
    )
    return result


def _summary(result: Result, **extra) -> dict:
    return {
        **extra,
        "kind": result.kind,
        "rows": result.rows,
        "errors": len(result.errors),
        "codes": result.summary(),
        "actions": result.actions(),
    }


@transaction.atomic
def upload_sheet(
    *, content: bytes, filename: str, school, kind: str, actor, client_ip=None
) -> SheetUpload:
    """Keep the upload and validate it (R8, R19). The upload is audited, then the dry run."""
    check_scope(actor, school)
    upload = SheetUpload.objects.create(
        school=school,
        kind=kind,
        filename=(filename or "sheet")[: SheetUpload._meta.get_field("filename").max_length],
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        state=SheetState.INVALID,
    )
    record(
        "sheet.uploaded",
        actor=actor,
        client_ip=client_ip,
        target=upload,
        school=school,
        details={"filename": upload.filename, "size": upload.size, "sha256": upload.sha256},
    )
    validate_upload(upload, actor=actor, client_ip=client_ip)
    return upload


def validate_upload(upload: SheetUpload, *, actor, client_ip=None) -> Result:
    result = validate_content(bytes(upload.content), school=upload.school, kind=upload.kind)
    store_result(
        upload,
        result,
        SheetState.VALID if result.ok else SheetState.INVALID,
        validated_at=timezone.now(),
    )
    record(
        "sheet.validated",
        actor=actor,
        client_ip=client_ip,
        target=upload,
        school=upload.school,
        details=_summary(result),
    )
    _file_for_review(upload, result, actor=actor, client_ip=client_ip)
    return result


def _file_for_review(upload: SheetUpload, result: Result, *, actor, client_ip) -> None:
    """R16: rows that may be an existing person go to the helpdesk's review queue."""
    seen_in = {"upload": str(upload.pk), "filename": upload.filename}
    file_items(
        [
            NewItem(
                source=SOURCE,
                reason=REASON,
                school=upload.school,
                key=entry["key"],
                record={**entry["record"], **seen_in},
                candidates=tuple(entry["candidates"]),
                fingerprint=entry["fingerprint"],
            )
            for entry in result.review
        ],
        actor=actor,
        client_ip=client_ip,
    )


def follow_review(item, *, person, actor, client_ip) -> dict:
    """The "sheet" source's approval (R16): the decision is recorded; the next validation
    of a sheet with the row follows it (kleidi.sheets.validation.queue), so nothing is
    written here."""
    if person is None:
        return {"decision": "create"}
    return {"decision": "link", "person": person.pk}


def recover_stale(upload: SheetUpload) -> bool:
    """Never stuck (R19): if the upload's apply died, mark it interrupted; True if it did.

    Called lazily wherever an upload is shown or applied, and by `kleidi sheet
    recover` from a timer. The apply's transaction was rolled back with its
    process, so "interrupted" means nothing was changed and it may be applied
    again. An upload queued behind a task that ended without applying it is
    interrupted too.
    """
    if upload.state == SheetState.QUEUED:
        return _queued_task_ended(upload) and interrupt(upload, {}, state=SheetState.QUEUED)
    return interrupt_dead_apply(upload)


def _queued_task_ended(upload: SheetUpload) -> bool:
    from django.tasks.exceptions import TaskResultDoesNotExist

    if not upload.task_id or not apply_sheet.get_backend().supports_get_result:
        return False
    try:
        task_result = apply_sheet.get_result(upload.task_id)
    except TaskResultDoesNotExist:
        return True
    return task_result.is_finished


def recover_stale_uploads() -> list[SheetUpload]:
    """The sweep (`kleidi sheet recover`): every stale upload, marked interrupted.

    The task rows of killed apply workers, which django-tasks-db leaves
    RUNNING for ever, are marked failed first and never run again: an
    interrupted sheet is applied again only when someone presses Apply.
    """
    worker.fail_orphans(apply_sheet.module_path)
    recovered = []
    waiting = SheetUpload.objects.filter(
        state__in=(SheetState.QUEUED, SheetState.APPLYING)
    ).select_related("school", "uploaded_by__person")
    for upload in waiting.defer("content", "result"):
        if recover_stale(upload):
            recovered.append(upload)
    return recovered


def request_apply(upload: SheetUpload, *, actor, client_ip=None) -> Result | None:
    """Apply now, or queue a task for a large sheet (returns None when queued).

    `upload` may have been loaded before the click: the state that decides is
    read again under the row's lock (issue 12 §6), so a large sheet applied
    meanwhile (another tab, a second click) takes the repeat path
    (`sheet.apply_repeated`, nothing done), not the queue.
    """
    check_scope(actor, upload.school)
    recover_stale(upload)
    if upload.is_running:
        # Refused before any write: on SQLite a running apply holds the write lock.
        return refusal(upload)
    if upload.rows <= settings.SHEET_TASK_THRESHOLD_ROWS:
        # runs.apply_upload reads the state under the row lock itself.
        return apply_upload(upload, actor=actor, client_ip=client_ip)
    with transaction.atomic():
        current = (
            SheetUpload.objects.select_for_update()
            .filter(pk=upload.pk)
            .values("state", "error_count")
            .get()
        )
        if current["state"] != SheetState.APPLIED:
            return _queue(upload, current, actor=actor, client_ip=client_ip)
    # An applied upload is not applied again, whatever its size: apply_upload's
    # repeat path records the attempt and changes nothing (runs._repeat).
    return apply_upload(upload, actor=actor, client_ip=client_ip)


def _queue(upload: SheetUpload, current: dict, *, actor, client_ip) -> Result | None:
    """Within request_apply's transaction, the row locked: queue the task (None), or refuse."""
    if current["state"] not in APPLICABLE or current["error_count"]:
        return refusal(upload)
    SheetUpload.objects.filter(pk=upload.pk).update(
        state=SheetState.QUEUED, progress_done=0, progress_total=upload.rows, task_id=""
    )
    upload.state = SheetState.QUEUED
    upload.progress_done = 0
    upload.progress_total = upload.rows
    record(
        "sheet.apply_queued",
        actor=actor,
        client_ip=client_ip,
        target=upload,
        school=upload.school,
    )

    def enqueue():
        task_result = apply_sheet.enqueue(str(upload.pk), actor.pk, client_ip)
        SheetUpload.objects.filter(pk=upload.pk).update(
            task_id=str(task_result.id)[: SheetUpload._meta.get_field("task_id").max_length]
        )

    transaction.on_commit(enqueue)
    return None
