"""Writing schools, people and affiliations (R2): the only writer of this app's tables.

Only the secretariat's feeds and sheets or the helpdesk change personal data;
every change is audited with its before and after values, one at a time or
in bulk (a sheet writes thousands in one INSERT each).
"""

import datetime as dt

from django.db import transaction

from kleidi.audit.services import event_row, record, record_many
from kleidi.bulk import insert_rows, new_instances
from kleidi.people.models import Affiliation, AffiliationStatus, Person, School
from kleidi.people.signals import people_changed, school_changed

AUDITED_FIELDS = (
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "latin_surname",
    "address",
    "area",
    "postcode",
    "mobile",
    "external_email",
)
AFFILIATION_FIELDS = (
    "kind",
    "registration_number",
    "admission_route",
    "programme",
    "supervisor_name",
    "supervisor_email",
    "status",
    "start_date",
    "end_date",
)
SCHOOL_FIELDS = ("code", "name_el", "name_en", "undergraduate_prefix", "registry_id")


def _json(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _changes(obj, changes: dict, fields: tuple[str, ...]) -> dict[str, dict]:
    """The audited fields whose value would change, with before and after (JSON-ready)."""
    return {
        field: {"before": _json(getattr(obj, field)), "after": _json(value)}
        for field, value in changes.items()
        if field in fields and getattr(obj, field) != value
    }


def _save_changes(obj, changes: dict, fields: tuple[str, ...], action: str, **audit) -> dict:
    """Write the fields that differ and audit them as `action`; return the diff."""
    changed = _changes(obj, changes, fields)
    if not changed:
        return {}
    for field in changed:
        setattr(obj, field, changes[field])
    update = [*changed, "updated_at"] if hasattr(obj, "updated_at") else [*changed]
    obj.save(update_fields=update)
    record(action, target=obj, details={"changes": changed}, **audit)
    return changed


@transaction.atomic
def create_people(
    rows: list[dict[str, str]], *, actor=None, client_ip=None, school=None
) -> list[Person]:
    """R2: create people in one INSERT, each audited as `person.created` with its data."""
    people = new_instances(Person, rows)
    for person in people:
        person.refresh_keys()
    insert_rows(people, returning=True)
    record_many(
        [
            event_row(
                "person.created",
                actor=actor,
                client_ip=client_ip,
                target=person,
                school=school,
                details={"after": {f: fields[f] for f in AUDITED_FIELDS if fields.get(f)}},
            )
            for person, fields in zip(people, rows, strict=True)
        ]
    )
    return people


def create_person(fields: dict[str, str], *, actor=None, client_ip=None, school=None) -> Person:
    """R2: one new person, audited as the bulk path audits each."""
    return create_people([fields], actor=actor, client_ip=client_ip, school=school)[0]


@transaction.atomic
def update_person(
    person: Person, changes: dict[str, str], *, actor=None, client_ip=None, school=None
) -> dict:
    """R2: apply `changes`; audit them as `data.changed` with before and after. Returns the diff."""
    changed = _save_changes(
        person,
        changes,
        AUDITED_FIELDS,
        "data.changed",
        actor=actor,
        client_ip=client_ip,
        school=school,
    )
    if changed:
        people_changed.send(sender=Person, people=[person], action="data.changed")
    return changed


@transaction.atomic
def create_affiliations(
    rows: list[dict], *, actor=None, client_ip=None, school=None
) -> list[Affiliation]:
    """R2: create affiliations in one INSERT, each audited as `affiliation.created`.

    Each row holds the model's fields (`person`, `school`, ...); the event
    keeps the non-empty values of AFFILIATION_FIELDS.
    """
    affiliations = new_instances(Affiliation, rows)
    insert_rows(affiliations, returning=True)
    kinds: dict[str, str] = {}
    record_many(
        [
            event_row(
                "affiliation.created",
                actor=actor,
                client_ip=client_ip,
                target=affiliation,
                target_repr=_affiliation_repr(affiliation, kinds),
                school=school if school is not None else affiliation.school,
                details={
                    "after": {
                        f: _json(getattr(affiliation, f))
                        for f in AFFILIATION_FIELDS
                        if getattr(affiliation, f)
                    }
                },
            )
            for affiliation in affiliations
        ]
    )
    return affiliations


def _affiliation_repr(affiliation: Affiliation, kinds: dict[str, str]) -> str:
    """`str(affiliation)` with each kind's (translated) label looked up once per call."""
    if affiliation.kind not in kinds:
        kinds[affiliation.kind] = affiliation.get_kind_display()
    school = affiliation.school.code if affiliation.school_id else "-"
    return f"{kinds[affiliation.kind]} {school} {affiliation.registration_number}".strip()


def create_affiliation(fields: dict, *, actor=None, client_ip=None, school=None) -> Affiliation:
    """R2: one new affiliation, audited as the bulk path audits each."""
    return create_affiliations([fields], actor=actor, client_ip=client_ip, school=school)[0]


@transaction.atomic
def update_affiliation(
    affiliation: Affiliation, changes: dict, *, actor=None, client_ip=None, school=None
) -> dict:
    """R2: apply `changes`; audit them as `affiliation.changed` with before and after."""
    changed = _save_changes(
        affiliation,
        changes,
        AFFILIATION_FIELDS,
        "affiliation.changed",
        actor=actor,
        client_ip=client_ip,
        school=school if school is not None else affiliation.school,
    )
    if changed:
        people = [affiliation.person]
        people_changed.send(sender=Person, people=people, action="affiliation.changed")
    return changed


@transaction.atomic
def graduate(
    affiliation: Affiliation, *, on: dt.date | None = None, actor=None, client_ip=None
) -> dict:
    """R6: the registry declares the affiliation graduated (διπλωματούχος).

    Audited as `affiliation.graduated` with before and after; the caller
    retires the undergraduate account through the account service. Declaring
    it again changes nothing and returns an empty diff.
    """
    changes = {"status": AffiliationStatus.GRADUATED.value}
    if on is not None:
        changes["end_date"] = on
    return _save_changes(
        affiliation,
        changes,
        AFFILIATION_FIELDS,
        "affiliation.graduated",
        actor=actor,
        client_ip=client_ip,
        school=affiliation.school,
    )


@transaction.atomic
def create_school(fields: dict[str, str], *, actor=None, client_ip=None) -> School:
    """A new school, audited as `school.created` with its values."""
    school = School.objects.create(**fields)
    record(
        "school.created",
        actor=actor,
        client_ip=client_ip,
        target=school,
        school=school,
        details={"after": {f: getattr(school, f) for f in SCHOOL_FIELDS}},
    )
    return school


@transaction.atomic
def update_school(school: School, changes: dict[str, str], *, actor=None, client_ip=None) -> dict:
    """A school's names or prefix change, audited as `school.changed` with before and after."""
    changed = _save_changes(
        school,
        changes,
        SCHOOL_FIELDS,
        "school.changed",
        actor=actor,
        client_ip=client_ip,
        school=school,
    )
    if changed:
        school_changed.send(sender=School, school=school, changes=changed, action="school.changed")
    return changed
