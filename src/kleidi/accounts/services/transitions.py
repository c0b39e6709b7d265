"""R22: account states and their transitions, each audited (R29) in its transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import (
    Account,
    AccountState,
    StaffRole,
)
from kleidi.accounts.signals import account_changed
from kleidi.audit.services import record
from kleidi.errors import error

S = AccountState

# R22: which states each state may move to. Retired is final (R6).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.EXPIRED, S.DISABLED, S.RETIRED}),
    S.ACTIVE: frozenset({S.EXPIRED, S.DISABLED, S.RETIRED, S.PENDING}),
    S.EXPIRED: frozenset({S.ACTIVE, S.PENDING, S.DISABLED, S.RETIRED}),
    S.DISABLED: frozenset({S.ACTIVE, S.PENDING, S.EXPIRED, S.RETIRED}),
    S.RETIRED: frozenset(),
}


def end_of_day(day: dt.date) -> dt.datetime:
    """R14: an account given a date expires at the end of that day, in settings.TIME_ZONE.

    The institution's zone (Europe/Athens), never the zone a request activated.
    """
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def local_today() -> dt.date:
    """Today in the institution's zone (settings.TIME_ZONE)."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def transition(
    account: Account,
    new_state: str,
    action: str,
    *,
    actor=None,
    client_ip=None,
    details: dict | None = None,
    extra_fields: tuple[str, ...] = (),
) -> Account:
    old_state = account.state
    if account.state == S.RETIRED:
        raise error("account.retired", username=account.username)
    if new_state != old_state and new_state not in TRANSITIONS[old_state]:
        raise error("account.transition", username=account.username, old=old_state, new=new_state)
    account.state = new_state
    account.state_changed_at = timezone.now()
    account.save(update_fields=["state", "state_changed_at", *extra_fields])
    record(
        action,
        actor=actor,
        client_ip=client_ip,
        target=account,
        school=account.school,
        details={"from": old_state, "to": new_state, **(details or {})},
    )
    account_changed.send(sender=Account, accounts=[account], action=action)
    return account


def locked(account: Account) -> Account:
    """Re-read the account under a row lock so concurrent changes serialise."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins.
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("person", "school")
        .get(pk=account.pk)
    )


@transaction.atomic
def activate_account(account: Account, *, actor=None, client_ip=None) -> Account:
    """Pending → active once the member has set a password (R22)."""
    account = locked(account)
    if account.state == S.ACTIVE:
        return account
    return transition(account, S.ACTIVE, "account.activated", actor=actor, client_ip=client_ip)


@transaction.atomic
def expire_account(account: Account, *, actor=None, client_ip=None) -> Account:
    """R21: past its expiry date the account is expired (renewable)."""
    account = locked(account)
    return transition(account, S.EXPIRED, "account.expired", actor=actor, client_ip=client_ip)


# A reason is at most this long: one line in the audit log, not a letter.
REASON_CHARS = 500


def checked_reason(reason: str, *, actor) -> str:
    """Issue 12 §2: a person who disables, enables or retires says why.

    A blank reason from a person (an operator in the console or a command's
    `--as`) is refused with `account.reason_required`; the system's own paths
    (the nightly run, the registry's graduation, actor None) may give none.
    The reason is kept, stripped, in the event's details.
    """
    reason = " ".join((reason or "").split())
    if actor is not None and not reason:
        raise error("account.reason_required")
    if len(reason) > REASON_CHARS:
        raise error("account.reason_too_long", max=REASON_CHARS)
    return reason


def _active_operators(exclude=None) -> list[int]:
    """Lock every active helpdesk operator's row, in pk order (one order: no deadlock)."""
    operators = Account.objects.select_for_update(of=("self",)).filter(
        role=StaffRole.HELPDESK, state=S.ACTIVE
    )
    if exclude is not None:
        operators = operators.exclude(pk=exclude)
    return list(operators.order_by("pk").values_list("pk", flat=True))


def locked_keeping_an_operator(account: Account, *, actor, self_code: str) -> Account:
    """The account under its row lock, refused if acting on it could leave the console unrun.

    Nobody acts on their own account this way (`self_code`), and the last
    active helpdesk operator keeps their account and role (`staff.last_helpdesk`);
    an operator not active (pending, disabled) is not one the console runs on.
    The operators' rows are locked before the account's, in one order, so two
    operators disabling (or demoting) each other serialise and the second is refused.
    """
    if actor is not None and actor.pk == account.pk:
        raise error(self_code, username=account.username)
    if account.role == StaffRole.HELPDESK:
        _active_operators()
    account = locked(account)
    last = account.role == StaffRole.HELPDESK and account.state == S.ACTIVE
    if last and not _active_operators(exclude=account.pk):
        raise error("staff.last_helpdesk", username=account.username)
    return account


@transaction.atomic
def disable_account(account: Account, *, actor, reason: str = "", client_ip=None) -> Account:
    """The helpdesk disables an account (reversible); a person gives a reason (issue 12 §2).

    Disabling a disabled account changes nothing and writes nothing: a double
    click, or a second tab, serialises on the row lock and finds it done.
    """
    reason = checked_reason(reason, actor=actor)
    account = locked_keeping_an_operator(account, actor=actor, self_code="account.self")
    if account.state == S.DISABLED:
        return account
    return transition(
        account,
        S.DISABLED,
        "account.disabled",
        actor=actor,
        client_ip=client_ip,
        details={"reason": reason} if reason else None,
    )


def _usable_state(account: Account) -> str:
    """The state an account returns to: expired if past expiry, else by its password."""
    if account.is_past_expiry:
        return S.EXPIRED
    return S.ACTIVE if account.has_usable_password() else S.PENDING


@transaction.atomic
def enable_account(account: Account, *, actor, reason: str = "", client_ip=None) -> Account:
    """The helpdesk re-enables a disabled account; a person gives a reason (issue 12 §2).

    Enabling an account already usable again changes nothing and writes nothing,
    as disable does: a double click, or a second tab, finds it done. A retired
    account is never enabled (R6).
    """
    account = locked(account)
    if account.state == S.RETIRED:
        raise error(
            "account.transition", username=account.username, old=account.state, new=S.ACTIVE
        )
    if account.state != S.DISABLED:
        return account
    reason = checked_reason(reason, actor=actor)
    return transition(
        account,
        _usable_state(account),
        "account.enabled",
        actor=actor,
        client_ip=client_ip,
        details={"reason": reason} if reason else None,
    )


@transaction.atomic
def retire_account(account: Account, *, actor=None, reason: str = "", client_ip=None) -> Account:
    """R6: disabled for ever; never renewed, never reactivated; a person gives a reason.

    Nobody retires their own account, nor the last active helpdesk operator's.
    """
    reason = checked_reason(reason, actor=actor)
    account = locked_keeping_an_operator(account, actor=actor, self_code="account.self")
    return transition(
        account,
        S.RETIRED,
        "account.retired",
        actor=actor,
        client_ip=client_ip,
        details={"reason": reason} if reason else None,
    )
