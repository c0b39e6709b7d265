"""Reading the review queue: the staff's scope, the search, and the sources' decisions."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kleidi.accounts.selectors import is_helpdesk, schools_for
from kleidi.people.models import Person
from kleidi.review.models import DECIDED, ReviewItem
from kleidi.text import match_key


def items_for(staff) -> QuerySet[ReviewItem]:
    """The items `staff` may see: all for the helpdesk, its schools' for a secretariat (§6)."""
    items = ReviewItem.objects.select_related("school", "decided_by", "person")
    if is_helpdesk(staff):
        return items
    return items.filter(school__in=schools_for(staff))


def search_items(term: str, queryset: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    """Items whose names, registration number, email or key contain every word of `term`.

    Both sides are match keys, so accents, case and final sigma are ignored.
    """
    query = Q()
    for word in match_key(term).split():
        query &= Q(search_text__contains=word)
    return queryset.filter(query)


def candidates_of(item: ReviewItem) -> list[Person]:
    """The item's candidate people, in the order they were filed."""
    found = Person.objects.in_bulk(item.candidates)
    return [found[pk] for pk in item.candidates if pk in found]


def decisions(source: str, school, fingerprints: dict[str, str]) -> dict[str, ReviewItem]:
    """{key: the latest decided item on that very record} for one source and school (one query).

    A source asks this while it validates, to follow what the helpdesk decided
    instead of refusing the record again. `fingerprints` maps each key to the
    record's fingerprint now: a decision is about the record as it was, so a
    changed record is not covered by it.
    """
    if not fingerprints:
        return {}
    rows = ReviewItem.objects.filter(
        source=source, school=school, key__in=list(fingerprints), state__in=DECIDED
    ).order_by("decided_at", "pk")
    return {row.key: row for row in rows if fingerprints.get(row.key) == row.fingerprint}
