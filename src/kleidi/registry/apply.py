"""Carrying out a classified feed through the people and account services (R2–R6).

Called by `services.import_feed` inside its one transaction, and by the
review queue's approve handler for one record. New undergraduates go through
the bulk services (`create_people`, `create_affiliations`, `create_accounts`,
whose welcome signal sends R3's message), per school and per 5,000; updates,
graduations and retirements are few and go row by row. Every write here is
one of those services': this module writes no table itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.accounts.services import NewAccount, create_accounts, retire_account
from kleidi.notifications.services import queue_messages
from kleidi.people.models import Affiliation, AffiliationKind, AffiliationStatus, Person
from kleidi.people.services import create_affiliations, create_people, graduate, update_person
from kleidi.registry.classify import CREATE, GRADUATE, UPDATE, Outcome

CHUNK = 5_000
GRADUATED_TEMPLATE = "graduated"

Progress = Callable[[int, int], None]


def apply_outcomes(
    outcomes: list[Outcome],
    *,
    today: dt.date,
    actor=None,
    client_ip: str | None = None,
    progress: Progress | None = None,
) -> None:
    """Create, update and graduate as the outcomes say (the rest changes nothing here)."""
    creates = [o for o in outcomes if o.situation == CREATE]
    updates = [o for o in outcomes if o.situation == UPDATE]
    graduates = [o for o in outcomes if o.situation == GRADUATE]
    total = len(creates) + len(updates) + len(graduates)
    done = 0
    for start in range(0, len(creates), CHUNK):
        chunk = creates[start : start + CHUNK]
        create_undergraduates(chunk, today=today, actor=actor, client_ip=client_ip)
        done += len(chunk)
        if progress:
            progress(done, total)
    people = Person.objects.in_bulk([o.person_id for o in updates])
    for outcome in updates:
        update_person(
            people[outcome.person_id],
            outcome.person_changes,
            actor=actor,
            client_ip=client_ip,
            school=outcome.school,
        )
        done += 1
    if progress and updates:
        progress(done, total)
    graduate_all(graduates, today=today, actor=actor, client_ip=client_ip)
    if progress and graduates:
        progress(total, total)


def create_undergraduates(
    outcomes: list[Outcome], *, today: dt.date, actor=None, client_ip=None
) -> list[Account]:
    """R4, R5, R3: person (new or correlated), affiliation, account and welcome, in bulk.

    Returns the accounts in the outcomes' order.
    """
    by_school: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_school[outcome.school.pk].append(outcome)
    existing = Person.objects.in_bulk([o.person_id for o in outcomes if o.person_id])
    affiliations = Affiliation.objects.in_bulk(
        [o.known.affiliation_id for o in outcomes if o.known is not None]
    )
    made: dict[int, Account] = {}
    for group in by_school.values():
        school = group[0].school
        audit = {"actor": actor, "client_ip": client_ip, "school": school}
        fresh = [o for o in group if o.person_id is None]
        created = create_people([person_fields(o) for o in fresh], **audit)
        people = {id(o): p for o, p in zip(fresh, created, strict=True)}
        for outcome in group:
            if outcome.person_id is None:
                continue
            person = existing[outcome.person_id]
            if outcome.person_changes:
                update_person(person, outcome.person_changes, **audit)
            people[id(outcome)] = person
        new = [o for o in group if o.known is None]
        rows = [affiliation_fields(o, people[id(o)], today) for o in new]
        saved = create_affiliations(rows, **audit)
        links = {id(o): a for o, a in zip(new, saved, strict=True)}
        for outcome in group:
            if outcome.known is not None:
                links[id(outcome)] = affiliations[outcome.known.affiliation_id]
        accounts = create_accounts(
            [
                NewAccount(
                    username=o.username,
                    kind=AccountKind.UNDERGRADUATE,
                    person=people[id(o)],
                    affiliation=links[id(o)],
                    school=school,
                )
                for o in group
            ],
            actor=actor,
            client_ip=client_ip,
        )
        made.update((id(o), a) for o, a in zip(group, accounts, strict=True))
    return [made[id(o)] for o in outcomes]


def person_fields(outcome: Outcome) -> dict[str, str]:
    v = outcome.record.values
    return {
        "surname": v.get("surname") or "",
        "given_name": v.get("given_name") or "",
        "father_name": v.get("father_name") or "",
        "mother_name": v.get("mother_name") or "",
        "latin_surname": v.get("latin_surname") or "",
        "mobile": v.get("mobile") or "",
        "external_email": v.get("external_email") or "",
    }


def affiliation_fields(outcome: Outcome, person: Person, today: dt.date) -> dict:
    v = outcome.record.values
    return {
        "person": person,
        "school": outcome.school,
        "kind": AffiliationKind.UNDERGRADUATE,
        "registration_number": outcome.registration_number,
        "admission_route": v.get("admission_route") or "",
        "status": AffiliationStatus.ACTIVE,
        "start_date": v.get("status_date") or today,
    }


def graduate_all(outcomes: list[Outcome], *, today: dt.date, actor=None, client_ip=None) -> None:
    """R6: the affiliation graduated at once; the account retired once its day has come.

    The graduation email goes out when the affiliation graduates, saying when
    the account is (or was) retired; a later run that only retires sends none.
    """
    affiliations = Affiliation.objects.select_related("school", "person").in_bulk(
        [o.known.affiliation_id for o in outcomes]
    )
    accounts = Account.objects.select_related("person", "school").in_bulk(
        [o.known.account[0] for o in outcomes if o.known.account]
    )
    messages = []
    for outcome in outcomes:
        affiliation = affiliations[outcome.known.affiliation_id]
        account = accounts.get(outcome.known.account[0]) if outcome.known.account else None
        if outcome.graduate:
            on = outcome.record.values.get("status_date") or today
            graduate(affiliation, on=on, actor=actor, client_ip=client_ip)
        if outcome.retire and account is not None:
            retire_account(account, actor=actor, reason="graduated", client_ip=client_ip)
        email = affiliation.person.external_email
        if outcome.graduate and email:
            messages.append(
                (
                    email,
                    {
                        "given_name": affiliation.person.given_name,
                        "username": account.username if account else "",
                        "school": affiliation.school.name_el,
                        "school_en": affiliation.school.name_en,
                        "retire_on": outcome.retire_on,
                        "retired": outcome.retire
                        or bool(account and account.state == AccountState.RETIRED),
                        "base_url": settings.BASE_URL,
                    },
                    account,
                )
            )
    if messages:
        queue_messages(GRADUATED_TEMPLATE, messages)
