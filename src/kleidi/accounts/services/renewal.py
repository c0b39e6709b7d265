"""Reactivation (R17) and renewal (R20): a new expiry for an earlier account."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from kleidi.accounts.models import (
    RENEWABLE_KINDS,
    Account,
    AccountKind,
)
from kleidi.accounts.services.transitions import S, end_of_day, local_today, locked, transition
from kleidi.accounts.signals import welcome_due
from kleidi.errors import error
from kleidi.notifications.services import queue_message


def can_reactivate(account: Account) -> bool:
    """R6, R17: may this earlier account come back for its person?

    Undergraduate and retired accounts never do; a disabled one is the
    helpdesk's call (it enables the account first). Every caller asks here:
    the sheets' dry run and `reactivate_account`.
    """
    return account.kind != AccountKind.UNDERGRADUATE and account.state not in (
        S.RETIRED,
        S.DISABLED,
    )


@transaction.atomic
def reactivate_account(
    account: Account,
    *,
    expires_at: dt.datetime,
    affiliation=None,
    actor=None,
    client_ip=None,
) -> Account:
    """R17: an earlier postgraduate/PhD/other account of the same person comes back.

    It keeps its username, gets the new expiry and a new initialisation link.
    The old password stops working: the account is pending until the member
    sets a new one through the link (docs/lifecycle.md says why).
    """
    account = locked(account)
    if not can_reactivate(account):
        raise error("account.not_reactivatable", value=account.username)
    account.expires_at = expires_at
    fields = ["expires_at", "password"]
    if affiliation is not None:
        account.affiliation = affiliation
        account.kind = affiliation.kind
        account.school = affiliation.school
        fields += ["affiliation", "kind", "school"]
    account.set_unusable_password()
    transition(
        account,
        S.PENDING,
        "account.reactivated",
        actor=actor,
        client_ip=client_ip,
        details={"expires_at": expires_at.isoformat()},
        extra_fields=tuple(fields),
    )
    if account.person_id and account.person.external_email:
        welcome_due.send(sender=Account, accounts=[account], reason="reactivated")
    return account


def check_renewal(account: Account, new_expiry: dt.date, *, today: dt.date | None = None) -> None:
    """R20 checks, shared by the renewal sheet and any single renewal."""
    today = today or local_today()
    if account.kind not in RENEWABLE_KINDS:
        raise error("account.not_renewable", value=account.username)
    if account.state == S.RETIRED:
        raise error("account.retired", username=account.username)
    if new_expiry <= today:
        raise error("date.past", value=new_expiry.isoformat())
    limit = add_years(today, settings.RENEWAL_MAX_YEARS)
    if new_expiry > limit:
        raise error(
            "expiry.too_far", value=new_expiry.isoformat(), years=settings.RENEWAL_MAX_YEARS
        )


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def renew_account(account: Account, *, new_expiry: dt.date, actor=None, client_ip=None) -> Account:
    """R20: a new expiry date; an expired account is re-enabled; the member is told."""
    account = locked(account)
    check_renewal(account, new_expiry)
    old_expiry = account.expires_at
    account.expires_at = end_of_day(new_expiry)
    account.last_expiry_reminder_days = None
    new_state = account.state
    if account.state == S.EXPIRED:
        new_state = S.ACTIVE if account.has_usable_password() else S.PENDING
    transition(
        account,
        new_state,
        "account.renewed",
        actor=actor,
        client_ip=client_ip,
        details={
            "old_expiry": old_expiry.isoformat() if old_expiry else None,
            "new_expiry": account.expires_at.isoformat(),
        },
        extra_fields=("expires_at", "last_expiry_reminder_days"),
    )
    if account.email:
        queue_message(
            "renewal",
            to=account.email,
            account=account,
            context={"account": account, "expiry": new_expiry, "base_url": settings.BASE_URL},
        )
    return account
