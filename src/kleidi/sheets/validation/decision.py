"""What a clean row will do, given the bulk reads: R10, R15, R16 (correlation), R17."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.accounts.services import can_reactivate, check_renewal, end_of_day
from kleidi.people.correlation import Identity, Match, registration_key
from kleidi.people.correlation import same_names as names_match
from kleidi.people.models import Affiliation, AffiliationStatus, Person, School
from kleidi.people.services import AUDITED_FIELDS
from kleidi.sheets.validation.cells import PHD, POSTGRADUATE
from kleidi.sheets.validation.result import (
    CREATE,
    REACTIVATE,
    RENEW,
    UNCHANGED,
    UPDATE,
    Plan,
    code_params,
)
from kleidi.sheets.validation.rows import Row
from kleidi.text import username_contains_surname

# The person's data a sheet row carries: the fields the people service audits.
PERSON_FIELDS = AUDITED_FIELDS


@dataclass(frozen=True)
class Lookups:
    """Everything one sheet's bulk reads found, shared by the decision on every row."""

    school: School
    today: dt.date
    # Accounts named by the sheet, by lower-case username.
    accounts: dict[str, Account]
    # The owners of those accounts, by person id.
    owners: dict[int, Person]
    # R16's correlation and the identity it was asked about, by row number.
    matches: dict[int, Match]
    identities: dict[int, Identity]
    # Rows whose possible duplicate the helpdesk rejected, with its reason (kleidi.review).
    rejected: dict[int, str] = field(default_factory=dict)


def decide(row: Row, sheet: Lookups) -> Plan | None:
    """R10, R15, R16, R17 for one row: its plan, or None with the reasons in `row.errors`.

    A row whose only problem is R10 gets `row.missing_surname`; the error, with
    free suggestions, is added for all such rows at once.
    """
    match = sheet.matches[row.number]
    identity = sheet.identities[row.number]
    account = sheet.accounts.get(row.username) if row.username else None
    person = match.person
    if account is not None:
        owner = sheet.owners.get(account.person_id) if account.person_id else None
        same = owner is not None and (
            (person is not None and person.pk == owner.pk)
            or (person is None and names_match(identity, owner))
        )
        if not same:
            row.error("username", "username.taken", {"value": row.username})
            return None
        person = owner
    elif person is None and match.possible:
        existing = ", ".join(f"#{p.pk}" for p in match.possible[:3])
        if row.number in sheet.rejected:
            params = {"existing": existing, "reason": sheet.rejected[row.number]}
            row.error("surname", "person.review_rejected", params)
        else:
            row.error("surname", "person.possible_duplicate", {"existing": existing})
            row.possible = tuple(p.pk for p in match.possible)

    if row.username and account is None and not row.has_error("username", "surname"):
        surname = row.values.get("surname", "")
        if surname and not username_contains_surname(
            row.username, surname, row.values.get("latin_surname") or None
        ):
            # R10 only binds new usernames.
            row.missing_surname = True

    if person is not None:
        _check_person(row, person, account)

    affiliation = match.affiliation
    if affiliation is not None and person is not None and affiliation.person_id != person.pk:
        row.error(
            "registration_number",
            "person.possible_duplicate",
            {"existing": f"#{affiliation.person_id}"},
        )
        return None
    if affiliation is not None and affiliation.kind not in (POSTGRADUATE, PHD):
        row.error(
            "registration_number",
            "registration.in_use",
            {"value": row.values.get("registration_number", "")},
        )
        return None
    if account is not None and not can_reactivate(account):
        row.error("username", "account.not_reactivatable", {"value": account.username})
        return None
    if row.errors or row.missing_surname or row.end_date is None or not row.kind:
        return None

    if affiliation is None and account is not None and account.affiliation_id:
        current = account.affiliation
        if (
            current
            and current.school_id == sheet.school.pk
            and registration_key(current.registration_number)
            == registration_key(row.values["registration_number"])
        ):
            affiliation = current
    plan = Plan(
        row=row.number,
        action=CREATE,
        username=row.username,
        kind=row.kind,
        values=row.values,
        end_date=row.end_date,
        person=person,
        account=account,
        affiliation=affiliation,
    )
    if person is not None:
        plan.person_changes = {
            name: row.values[name]
            for name in PERSON_FIELDS
            if row.values.get(name) and row.values[name] != getattr(person, name)
        }
    plan.affiliation_changes = affiliation_changes(affiliation, row)
    if account is not None:
        action = _account_action(row, plan, account, sheet)
        if action is None:
            return None
        plan.action = action
    return plan


def _check_person(row: Row, person: Person, account: Account | None) -> None:
    """R15, and R16's undeclared account: the identified person's other relations."""
    affiliations = list(person.affiliations.all())
    if any(a.is_ungraduated_undergraduate for a in affiliations):
        row.error("surname", "person.not_graduated")
    if account is None:
        others = [
            a.username
            for a in person.accounts.all()
            if a.kind != AccountKind.UNDERGRADUATE and a.state != AccountState.RETIRED
        ]
        if others:
            row.error("username", "person.undeclared_account", {"existing": ", ".join(others)})


def _account_action(row: Row, plan: Plan, account: Account, sheet: Lookups) -> str | None:
    """An existing account: reactivate (R17), renew (R20's cap), update or unchanged."""
    expires_at = end_of_day(row.end_date)
    usable = account.state in (AccountState.ACTIVE, AccountState.PENDING) and (
        account.effective_state != AccountState.EXPIRED
    )
    if not (usable and account.kind == row.kind and account.school_id == sheet.school.pk):
        return REACTIVATE
    affiliation_same = plan.affiliation is not None and not plan.affiliation_changes
    if account.expires_at != expires_at:
        try:
            check_renewal(account, row.end_date, today=sheet.today)
        except ValidationError as exc:
            code, params = code_params(exc)
            row.error("end_date", code, params)
            return None
        return RENEW
    if plan.person_changes or not affiliation_same:
        return UPDATE
    return UNCHANGED


def affiliation_changes(affiliation: Affiliation | None, row: Row) -> dict[str, object]:
    wanted = {
        "kind": row.kind,
        "status": AffiliationStatus.ACTIVE.value,
        "end_date": row.end_date,
        "supervisor_name": row.values.get("supervisor_name", ""),
        "supervisor_email": row.values.get("supervisor_email", ""),
    }
    if affiliation is None:
        return wanted
    return {k: v for k, v in wanted.items() if v and getattr(affiliation, k) != v}
