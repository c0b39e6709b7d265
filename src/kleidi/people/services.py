"""Writing people's data (R2): only the secretariat's feeds and sheets or the helpdesk.

Every change is audited with its before and after values.
"""

from django.db import transaction

from kleidi.audit.services import build_event, record, record_many
from kleidi.people.models import Person

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


def diff(person: Person, changes: dict[str, str]) -> dict[str, dict[str, str]]:
    """The fields whose value would change, with before and after."""
    return {
        field: {"before": getattr(person, field), "after": value}
        for field, value in changes.items()
        if field in AUDITED_FIELDS and getattr(person, field) != value
    }


@transaction.atomic
def create_people(
    rows: list[dict[str, str]], *, actor=None, client_ip=None, school=None
) -> list[Person]:
    """Create people in one INSERT, each audited as `person.created` with its data."""
    people = [Person(**fields) for fields in rows]
    for person in people:
        person.refresh_keys()
    people = Person.objects.bulk_create(people, batch_size=500)
    record_many(
        [
            build_event(
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


@transaction.atomic
def update_person(
    person: Person, changes: dict[str, str], *, actor=None, client_ip=None, school=None
) -> dict:
    """Apply `changes`; audit them as `data.changed` with before and after. Returns the diff."""
    changed = diff(person, changes)
    if not changed:
        return {}
    for field, values in changed.items():
        setattr(person, field, values["after"])
    person.save(update_fields=[*changed, "updated_at"])
    record(
        "data.changed",
        actor=actor,
        client_ip=client_ip,
        target=person,
        school=school,
        details={"changes": changed},
    )
    return changed
