"""Applying a sheet (R17, R19, R20): all or nothing, idempotent.

One transaction: take the sheets lock, validate again against the database
as it is now, and only if every row is clean execute the plans through the
people and account services (which audit each change and queue the welcome
or renewal messages in the outbox, R29, R30). Any exception rolls everything
back. Applying a sheet twice finds every row `unchanged` the second time.

The lock serialises applies: on PostgreSQL a transaction-scoped advisory
lock, on SQLite the IMMEDIATE transaction itself. Two overlapping sheets
applied at once therefore give one person and one account: the second
validates after the first has committed and finds its rows done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import connection, transaction

from kleidi.accounts.services import (
    NewAccount,
    create_accounts,
    end_of_day,
    local_today,
    reactivate_account,
    renew_account,
)
from kleidi.audit.services import event_row, record, record_many
from kleidi.people.models import Affiliation, School
from kleidi.people.services import (
    create_affiliation,
    create_affiliations,
    create_people,
    update_affiliation,
    update_person,
)
from kleidi.sheets.reader import Table
from kleidi.sheets.validation import (
    CREATE,
    PERSON_FIELDS,
    REACTIVATE,
    RENEW,
    UNCHANGED,
    Plan,
    Result,
    validate,
)

# pg_advisory_xact_lock key: "kleidi sheets" as a 64-bit number.
LOCK_KEY = 0x6B6C6569_64690001

Progress = Callable[[int, int], None]


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def apply_table(
    table: Table,
    *,
    school: School,
    kind: str,
    actor=None,
    client_ip: str | None = None,
    sheet_id: str = "",
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> Result:
    """R19: validate and, if clean, apply every row in one transaction.

    Returns the Result; its outcomes say what each row did. A result with
    errors means nothing was written.
    """
    with transaction.atomic():
        _lock()
        result = validate(table, school=school, kind=kind, today=today)
        if not result.ok:
            return result
        total = len(result.plans)
        step = max(1, total // 100)
        creates = [p for p in result.plans if p.action == CREATE] if kind != "renewal" else []
        targets = _create_in_bulk(creates, school=school, actor=actor, client_ip=client_ip)
        done = len(creates)
        if progress and done:
            progress(done, total)
        for plan in result.plans:
            if plan.row in targets:
                continue
            targets[plan.row] = _execute(
                plan, school=school, kind=kind, actor=actor, client_ip=client_ip
            )
            done += 1
            if progress and (done % step == 0 or done == total):
                progress(done, total)
        events = [
            _row_event(plan, targets[plan.row], school, actor, client_ip, sheet_id)
            for plan in result.plans
        ]
        record_many(events)
        record(
            "sheet.applied",
            actor=actor,
            client_ip=client_ip,
            school=school,
            details={
                "sheet": sheet_id,
                "kind": kind,
                "rows": result.rows,
                "actions": result.actions(),
            },
        )
    return result


def _create_in_bulk(plans: list[Plan], *, school, actor, client_ip) -> dict[int, object]:
    """The sheet's new accounts, through the bulk services (R19's apply ≤ 5 s).

    New people in one INSERT, their affiliations in one, the accounts and
    their welcomes through `create_accounts`; each write audited as the
    single-row path would audit it. Returns {row: account}.
    """
    if not plans:
        return {}
    new_people = [p for p in plans if p.person is None]
    created = create_people(
        [{name: p.values.get(name, "") for name in PERSON_FIELDS} for p in new_people],
        actor=actor,
        client_ip=client_ip,
        school=school,
    )
    people = {p.row: person for p, person in zip(new_people, created, strict=True)}
    for plan in plans:
        if plan.person is not None:
            people[plan.row] = plan.person
            if plan.person_changes:
                update_person(
                    plan.person,
                    plan.person_changes,
                    actor=actor,
                    client_ip=client_ip,
                    school=school,
                )
    affiliations = _affiliations_in_bulk(plans, people, school, actor, client_ip)
    accounts = create_accounts(
        [
            NewAccount(
                username=plan.username,
                kind=plan.kind,
                person=people[plan.row],
                affiliation=affiliations[plan.row],
                school=school,
                expires_at=end_of_day(plan.end_date),
            )
            for plan in plans
        ],
        actor=actor,
        client_ip=client_ip,
    )
    return {plan.row: account for plan, account in zip(plans, accounts, strict=True)}


def _affiliations_in_bulk(plans, people, school, actor, client_ip) -> dict[int, Affiliation]:
    """New affiliations through the people service's bulk path; existing ones updated per row."""
    affiliations, fresh = {}, []
    for plan in plans:
        if plan.affiliation is not None:
            affiliations[plan.row] = _affiliation(plan, people[plan.row], school, actor, client_ip)
        else:
            fresh.append(plan)
    saved = create_affiliations(
        [_new_affiliation(plan, people[plan.row], school) for plan in fresh],
        actor=actor,
        client_ip=client_ip,
        school=school,
    )
    affiliations.update({plan.row: a for plan, a in zip(fresh, saved, strict=True)})
    return affiliations


def _new_affiliation(plan: Plan, person, school) -> dict:
    return {
        "person": person,
        "school": school,
        "registration_number": plan.values["registration_number"],
        "start_date": local_today(),
        **plan.affiliation_changes,
    }


def _row_event(plan: Plan, target, school, actor, client_ip, sheet_id) -> tuple:
    """R29: one event per row, written in bulk with the rest of the apply."""
    return event_row(
        "sheet.row_applied",
        actor=actor,
        client_ip=client_ip,
        target=target,
        school=school,
        details={
            "sheet": sheet_id,
            "row": plan.row,
            "action": plan.action,
            "username": plan.username,
        },
    )


def _execute(plan: Plan, *, school, kind, actor, client_ip):
    """Carry out one row's plan on an existing account (new ones go in bulk); return it."""
    if plan.action == UNCHANGED:
        return plan.account
    if kind == "renewal":
        return renew_account(
            plan.account, new_expiry=plan.end_date, actor=actor, client_ip=client_ip
        )
    person = plan.person
    if plan.person_changes:
        update_person(person, plan.person_changes, actor=actor, client_ip=client_ip, school=school)
    affiliation = _affiliation(plan, person, school, actor, client_ip)
    expires_at = end_of_day(plan.end_date)
    if plan.action == REACTIVATE:
        return reactivate_account(
            plan.account,
            expires_at=expires_at,
            affiliation=affiliation,
            actor=actor,
            client_ip=client_ip,
        )
    if plan.action == RENEW:
        return renew_account(
            plan.account, new_expiry=plan.end_date, actor=actor, client_ip=client_ip
        )
    return plan.account  # UPDATE: the person's and affiliation's data only


def _affiliation(plan: Plan, person, school, actor, client_ip) -> Affiliation:
    """The row's postgraduate or PhD affiliation: the existing one, updated, or a new one."""
    audit = {"actor": actor, "client_ip": client_ip, "school": school}
    if plan.affiliation is None:
        return create_affiliation(_new_affiliation(plan, person, school), **audit)
    if plan.affiliation_changes:
        update_affiliation(plan.affiliation, plan.affiliation_changes, **audit)
    return plan.affiliation
