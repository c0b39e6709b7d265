"""What a helpdesk approval of a held or disputed registry record does (docs/registry.md).

`kleidi.review` calls `approve_record` inside its approval's transaction
(registered in `RegistryConfig.ready`). Approving creates the undergraduate
from the item's record through the import's own create path
(`apply.create_undergraduates`, R4, R5, R3): a new person when the operator
chose none, else the record linked to the chosen candidate. A record whose
registration number Kleidi already knows is linked to that person only (its
names and data updated, R2); a departed student's approval disables the
account; a graduate's account is never reactivated. Any CodedError leaves
the item open and nothing written.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Func, Value
from django.db.models.functions import Lower

from kleidi.accounts.models import Account, AccountKind
from kleidi.accounts.services import disable_account, local_today
from kleidi.errors import error
from kleidi.people.correlation import registration_key
from kleidi.people.models import Affiliation, School
from kleidi.people.services import update_person
from kleidi.registry import usernames
from kleidi.registry.apply import create_undergraduates
from kleidi.registry.classify import CREATE, PERSON_FIELDS, Known, Outcome, person_changes
from kleidi.registry.records import FeedRecord

REASON_KEY = "registry_reason"
DATES = ("birth_date", "status_date")


def record_of(values: dict) -> tuple[FeedRecord, str]:
    """The FeedRecord an item's JSON record describes, and why it was filed."""
    values = dict(values)
    reason = str(values.pop(REASON_KEY, "") or "")
    for name in DATES:
        if values.get(name):
            values[name] = dt.date.fromisoformat(values[name])
    return FeedRecord(number=0, values=values), reason


def _known(school: School, number: str) -> Affiliation | None:
    """The school's affiliation with this registration number (as R16 compares them)."""
    return (
        Affiliation.objects.filter(school=school)
        .exclude(registration_number="")
        .annotate(key=Func(Lower("registration_number"), Value("0"), function="LTRIM"))
        .filter(key=registration_key(number))
        .select_related("person")
        .first()
    )


def _account(affiliation: Affiliation) -> Account | None:
    return (
        Account.objects.filter(affiliation=affiliation, kind=AccountKind.UNDERGRADUATE)
        .order_by("-pk")
        .first()
    )


def approve_record(item, *, person, actor, client_ip=None) -> dict:
    """The review queue's handler for source "registry"; returns {"account", "person"}."""
    record, reason = record_of(item.record)
    school = item.school
    if reason == "registry.graduated_active":
        raise error("registry.graduated_active")
    affiliation = _known(school, record.registration_number)
    if reason == "registry.left":
        account = _account(affiliation) if affiliation is not None else None
        if account is not None:
            disable_account(account, actor=actor, reason="registry: left", client_ip=client_ip)
        return {
            "account": account.username if account else "",
            "person": affiliation.person_id if affiliation else None,
        }
    if affiliation is not None:
        if person is None or person.pk != affiliation.person_id:
            raise error(
                "registry.number_taken",
                registration_number=record.registration_number,
                person=str(affiliation.person),
            )
        current = {name: getattr(person, name) for name in PERSON_FIELDS}
        changes = person_changes(record, current)
        if changes:
            update_person(person, changes, actor=actor, client_ip=client_ip, school=school)
        account = _account(affiliation)
        if account is not None:
            return {"account": account.username, "person": person.pk}
    outcome = Outcome(
        situation=CREATE,
        record=record,
        school=school,
        school_code=school.code,
        registration_number=record.registration_number,
        person_id=person.pk if person is not None else None,
    )
    if affiliation is not None:
        outcome.known = Known(
            affiliation_id=affiliation.pk,
            school_id=school.pk,
            registration_number=affiliation.registration_number,
            status=affiliation.status,
            person_id=affiliation.person_id,
            person={},
            surname_key="",
            given_name_key="",
        )
    elif person is not None:
        current = {name: getattr(person, name) for name in PERSON_FIELDS}
        outcome.person_changes = person_changes(record, current)
    if not (record.values.get("external_email") or (person and person.external_email)):
        raise error("email.required")
    wanted = usernames.Wanted(
        key=0,
        prefix=school.undergraduate_prefix,
        registration_number=record.registration_number,
        login_name=str(record.values.get("login_name") or ""),
    )
    prefixes = School.objects.values_list("undergraduate_prefix", flat=True)
    name = usernames.assign([wanted], prefixes=list(prefixes))[0]
    if isinstance(name, usernames.Refused):
        raise error(name.code, **name.params)
    outcome.username = name
    (account,) = create_undergraduates(
        [outcome], today=local_today(), actor=actor, client_ip=client_ip
    )
    return {"account": account.username, "person": account.person_id}
