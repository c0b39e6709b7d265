"""Staff administration (issue 12 §3): secretariat accounts, memberships, helpdesk roles.

Every function here validates, writes the account row and appends its audit
event in one transaction, as the rest of the account service does; the
console's Staff page and `kleidi staff ...` only call them.

- A new staff account is a pending account of kind staff, for a new person
  with an external email (R1); it gets its welcome link through the
  `welcome_due` signal the credentials app answers (accounts never import
  credentials). Its role is part of its `account.created` event and of a
  `staff.role_granted` event, so the log says who made whom staff.
- Roles move with `staff.role_granted` / `staff.role_revoked` events; giving
  a role the account already has is a refusal (`staff.role_exists`), as is
  taking one it does not have (`staff.no_role`). Nobody revokes their own
  role, and the last helpdesk operator keeps theirs (`staff.self`,
  `staff.last_helpdesk`): the console must keep someone who can run it.
- A secretariat's memberships go when its role goes (each audited); a
  secretariat made a helpdesk operator loses them too (the helpdesk acts for
  every school).
"""

from __future__ import annotations

import unicodedata

from django.db import transaction

from kleidi.accounts.models import Account, AccountKind, AccountState, StaffRole
from kleidi.accounts.services.creation import create_account
from kleidi.accounts.services.memberships import add_membership, remove_membership
from kleidi.accounts.services.transitions import locked, locked_keeping_an_operator
from kleidi.audit.services import record
from kleidi.errors import error
from kleidi.people.models import Person, School
from kleidi.people.services import create_person
from kleidi.people.validation import clean_external_email

ROLES = (StaffRole.SECRETARIAT, StaffRole.HELPDESK)
NAME_CHARS = 100


def _name(value: str, field: str) -> str:
    """`field` stays the machine name (the CLI's JSON); `label` is the lazy, translated one."""
    value = unicodedata.normalize("NFC", " ".join((value or "").split()))
    label = Person._meta.get_field(field).verbose_name
    if not value:
        raise error("staff.name_required", field=field, label=label)
    if len(value) > NAME_CHARS:
        raise error("staff.name_too_long", field=field, label=label, max=NAME_CHARS)
    return value


@transaction.atomic
def create_staff_account(
    *,
    username: str,
    surname: str,
    given_name: str,
    email: str,
    role: str = StaffRole.SECRETARIAT,
    schools: list[School] | tuple[School, ...] = (),
    actor=None,
    client_ip: str | None = None,
) -> Account:
    """A pending staff account with `role`, its person, memberships and welcome (R1, R3, R7).

    The username passes the whole policy (R5, R7, R11: `username.syntax`,
    `username.taken`); the email is an external one (R1). Schools are for a
    secretariat only.
    """
    if role not in ROLES:
        raise error("staff.role_invalid", value=role)
    if schools and role != StaffRole.SECRETARIAT:
        raise error("staff.not_secretariat", username=username)
    fields = {
        "surname": _name(surname, "surname"),
        "given_name": _name(given_name, "given_name"),
        "external_email": clean_external_email(email),
    }
    person = create_person(fields, actor=actor, client_ip=client_ip)
    account = create_account(
        username=username,
        kind=AccountKind.STAFF,
        person=person,
        role=role,
        actor=actor,
        client_ip=client_ip,
    )
    record(
        "staff.role_granted",
        actor=actor,
        client_ip=client_ip,
        target=account,
        details={"role": role, "before": ""},
    )
    for school in dict.fromkeys(schools):
        add_membership(account, school, actor=actor, client_ip=client_ip)
    return account


def create_secretariat(
    *, username, surname, given_name, email, schools=(), actor=None, client_ip=None
) -> Account:
    """Issue 12 §3: a secretariat account for `schools`, pending, with its welcome link."""
    return create_staff_account(
        username=username,
        surname=surname,
        given_name=given_name,
        email=email,
        role=StaffRole.SECRETARIAT,
        schools=schools,
        actor=actor,
        client_ip=client_ip,
    )


def _check_staff_account(account: Account) -> None:
    if account.kind != AccountKind.STAFF:
        raise error("staff.not_staff_account", username=account.username)
    if account.state == AccountState.RETIRED:
        raise error("account.retired", username=account.username)


def _drop_memberships(account: Account, *, actor, client_ip) -> None:
    for membership in account.memberships.select_related("account", "school"):
        remove_membership(membership, actor=actor, client_ip=client_ip)


def _locked_for(account: Account, role: str, *, actor) -> Account:
    """The row locked; demoting an operator is checked as revoke_role checks it."""

    def demotes(row: Account) -> bool:
        return row.role == StaffRole.HELPDESK and role != StaffRole.HELPDESK

    if not demotes(account):
        account = locked(account)
        if not demotes(account):  # the row, read under its lock
            return account
    return locked_keeping_an_operator(account, actor=actor, self_code="staff.self")


@transaction.atomic
def grant_role(account: Account, role: str, *, actor=None, client_ip=None) -> Account:
    """Give a staff-kind account `role`; audited as `staff.role_granted` with the role before."""
    if role not in ROLES:
        raise error("staff.role_invalid", value=role)
    account = _locked_for(account, role, actor=actor)
    _check_staff_account(account)
    if account.role == role:
        raise error(
            "staff.role_exists", username=account.username, role=role, label=StaffRole(role).label
        )
    before = account.role
    if before == StaffRole.SECRETARIAT:
        _drop_memberships(account, actor=actor, client_ip=client_ip)
    account.role = role
    account.save(update_fields=["role"])
    record(
        "staff.role_granted",
        actor=actor,
        client_ip=client_ip,
        target=account,
        details={"role": role, "before": before},
    )
    return account


def make_helpdesk(account: Account, *, actor=None, client_ip=None) -> Account:
    """Issue 12 §3: a staff account becomes a helpdesk operator (it acts for every school)."""
    return grant_role(account, StaffRole.HELPDESK, actor=actor, client_ip=client_ip)


@transaction.atomic
def revoke_role(account: Account, *, actor=None, client_ip=None) -> Account:
    """The account keeps signing in to the portal, but no longer to the console; audited."""
    if not account.role:
        raise error("staff.no_role", username=account.username)
    # Operators' rows locked, so two operators revoking each other cannot both win.
    account = locked_keeping_an_operator(account, actor=actor, self_code="staff.self")
    if not account.role:
        raise error("staff.no_role", username=account.username)
    before = account.role
    _drop_memberships(account, actor=actor, client_ip=client_ip)
    account.role = StaffRole.NONE
    account.save(update_fields=["role"])
    record(
        "staff.role_revoked",
        actor=actor,
        client_ip=client_ip,
        target=account,
        details={"role": before},
    )
    return account
