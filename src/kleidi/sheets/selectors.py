"""Reading uploads for the console's dashboard (issue 12 §1)."""

from django.db.models import QuerySet

from kleidi.people.models import School
from kleidi.sheets.models import SheetUpload


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
