"""Large sheets are applied by a worker (queue "sheets"); the uploader is mailed at the end."""

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse

from kleidi.accounts.models import Account
from kleidi.notifications.services import queue_message
from kleidi.sheets.models import SheetState, SheetUpload
from kleidi.sheets.services import ProgressWriter, apply_upload


@task(queue_name="sheets")
def apply_sheet(upload_id: str, actor_id: int, client_ip: str | None = None) -> dict:
    upload = SheetUpload.objects.select_related("school", "uploaded_by__person").get(pk=upload_id)
    actor = Account.objects.get(pk=actor_id)
    if upload.state not in (SheetState.QUEUED, SheetState.APPLYING):
        return {"skipped": upload.state}
    upload.state = SheetState.APPLYING
    upload.save(update_fields=["state"])
    progress = ProgressWriter(upload)
    try:
        result = apply_upload(upload, actor=actor, client_ip=client_ip, progress=progress)
    finally:
        progress.close()
    notify_done(upload)
    return {"ok": result.ok, "rows": result.rows, "changes": result.changes()}


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
