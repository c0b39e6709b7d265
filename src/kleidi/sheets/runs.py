"""One apply of an upload (R19): the claim, the transaction, the progress, the interruption.

The body of the background apply (`kleidi.sheets.tasks`) and of a small
sheet's apply from the page; `kleidi.sheets.services` queues the task and
notices dead applies. Nothing here knows of the task, so the three modules
import one way: services -> tasks -> runs.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from kleidi.accounts.selectors import can_act_for_school
from kleidi.audit.services import record
from kleidi.errors import error
from kleidi.notifications.services import queue_message
from kleidi.sheets import claims
from kleidi.sheets.apply import apply_table
from kleidi.sheets.models import APPLICABLE, SheetState, SheetUpload
from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.validation import UNCHANGED, Result, error_entry

logger = logging.getLogger(__name__)


def check_scope(actor, school) -> None:
    """R8: a secretariat for its own school, the helpdesk for any."""
    if actor is None or not can_act_for_school(actor, school):
        raise error("permission.school")


def sheet_error_result(kind: str, exc: SheetError) -> Result:
    result = Result(kind=kind)
    result.errors.append(error_entry(None, None, exc.code, exc.params))
    return result


def store_result(upload: SheetUpload, result: Result, state: str, **fields) -> None:
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
    afterwards, `interrupt_dead_apply`); the transaction re-checks the claim, applies
    and marks the upload applied, all or nothing. `queued`: the worker's call,
    which applies only an upload still waiting in the queue.
    """
    check_scope(actor, upload.school)
    if upload.error_count:
        result = Result(kind=upload.kind)
        result.errors.append(error_entry(None, None, "sheet.not_clean"))
        return result
    attempt = _claim(
        upload, (SheetState.QUEUED,) if queued else APPLICABLE, actor, client_ip, repeat=not queued
    )
    if isinstance(attempt, Result):
        return attempt
    if attempt is None:
        return refusal(upload)
    try:
        return _apply_claimed(upload, attempt, actor=actor, client_ip=client_ip, progress=progress)
    finally:
        claims.release_lock(upload.pk)


def _apply_claimed(upload: SheetUpload, attempt: str, *, actor, client_ip, progress) -> Result:
    try:
        table = read_sheet(bytes(upload.content))
    except SheetError as exc:
        result = sheet_error_result(upload.kind, exc)
        store_result(upload, result, SheetState.INVALID, apply_attempt="", apply_claim={})
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
                store_result(
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
                store_result(
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


def _claim(upload: SheetUpload, states, actor, client_ip, *, repeat: bool = False):
    """Commit this process's claim on the upload; its attempt id, or None if busy.

    On PostgreSQL the upload's session lock is taken first and kept until the
    apply ends: holding it, any "applying" claim found is a dead one. The claim
    itself is written under the upload's row lock (SELECT ... FOR UPDATE), so a
    double click or two tabs claim one after the other: exactly one applies.
    `repeat`: an upload found applied gives `repeat`'s Result (nothing is done).

    The lock is given back in one place, the `finally` below, on every way out
    but a claim (apply_upload releases that one when the apply ends): a lock
    given back twice would be a warning at best, and another holder's at worst.
    """
    if not claims.take_lock(upload.pk):
        return None
    claimed = False
    try:
        current = SheetUpload.objects.filter(pk=upload.pk).values("state", "apply_claim").get()
        if current["state"] == SheetState.APPLYING:
            dead = connection.vendor == "postgresql" or claims.is_stale(
                upload.pk, current["apply_claim"]
            )
            if not dead or not interrupt(upload, current["apply_claim"]):
                return None
        claim = claims.new_claim()
        updated = 0
        with transaction.atomic():
            row = (
                SheetUpload.objects.select_for_update()
                .filter(pk=upload.pk)
                .values("state", "error_count")
                .get()
            )
            if repeat and row["state"] == SheetState.APPLIED:
                return _repeat(upload, actor, client_ip)
            if row["state"] in states and not row["error_count"]:
                updated = SheetUpload.objects.filter(pk=upload.pk).update(
                    state=SheetState.APPLYING,
                    apply_attempt=claim["attempt"],
                    apply_claim=claim,
                    progress_done=0,
                    progress_total=upload.rows,
                )
                record(
                    "sheet.apply_started",
                    actor=actor,
                    client_ip=client_ip,
                    target=upload,
                    school=upload.school,
                    details=_claim_details(claim),
                )
        # Committed: only now is the claim this apply's, and the lock apply_upload's to give back.
        claimed = bool(updated)
    finally:
        if not claimed:
            claims.release_lock(upload.pk)
    if not claimed:
        return None
    upload.state = SheetState.APPLYING
    upload.apply_attempt = claim["attempt"]
    upload.apply_claim = claim
    return claim["attempt"]


def _repeat(upload: SheetUpload, actor, client_ip) -> Result:
    """History is never overwritten (issue 12 §6): applying an applied upload again.

    Called under the upload's row lock. Nothing is applied and the upload's
    record (result, changes, applied_at/by) and so its results file stay as
    they were; the repeat is its own event, `sheet.apply_repeated`, "nothing
    to change", naming the original apply. To apply the data again (after the
    database changed), the secretariat uploads the sheet again: a new record.
    """
    upload.refresh_from_db(fields=["state", "result", "changes", "applied_at", "applied_by"])
    original = {
        "applied_at": upload.applied_at.isoformat() if upload.applied_at else None,
        "applied_by": upload.applied_by.username if upload.applied_by else None,
        "changes": upload.changes,
    }
    record(
        "sheet.apply_repeated",
        actor=actor,
        client_ip=client_ip,
        target=upload,
        school=upload.school,
        details={"sheet": str(upload.pk), "changes": 0, "original": original},
    )
    result = Result(kind=upload.kind, rows=upload.rows)
    result.outcomes = [
        {**outcome, "action": UNCHANGED} for outcome in (upload.result or {}).get("outcomes", [])
    ]
    result.repeat_of = original
    return result


def _claim_details(claim: dict) -> dict:
    return {k: claim.get(k) for k in ("host", "pid", "at")}


def refusal(upload: SheetUpload) -> Result:
    """Why an apply did not start: the sheet has errors, it was applied already (a
    finished upload is never "running"), or another apply is running or claiming it."""
    upload.refresh_from_db(fields=["state", "error_count"])
    result = Result(kind=upload.kind, rows=upload.rows)
    if upload.error_count:
        code = "sheet.not_clean"
    elif upload.state == SheetState.APPLIED:
        code = "sheet.already_applied"
    else:
        code = "sheet.apply_running"
    result.errors.append(error_entry(None, None, code))
    return result


def interrupt(upload: SheetUpload, claim: dict, state: str = SheetState.APPLYING) -> bool:
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


def interrupt_dead_apply(upload: SheetUpload) -> bool:
    """If the upload's apply died (its claim is stale), mark it interrupted; True if it did."""
    if upload.state != SheetState.APPLYING:
        return False
    if not claims.is_stale(upload.pk, upload.apply_claim):
        return False
    return interrupt(upload, upload.apply_claim)
