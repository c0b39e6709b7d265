"""Large sheets are applied by a worker (queue "sheets"); the uploader is mailed at the end."""

from django.tasks import task

from kleidi.accounts.models import Account
from kleidi.sheets.models import SheetState, SheetUpload
from kleidi.sheets.runs import ProgressWriter, apply_upload, interrupt_dead_apply, notify_done


@task(queue_name="sheets")
def apply_sheet(upload_id: str, actor_id: int, client_ip: str | None = None) -> dict:
    """Apply a queued upload; one that is not waiting any more (applied, or being applied
    by a live process, or interrupted) is left alone: a re-run never applies twice."""
    upload = SheetUpload.objects.select_related("school", "uploaded_by__person").get(pk=upload_id)
    actor = Account.objects.get(pk=actor_id)
    if upload.state != SheetState.QUEUED:
        interrupt_dead_apply(upload)
        return {"skipped": upload.state}
    progress = ProgressWriter(upload)
    try:
        result = apply_upload(
            upload, actor=actor, client_ip=client_ip, progress=progress, queued=True
        )
    finally:
        progress.close()
    if upload.state not in (SheetState.APPLIED, SheetState.INVALID, SheetState.FAILED):
        return {"skipped": upload.state}
    notify_done(upload)
    return {"ok": result.ok, "rows": result.rows, "changes": result.changes()}
