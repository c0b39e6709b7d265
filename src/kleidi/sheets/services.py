"""The sheet workflow (R8, R19): upload, validate (dry run), apply, report.

Views, the `sheet` command and the task are thin shells over these functions,
so the web and the CLI behave the same.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from kleidi import worker
from kleidi.accounts.selectors import can_act_for_school
from kleidi.audit.services import record
from kleidi.errors import error
from kleidi.notifications.services import queue_message
from kleidi.sheets import claims
from kleidi.sheets.apply import apply_table
from kleidi.sheets.models import APPLICABLE, SheetState, SheetUpload
from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.validation import Result, error_entry, validate

logger = logging.getLogger(__name__)


def check_scope(actor, school) -> None:
    """R8: a secretariat for its own school, the helpdesk for any."""
    if actor is None or not can_act_for_school(actor, school):
        raise error("permission.school")


def sheet_error_result(kind: str, exc: SheetError) -> Result:
    result = Result(kind=kind)
    result.errors.append(error_entry(None, None, exc.code, exc.params))
    return result


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


def _store(upload: SheetUpload, result: Result, state: str, **fields) -> None:
    upload.result = result.as_dict()
    upload.rows = result.rows
    upload.error_count = len(result.errors)
    upload.state = state
    for name, value in fields.items():
        setattr(upload, name, value)
    if upload._state.adding:
        upload.save()
        return
    # The file itself never changes: never write it again.
    upload.save(update_fields=["result", "rows", "error_count", "state", *fields])


def validate_upload(upload: SheetUpload, *, actor, client_ip=None) -> Result:
    result = validate_content(bytes(upload.content), school=upload.school, kind=upload.kind)
    _store(
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
    return result


class ProgressWriter:
    """Publishes an apply's progress while its transaction is still open.

    On PostgreSQL a second connection writes it (autocommit), so the progress
    page sees it at once; SQLite allows one writer, so there the page sees the
    validation step and then the end.
    """

    def __init__(self, upload: SheetUpload):
        self.upload_id = upload.pk
        self.side = None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection("default")

    def __call__(self, done: int, total: int) -> None:
        if self.side is None:
            return
        table = SheetUpload._meta.db_table
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress_done = %s, progress_total = %s WHERE id = %s",  # noqa: S608
                [done, total, self.upload_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def apply_upload(
    upload: SheetUpload, *, actor, client_ip=None, progress=None, queued: bool = False
) -> Result:
    """R19: apply an error-free upload in one transaction; a failure leaves nothing behind.

    The upload is claimed first (committed, so a killed apply is recognised
    afterwards, `recover_stale`); the transaction re-checks the claim, applies
    and marks the upload applied, all or nothing. `queued`: the worker's call,
    which applies only an upload still waiting in the queue.
    """
    check_scope(actor, upload.school)
    if upload.error_count:
        result = Result(kind=upload.kind)
        result.errors.append(error_entry(None, None, "sheet.not_clean"))
        return result
    attempt = _claim(upload, (SheetState.QUEUED,) if queued else APPLICABLE, actor, client_ip)
    if attempt is None:
        return _refusal(upload)
    try:
        return _apply_claimed(upload, attempt, actor=actor, client_ip=client_ip, progress=progress)
    finally:
        claims.release_lock(upload.pk)


def _apply_claimed(upload: SheetUpload, attempt: str, *, actor, client_ip, progress) -> Result:
    try:
        table = read_sheet(bytes(upload.content))
    except SheetError as exc:
        result = sheet_error_result(upload.kind, exc)
        _store(upload, result, SheetState.INVALID, apply_attempt="", apply_claim={})
        return result
    try:
        with transaction.atomic():
            if not _still_claimed(upload, attempt):
                # Declared interrupted meanwhile (kleidi.sheets.claims): stand down.
                upload.refresh_from_db()
                result = Result(kind=upload.kind, rows=upload.rows)
                result.errors.append(error_entry(None, None, "sheet.apply_interrupted"))
                return result
            result = apply_table(
                table,
                school=upload.school,
                kind=upload.kind,
                actor=actor,
                client_ip=client_ip,
                sheet_id=str(upload.pk),
                progress=progress,
            )
            if result.ok:
                # In the same transaction: "applied" is true exactly when the rows are.
                _store(
                    upload,
                    result,
                    SheetState.APPLIED,
                    applied_by=actor,
                    applied_at=timezone.now(),
                    changes=result.changes(),
                    progress_done=result.rows,
                    progress_total=result.rows,
                    apply_attempt="",
                    apply_claim={},
                )
            else:
                # The database changed since the dry run: the new errors are shown.
                _store(
                    upload,
                    result,
                    SheetState.INVALID,
                    validated_at=timezone.now(),
                    apply_attempt="",
                    apply_claim={},
                )
            return result
    except Exception:
        logger.exception("applying sheet %s failed", upload.pk)
        result = Result(kind=upload.kind, rows=upload.rows)
        result.errors.append(error_entry(None, None, "sheet.apply_failed"))
        SheetUpload.objects.filter(pk=upload.pk, apply_attempt=attempt).update(
            state=SheetState.FAILED, progress_done=0, apply_attempt="", apply_claim={}
        )
        upload.state = SheetState.FAILED
        upload.progress_done = 0
        record(
            "sheet.apply_failed",
            actor=actor,
            client_ip=client_ip,
            target=upload,
            school=upload.school,
        )
        return result


def _still_claimed(upload: SheetUpload, attempt: str) -> bool:
    """Inside the apply's transaction: is the claim still this attempt's?"""
    return SheetUpload.objects.filter(
        pk=upload.pk, state=SheetState.APPLYING, apply_attempt=attempt
    ).exists()


def _claim(upload: SheetUpload, states, actor, client_ip) -> str | None:
    """Commit this process's claim on the upload; its attempt id, or None if busy.

    On PostgreSQL the upload's session lock is taken first and kept until the
    apply ends: holding it, any "applying" claim found is a dead one.
    """
    if not claims.take_lock(upload.pk):
        return None
    try:
        current = SheetUpload.objects.filter(pk=upload.pk).values("state", "apply_claim").get()
        if current["state"] == SheetState.APPLYING:
            dead = connection.vendor == "postgresql" or claims.is_stale(
                upload.pk, current["apply_claim"]
            )
            if not dead or not _interrupt(upload, current["apply_claim"]):
                claims.release_lock(upload.pk)
                return None
        claim = claims.new_claim()
        with transaction.atomic():
            claimed = SheetUpload.objects.filter(
                pk=upload.pk, state__in=states, error_count=0
            ).update(
                state=SheetState.APPLYING,
                apply_attempt=claim["attempt"],
                apply_claim=claim,
                progress_done=0,
                progress_total=upload.rows,
            )
            if claimed:
                record(
                    "sheet.apply_started",
                    actor=actor,
                    client_ip=client_ip,
                    target=upload,
                    school=upload.school,
                    details=_claim_details(claim),
                )
    except BaseException:
        claims.release_lock(upload.pk)
        raise
    if not claimed:
        claims.release_lock(upload.pk)
        return None
    upload.state = SheetState.APPLYING
    upload.apply_attempt = claim["attempt"]
    upload.apply_claim = claim
    return claim["attempt"]


def _claim_details(claim: dict) -> dict:
    return {k: claim.get(k) for k in ("host", "pid", "at")}


def _refusal(upload: SheetUpload) -> Result:
    """Why an apply did not start: another one is running, or the sheet is not applicable."""
    upload.refresh_from_db(fields=["state", "error_count"])
    result = Result(kind=upload.kind, rows=upload.rows)
    code = "sheet.not_clean" if upload.error_count else "sheet.apply_running"
    result.errors.append(error_entry(None, None, code))
    return result


def recover_stale(upload: SheetUpload) -> bool:
    """Never stuck (R19): if the upload's apply died, mark it interrupted; True if it did.

    Called lazily wherever an upload is shown or applied, and by `kleidi sheet
    recover` from a timer. The apply's transaction was rolled back with its
    process, so "interrupted" means nothing was changed and it may be applied
    again. An upload queued behind a task that ended without applying it is
    interrupted too.
    """
    if upload.state == SheetState.QUEUED:
        return _queued_task_ended(upload) and _interrupt(upload, {}, state=SheetState.QUEUED)
    if upload.state != SheetState.APPLYING:
        return False
    if not claims.is_stale(upload.pk, upload.apply_claim):
        return False
    return _interrupt(upload, upload.apply_claim)


def _queued_task_ended(upload: SheetUpload) -> bool:
    from django.tasks.exceptions import TaskResultDoesNotExist

    from kleidi.sheets.tasks import apply_sheet

    if not upload.task_id or not apply_sheet.get_backend().supports_get_result:
        return False
    try:
        task_result = apply_sheet.get_result(upload.task_id)
    except TaskResultDoesNotExist:
        return True
    return task_result.is_finished


def _interrupt(upload: SheetUpload, claim: dict, state: str = SheetState.APPLYING) -> bool:
    """Mark a dead apply interrupted (once: the update is conditional); audit; mail the uploader."""
    try:
        with transaction.atomic():
            changed = SheetUpload.objects.filter(
                pk=upload.pk, state=state, apply_attempt=claim.get("attempt", "")
            ).update(
                state=SheetState.INTERRUPTED, progress_done=0, apply_attempt="", apply_claim={}
            )
            if not changed:
                return False
            upload.state = SheetState.INTERRUPTED
            upload.progress_done = 0
            upload.apply_attempt = ""
            upload.apply_claim = {}
            record(
                "sheet.apply_interrupted",
                target=upload,
                school=upload.school,
                details=_claim_details(claim),
            )
            notify_done(upload)
    except OperationalError:
        # SQLite: the write lock is still held after the lease, by the apply itself.
        return False
    return True


def recover_stale_uploads() -> list[SheetUpload]:
    """The sweep (`kleidi sheet recover`): every stale upload, marked interrupted.

    The task rows of killed apply workers, which django-tasks-db leaves
    RUNNING for ever, are marked failed first and never run again: an
    interrupted sheet is applied again only when someone presses Apply.
    """
    from kleidi.sheets.tasks import apply_sheet

    worker.fail_orphans(apply_sheet.module_path)
    recovered = []
    waiting = SheetUpload.objects.filter(
        state__in=(SheetState.QUEUED, SheetState.APPLYING)
    ).select_related("school", "uploaded_by__person")
    for upload in waiting.defer("content", "result"):
        if recover_stale(upload):
            recovered.append(upload)
    return recovered


def notify_done(upload: SheetUpload) -> None:
    """Mail the uploader that the sheet is done (staff without an email are not mailed)."""
    to = upload.uploaded_by.email
    if not to:
        return
    with transaction.atomic():
        queue_message(
            "sheet_done",
            to=to,
            account=upload.uploaded_by,
            context={
                "upload": upload,
                "applied": upload.state == SheetState.APPLIED,
                "url": settings.BASE_URL.rstrip("/")
                + reverse("sheets:detail", kwargs={"pk": upload.pk}),
            },
        )


def request_apply(upload: SheetUpload, *, actor, client_ip=None) -> Result | None:
    """Apply now, or queue a task for a large sheet (returns None when queued)."""
    check_scope(actor, upload.school)
    recover_stale(upload)
    if upload.is_running:
        # Refused before any write: on SQLite a running apply holds the write lock.
        return _refusal(upload)
    if upload.rows <= settings.SHEET_TASK_THRESHOLD_ROWS:
        return apply_upload(upload, actor=actor, client_ip=client_ip)
    from kleidi.sheets.tasks import apply_sheet

    with transaction.atomic():
        queued = SheetUpload.objects.filter(
            pk=upload.pk, state__in=APPLICABLE, error_count=0
        ).update(state=SheetState.QUEUED, progress_done=0, progress_total=upload.rows, task_id="")
        if not queued:
            return _refusal(upload)
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
