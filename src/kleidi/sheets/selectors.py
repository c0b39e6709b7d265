"""Reading sheets for pages: an upload's history (§6) and the dashboard's recent uploads (§1)."""

from django.db.models import Q, QuerySet

from kleidi.audit.models import AuditEvent
from kleidi.people.models import School
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


def recent_uploads(schools: QuerySet[School] | None, limit: int = 5) -> list[SheetUpload]:
    """The latest uploads of the schools in scope (None: every school), one query.

    The file and the results stay in the database: a dashboard needs neither.
    """
    uploads = SheetUpload.objects.select_related("school", "uploaded_by").defer(
        "content", "result", "apply_claim"
    )
    if schools is not None:
        uploads = uploads.filter(school__in=schools)
    return list(uploads.order_by("-uploaded_at")[:limit])
