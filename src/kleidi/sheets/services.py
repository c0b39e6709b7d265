"""The sheet workflow (R8, R19): upload, validate (dry run), apply, report.

Views, the `sheet` command and the task are thin shells over these functions,
so the web and the CLI behave the same.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from kleidi.accounts.selectors import can_act_for_school
from kleidi.audit.services import record
from kleidi.errors import error
from kleidi.sheets.apply import apply_table
from kleidi.sheets.models import SheetState, SheetUpload
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
        filename=(filename or "sheet")[:255],
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


def apply_upload(upload: SheetUpload, *, actor, client_ip=None, progress=None) -> Result:
    """R19: apply an error-free upload in one transaction; a failure leaves nothing behind."""
    check_scope(actor, upload.school)
    if upload.error_count:
        result = Result(kind=upload.kind)
        result.errors.append(error_entry(None, None, "sheet.not_clean"))
        return result
    try:
        table = read_sheet(bytes(upload.content))
    except SheetError as exc:
        result = sheet_error_result(upload.kind, exc)
        _store(upload, result, SheetState.INVALID)
        return result
    try:
        result = apply_table(
            table,
            school=upload.school,
            kind=upload.kind,
            actor=actor,
            client_ip=client_ip,
            sheet_id=str(upload.pk),
            progress=progress,
        )
    except Exception:
        logger.exception("applying sheet %s failed", upload.pk)
        result = Result(kind=upload.kind, rows=upload.rows)
        result.errors.append(error_entry(None, None, "sheet.apply_failed"))
        upload.state = SheetState.FAILED
        upload.progress_done = 0
        upload.save(update_fields=["state", "progress_done"])
        record(
            "sheet.apply_failed",
            actor=actor,
            client_ip=client_ip,
            target=upload,
            school=upload.school,
        )
        return result
    if not result.ok:
        # The database changed since the dry run: the new errors are shown.
        _store(upload, result, SheetState.INVALID, validated_at=timezone.now())
        return result
    _store(
        upload,
        result,
        SheetState.APPLIED,
        applied_by=actor,
        applied_at=timezone.now(),
        changes=result.changes(),
        progress_done=result.rows,
        progress_total=result.rows,
    )
    return result


def request_apply(upload: SheetUpload, *, actor, client_ip=None) -> Result | None:
    """Apply now, or queue a task for a large sheet (returns None when queued)."""
    check_scope(actor, upload.school)
    if upload.rows <= settings.SHEET_TASK_THRESHOLD_ROWS:
        return apply_upload(upload, actor=actor, client_ip=client_ip)
    from kleidi.sheets.tasks import apply_sheet

    upload.state = SheetState.QUEUED
    upload.progress_done = 0
    upload.progress_total = upload.rows
    upload.save(update_fields=["state", "progress_done", "progress_total"])
    record(
        "sheet.apply_queued",
        actor=actor,
        client_ip=client_ip,
        target=upload,
        school=upload.school,
    )

    def enqueue():
        task_result = apply_sheet.enqueue(str(upload.pk), actor.pk, client_ip)
        SheetUpload.objects.filter(pk=upload.pk).update(task_id=str(task_result.id)[:64])

    transaction.on_commit(enqueue)
    return None
