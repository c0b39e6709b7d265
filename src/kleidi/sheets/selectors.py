"""Reading sheets for pages: an upload's history (issue 12 §6)."""

from django.db.models import Q

from kleidi.audit.models import AuditEvent
from kleidi.sheets.models import SheetUpload

# The events of an upload's own life, oldest first (its rows' events are the accounts').
HISTORY_ACTIONS = (
    "sheet.uploaded",
    "sheet.validated",
    "sheet.apply_queued",
    "sheet.apply_started",
    "sheet.applied",
    "sheet.apply_repeated",
    "sheet.apply_failed",
    "sheet.apply_interrupted",
)
HISTORY_MAX = 50


def history(upload: SheetUpload) -> list[AuditEvent]:
    """The upload's audit events: its own (target) and the apply's `sheet.applied`
    (which names the sheet in its details); one query, the newest HISTORY_MAX."""
    events = (
        AuditEvent.objects.filter(action__in=HISTORY_ACTIONS)
        .filter(
            Q(target_type=SheetUpload._meta.model_name, target_id=str(upload.pk))
            | Q(action="sheet.applied", details__sheet=str(upload.pk))
        )
        .order_by("-created_at", "-pk")[:HISTORY_MAX]
    )
    return list(reversed(list(events)))
