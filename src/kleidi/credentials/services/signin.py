"""Sign-in (R27): the attempt counted before any hash, the state told only to the owner."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from kleidi.accounts.models import Account, AccountState
from kleidi.audit.services import pseudonym, record
from kleidi.credentials import ratelimit
from kleidi.credentials.services.lookup import find_account, typed_username
from kleidi.errors import error

LOGIN_REFUSED_CODES = {
    AccountState.EXPIRED: "login.expired",
    AccountState.DISABLED: "login.disabled",
    AccountState.RETIRED: "login.retired",
}


def login_limits(username: str, client_ip: str | None) -> list[ratelimit.Limit]:
    return [
        ratelimit.Limit(
            "login-account", username, settings.LOGIN_RATE_PER_ACCOUNT, ratelimit.QUARTER
        ),
        ratelimit.Limit(
            "login-address", client_ip or "-", settings.LOGIN_RATE_PER_ADDRESS, ratelimit.QUARTER
        ),
    ]


def _failed_sign_in(
    username: str, account: Account | None, client_ip: str | None, *, via: str
) -> ValidationError:
    """Audit a wrong password; an unknown username is kept only as a pseudonym."""
    details = {"via": via}
    if account is None:
        details["username"] = pseudonym(username)
    record(
        "login.failed",
        client_ip=client_ip,
        target=account,
        school=account.school if account else None,
        details=details,
    )
    return error("password.incorrect" if via == "change" else "login.failed")


def sign_in(
    username: str, password: str, *, client_ip: str | None = None, now: dt.datetime | None = None
) -> Account:
    """R27: count the attempt, check the password, then the state; failures are audited.

    The attempt is counted atomically before any hash is computed, and given
    back when the password is right, so concurrent guesses never outrun the
    limit. The state of an expired, disabled or retired account is told only
    after the right password, so strangers learn nothing. Unknown usernames
    cost one Argon2 hash too, so the time does not tell which usernames exist.
    """
    now = now or timezone.now()
    username = typed_username(username)
    try:
        counted = ratelimit.hit(login_limits(username, client_ip), now=now)
    except ratelimit.RateLimited as exc:
        if exc.first:
            record(
                "login.throttled",
                client_ip=client_ip,
                details={"username": pseudonym(username), "scopes": exc.scopes},
            )
        raise
    account = find_account(username)
    if account is None:
        make_password(password)
        raise _failed_sign_in(username, None, client_ip, via="login")
    if not account.check_password(password):
        raise _failed_sign_in(username, account, client_ip, via="login")
    ratelimit.refund(counted)
    state = account.effective_state
    if state in LOGIN_REFUSED_CODES:
        record(
            "login.refused",
            client_ip=client_ip,
            target=account,
            school=account.school,
            details={"state": state},
        )
        raise error(LOGIN_REFUSED_CODES[state])
    if not account.is_active:
        raise _failed_sign_in(username, account, client_ip, via="login")
    return account


def check_current_password(
    account: Account, password: str, *, client_ip: str | None = None, now=None
) -> None:
    """R27: the current password before a change, counted and throttled like a sign-in."""
    now = now or timezone.now()
    counted = ratelimit.hit(login_limits(account.username, client_ip), now=now)
    if not account.check_password(password):
        raise _failed_sign_in(account.username, account, client_ip, via="change")
    ratelimit.refund(counted)
