"""Reading the review queue: the search, the item page's comparison, the sources' decisions.

The staff's scope of items is the console's (kleidi.console.base.SchoolScopedAdmin),
of candidate people `candidates_for`; deciding is checked by the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kleidi.accounts.selectors import is_helpdesk, schools_for
from kleidi.people.correlation import registration_key
from kleidi.people.models import Person
from kleidi.review.models import DECIDED, ReviewItem
from kleidi.text import match_key


def search_items(term: str, queryset: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    """Items whose names, registration number, email or key contain every word of `term`.

    Both sides are match keys, so accents, case and final sigma are ignored.
    """
    query = Q()
    for word in match_key(term).split():
        query &= Q(search_text__contains=word)
    return queryset.filter(query)


def candidates_of(item: ReviewItem) -> list[Person]:
    """The item's candidate people, by id (as filed)."""
    found = Person.objects.prefetch_related("affiliations", "accounts").in_bulk(item.candidates)
    return [found[pk] for pk in item.candidates if pk in found]


def candidates_for(item: ReviewItem, staff) -> tuple[list[Person], int]:
    """The candidates `staff` may see, and how many others there are.

    §6: a secretariat sees only its schools' people, even as the candidates of
    its own school's item; the helpdesk sees them all.
    """
    people = candidates_of(item)
    if is_helpdesk(staff):
        return people, 0
    visible = set(
        Person.objects.filter(
            pk__in=[p.pk for p in people], affiliations__school__in=schools_for(staff)
        ).values_list("pk", flat=True)
    )
    return [p for p in people if p.pk in visible], sum(1 for p in people if p.pk not in visible)


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


# The values a decision compares, in the order the item page shows them:
# (record key, label, the person's attribute or None for the registration number).
COMPARED = (
    ("surname", _("Surname"), "surname"),
    ("given_name", _("Given name"), "given_name"),
    ("father_name", _("Father's name"), "father_name"),
    ("mother_name", _("Mother's name"), "mother_name"),
    ("latin_surname", _("Surname in Latin letters"), "latin_surname"),
    ("external_email", _("External email"), "external_email"),
    ("mobile", _("Mobile"), "mobile"),
    ("registration_number", _("Registration number"), None),
)
# Labels of the other values sources file (the registry's feed, a sheet's row).
OTHER_LABELS = {
    "username": _("Username"),
    "login_name": _("Login name in the registry"),
    "kind": _("Kind"),
    "department_id": _("Department id in the registry"),
    "latin_given_name": _("Given name in Latin letters"),
    "latin_father_name": _("Father's name in Latin letters"),
    "latin_mother_name": _("Mother's name in Latin letters"),
    "birth_date": _("Birth date"),
    "status": _("Enrollment status"),
    "status_date": _("Date of the enrollment status"),
    "admission_route": _("Admission route"),
    "address": _("Address"),
    "area": _("Area"),
    "postcode": _("Postcode"),
    "supervisor_name": _("Director or supervisor"),
    "supervisor_email": _("Director's or supervisor's email"),
    "end_date": _("End date"),
    "row": _("Row in the sheet"),
    "upload": _("Sheet upload"),
    "filename": _("File name"),
    "registry_reason": _("Why the registry import filed it"),
}
NAME_KEYS = ("surname", "given_name", "father_name", "mother_name", "latin_surname")


@dataclass(frozen=True)
class Cell:
    value: str
    same: bool | None  # None: nothing to compare (either side empty)


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    cells: tuple[Cell, ...]


def comparison(item: ReviewItem, people: list[Person]) -> list[Line]:
    """The record beside each candidate, value by value, with what matches (names by match key)."""
    lines = []
    for key, label, attribute in COMPARED:
        value = str(item.record.get(key) or "")
        cells = []
        for person in people:
            theirs = (
                getattr(person, attribute)
                if attribute
                else ", ".join(_registration_numbers(person, item.school_id))
            )
            cells.append(Cell(theirs, _same(key, value, theirs) if value and theirs else None))
        if value or any(c.value for c in cells):
            lines.append(Line(str(label), value, tuple(cells)))
    return lines


def other_values(item: ReviewItem) -> list[tuple[str, str]]:
    """The record's values the comparison does not show, as (label, value)."""
    compared = {key for key, _label, _attribute in COMPARED}
    return [
        (str(OTHER_LABELS.get(key, key)), str(value))
        for key, value in item.record.items()
        if key not in compared and value not in ("", None)
    ]


def _registration_numbers(person: Person, school_id) -> list[str]:
    return [
        a.registration_number
        for a in person.affiliations.all()
        if a.registration_number and (school_id is None or a.school_id == school_id)
    ]


def _same(key: str, value: str, theirs: str) -> bool:
    if key in NAME_KEYS:
        return match_key(value) == match_key(theirs)
    if key == "registration_number":
        wanted = registration_key(value)
        return any(registration_key(number) == wanted for number in theirs.split(", "))
    return value.strip().lower() == theirs.strip().lower()
