"""New accounts (R3, R7): one, a sheet's worth in bulk, the demo's seed, helpdesk operators."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from kleidi.accounts import usernames
from kleidi.accounts.models import (
    Account,
    AccountKind,
    StaffRole,
)
from kleidi.accounts.services.transitions import S, transition
from kleidi.accounts.signals import account_changed, welcome_due
from kleidi.audit.services import event_row, record, record_many
from kleidi.bulk import insert_rows, new_instances
from kleidi.errors import error
from kleidi.people.models import Affiliation, Person, School


def _unusable_password() -> str:
    """What `set_unusable_password` stores ("!" and 40 random characters), 8× cheaper.

    Django draws the 40 characters one `secrets.choice` at a time (0.9 s for
    a 10,000-account sheet); 30 random bytes in base64url are 40 characters too.
    """
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


@dataclass(frozen=True)
class NewAccount:
    """What a new account needs; `create_accounts` makes many at once."""

    username: str
    kind: str
    person: Person | None = None
    affiliation: Affiliation | None = None
    school: School | None = None
    expires_at: dt.datetime | None = None
    role: str = ""


def create_account(
    *,
    username: str,
    kind: str,
    person=None,
    affiliation=None,
    school=None,
    expires_at: dt.datetime | None = None,
    role: str = "",
    actor=None,
    client_ip: str | None = None,
    welcome: bool = True,
) -> Account:
    """Create a pending account and send its welcome (R3, R5, R7, R11)."""
    spec = NewAccount(username, kind, person, affiliation, school, expires_at, role)
    return create_accounts([spec], actor=actor, client_ip=client_ip, welcome=welcome)[0]


@transaction.atomic
def create_accounts(
    specs: list[NewAccount], *, actor=None, client_ip: str | None = None, welcome: bool = True
) -> list[Account]:
    """Create pending accounts with one INSERT each for accounts and audit events.

    Every username passes the whole policy (R5, R7, R11) first, the taken check
    in one query; then each account is audited and announced, and those whose
    person has an external email are welcomed (R3) together.
    """
    policy = usernames.username_policy()
    names = [policy.check(spec.username, spec.kind) for spec in specs]
    already = usernames.taken(names)
    seen: set[str] = set()
    for name in names:
        if name in already or name in seen:
            raise error("username.taken", value=name)
        seen.add(name)
    accounts = new_instances(
        Account,
        [
            {
                "username": name,
                "kind": spec.kind,
                "person": spec.person,
                "affiliation": spec.affiliation,
                "school": spec.school or (spec.affiliation.school if spec.affiliation else None),
                "expires_at": spec.expires_at,
                "role": spec.role,
                "state": S.PENDING,
                "password": _unusable_password(),
            }
            for spec, name in zip(specs, names, strict=True)
        ],
    )
    insert_rows(accounts, returning=True)
    record_many(
        [
            event_row(
                "account.created",
                actor=actor,
                client_ip=client_ip,
                target=account,
                school=account.school,
                details={
                    "kind": account.kind,
                    "expires_at": account.expires_at.isoformat() if account.expires_at else None,
                    **({"role": account.role} if account.role else {}),
                },
            )
            for account in accounts
        ]
    )
    account_changed.send(sender=Account, accounts=accounts, action="account.created")
    to_welcome = [a for a in accounts if a.person is not None and a.person.external_email]
    if welcome and to_welcome:
        welcome_due.send(sender=Account, accounts=to_welcome, reason="created")
    return accounts


# The event each state's transition is audited as (R22, R29).
STATE_ACTIONS = {
    S.ACTIVE: "account.activated",
    S.EXPIRED: "account.expired",
    S.DISABLED: "account.disabled",
    S.RETIRED: "account.retired",
}


@transaction.atomic
def create_account_in_state(
    spec: NewAccount, *, state: str, password: str | None = None, actor=None
) -> Account:
    """An account that starts in `state` with a known password: the demo's seed.

    It is created pending like every account (R5, R7, R11, audited), without
    a welcome, then given its password and moved to `state` by an audited
    transition (R22), so the log tells how it came to be.
    """
    account = create_accounts([spec], actor=actor, welcome=False)[0]
    fields: tuple[str, ...] = ()
    if password is not None:
        account.set_password(password)
        account.password_changed_at = timezone.now()
        fields = ("password", "password_changed_at")
    if state == S.PENDING:
        if fields:
            account.save(update_fields=fields)
        return account
    return transition(account, state, STATE_ACTIONS[state], actor=actor, extra_fields=fields)


@transaction.atomic
def create_helpdesk_operator(username: str, password: str | None) -> Account:
    """`kleidi createsuperuser` makes a helpdesk operator (the console's top role), audited.

    Its name passes the username policy like every other new name (R7).
    """
    account = Account(
        username=usernames.validate_new_username(username, AccountKind.STAFF),
        kind=AccountKind.STAFF,
        state=S.ACTIVE,
        role=StaffRole.HELPDESK,
    )
    account.set_password(password)
    account.save()
    record("account.created", target=account, details={"kind": "staff", "role": "helpdesk"})
    account_changed.send(sender=Account, accounts=[account], action="account.created")
    return account
