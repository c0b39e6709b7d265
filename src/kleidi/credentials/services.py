"""Credential self-service: links, forgot password, set and change, sign-in.

Every function here is the one place its rule lives; the views and the
account service's `welcome_due` receiver only call them. Passwords pass
through as arguments and are hashed exactly once (Argon2) and handed to the
directory inside the same transaction; they are never stored, logged,
queued or audited. Tokens leave only inside the one message that carries
the link: the database keeps their SHA-256, and the message body only a
sealed placeholder that the outbox fills in at delivery (kleidi.linkseal).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Q, Subquery, Value, When
from django.db.models.functions import Lower
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from kleidi import linkseal
from kleidi.accounts.models import Account, AccountState
from kleidi.accounts.services import activate_account, store_password
from kleidi.audit.services import build_event, pseudonym, record, record_many
from kleidi.bulk import insert_rows
from kleidi.credentials import ratelimit
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.directory import services as directory
from kleidi.errors import error
from kleidi.notifications.services import (
    TO_CHARS,
    queue_message,
    queue_messages,
    schedule_delivery,
)

logger = logging.getLogger(__name__)

LINKABLE_STATES = frozenset({AccountState.ACTIVE, AccountState.PENDING})
LOGIN_REFUSED_CODES = {
    AccountState.EXPIRED: "login.expired",
    AccountState.DISABLED: "login.disabled",
    AccountState.RETIRED: "login.retired",
}
MAX_USERNAME = 64
MAX_EMAIL = 254


# --------------------------------------------------------------------------
# Tokens and links (R24)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh link: its sealed placeholder (for the message) and its token's hash.

    The token itself (256 bits, derived from a random nonce under a key the
    database does not hold) is only hashed here; the outbox derives it again
    when it sends the message.
    """
    sealed, raw = linkseal.seal()
    return sealed, hash_token(raw)


def link_url(sealed: str) -> str:
    """The link from BASE_URL, never from the request's Host header (R24), still sealed."""
    path = reverse("password-link", args=[sealed])
    prefix = get_script_prefix()
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return f"{settings.BASE_URL}{path}"


def lifetime(purpose: str) -> dt.timedelta:
    if purpose == LinkPurpose.ACTIVATION:
        return dt.timedelta(days=settings.ACTIVATION_LINK_DAYS)
    return dt.timedelta(minutes=settings.RESET_LINK_MINUTES)


def void_links(account: Account, *, now: dt.datetime, keep: LinkToken | None = None) -> int:
    """Void every outstanding link of the account (a newer link, a new password)."""
    outstanding = LinkToken.objects.filter(
        account=account, used_at__isnull=True, voided_at__isnull=True
    )
    if keep is not None:
        outstanding = outstanding.exclude(pk=keep.pk)
    return outstanding.update(voided_at=now)


def _store_link(account: Account, purpose: str, token_hash: str, now: dt.datetime) -> LinkToken:
    void_links(account, now=now)
    return LinkToken.objects.create(
        account=account,
        purpose=purpose,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + lifetime(purpose),
    )


def issue_link(account: Account, purpose: str, *, now: dt.datetime | None = None) -> str:
    """Store a new link for the account (voiding older ones) and return its sealed URL."""
    now = now or timezone.now()
    sealed, token_hash = new_token()
    _store_link(account, purpose, token_hash, now)
    return link_url(sealed)


def usable_link(token_hash: str | None, *, now: dt.datetime | None = None) -> LinkToken | None:
    """The link with this hash if it may still set a password, else None."""
    if not token_hash:
        return None
    now = now or timezone.now()
    token = (
        LinkToken.objects.select_related("account__person", "account__affiliation")
        .filter(token_hash=token_hash)
        .first()
    )
    if token is None or not token.is_usable(now):
        return None
    if token.account.effective_state not in LINKABLE_STATES:
        return None
    return token


# --------------------------------------------------------------------------
# Welcome (R3)


def send_welcome(account: Account, *, reason: str, now: dt.datetime | None = None) -> None:
    """Username and an activation link to the external email; never a password."""
    send_welcomes([account], reason=reason, now=now)


@transaction.atomic
def send_welcomes(accounts: list[Account], *, reason: str, now: dt.datetime | None = None) -> None:
    """R3 for many accounts at once: older links voided, tokens, messages and audit in bulk."""
    now = now or timezone.now()
    LinkToken.objects.filter(
        account__in=accounts, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=now)
    tokens, messages = [], []
    for account in accounts:
        sealed, token_hash = new_token()
        tokens.append(
            LinkToken(
                account=account,
                purpose=LinkPurpose.ACTIVATION,
                token_hash=token_hash,
                created_at=now,
                expires_at=now + lifetime(LinkPurpose.ACTIVATION),
            )
        )
        context = {
            "username": account.username,
            "link": link_url(sealed),
            "days": settings.ACTIVATION_LINK_DAYS,
            "reason": reason,
            "base_url": settings.BASE_URL,
        }
        messages.append((account.email, context, account))
    insert_rows(tokens)
    queue_messages("welcome", messages)
    record_many(
        [
            build_event(
                "link.issued",
                target=account,
                school=account.school,
                details={"purpose": LinkPurpose.ACTIVATION, "reason": reason},
            )
            for account in accounts
        ]
    )


# --------------------------------------------------------------------------
# Forgot password (R23)


@dataclass(frozen=True)
class ResetOutcome:
    """What happened; the page shows the same thing whatever it is (R23)."""

    sent: bool
    reason: str  # "sent", "unknown_username", "email_mismatch", "state"


def reset_limits(username: str, email: str, client_ip: str | None) -> list[ratelimit.Limit]:
    """Per account: the (username, email) pair typed; per address: every request.

    Only the right pair can send mail, so the pair's limit bounds the mails an
    account gets; wrong emails fill their own pairs' counters and cannot use
    up the member's. Every request counts the same way whether it matches or
    not, so a 429 says nothing about which email belongs to a username.
    """
    return [
        ratelimit.Limit("reset-account", f"{username}\n{email}", settings.RESET_RATE_PER_ACCOUNT),
        ratelimit.Limit("reset-address", client_ip or "-", settings.RESET_RATE_PER_ADDRESS),
    ]


def _find_account(username: str) -> Account | None:
    # LOWER(username) = %s uses the case-insensitive unique index on every backend.
    # No ORDER BY: the name is unique, and ordering would make SQLite scan.
    found = list(
        Account.objects.select_related("person", "school")
        .alias(username_lower=Lower("username"))
        .filter(username_lower=username)
        .order_by()[:1]
    )
    return found[0] if found else None


def _find_account_evenly(username: str) -> tuple[Account | None, Account | None]:
    """(the account, a stand-in): one query that loads one account row in every case.

    Without a match the row is a stand-in (the first account), so a known and
    an unknown username cost the same query, the same row conversion and the
    same model instances (R23 timing). The stand-in is only ever compared,
    never acted on: the first element is None for an unknown username.
    """
    first = Account.objects.order_by("pk").values("pk")[:1]
    found = list(
        Account.objects.select_related("person", "school")
        .alias(username_lower=Lower("username"))
        .alias(mismatch=Case(When(username_lower=username, then=Value(0)), default=Value(1)))
        .filter(Q(username_lower=username) | Q(pk=Subquery(first)))
        .order_by("mismatch")[:1]
    )
    row = found[0] if found else None
    return (row if row is not None and row.username.lower() == username else None), row


def _judge_reset(username: str, email: str) -> tuple[Account | None, str]:
    """R23: the account and the outcome, with the same steps whatever the outcome."""
    account, row = _find_account_evenly(username)
    stored_email = (row.person.email_key if row is not None and row.person_id else "") or ""
    email_ok = hmac.compare_digest(stored_email.encode(), email.encode()) and bool(stored_email)
    state_ok = row is not None and row.effective_state in LINKABLE_STATES
    if account is None:
        return None, "unknown_username"
    if not email_ok:
        return account, "email_mismatch"
    if not state_ok:
        return account, "state"
    return account, "sent"


def request_reset(
    username: str, email: str, *, client_ip: str | None = None, now: dt.datetime | None = None
) -> ResetOutcome:
    """R23: a link goes out only when username and email match an active or pending account.

    The work does not depend on the outcome, so neither does the time: the
    same rate-limit counters, the same account lookup, a token made and
    hashed, the message rendered, the same UPDATE and INSERTs, one audit row
    and one delivery request in every case. Only a match keeps the link and
    the message; a refusal writes them in a savepoint and rolls it back.
    """
    now = now or timezone.now()
    username = username.strip().lower()[:MAX_USERNAME]
    email = email.strip().lower()[:MAX_EMAIL]
    try:
        ratelimit.hit(reset_limits(username, email, client_ip), now=now)
    except ratelimit.RateLimited as exc:
        if exc.first:
            record(
                "password.reset_refused",
                client_ip=client_ip,
                details={
                    "reason": "rate_limited",
                    "username": pseudonym(username),
                    "scopes": exc.scopes,
                },
            )
        raise

    account, reason = _judge_reset(username, email)
    sent = reason == "sent"

    sealed, token_hash = new_token()
    context = {
        "username": account.username if account else username,
        "link": link_url(sealed),
        "minutes": settings.RESET_LINK_MINUTES,
        "pending": bool(account) and account.state == AccountState.PENDING,
        "requested_at": now,
        "base_url": settings.BASE_URL,
    }
    with transaction.atomic():
        if sent:
            _store_link(account, LinkPurpose.RESET, token_hash, now)
            queue_message("reset", to=account.email, account=account, context=context)
            record(
                "password.reset_requested",
                client_ip=client_ip,
                target=account,
                school=account.school,
                details={"state": account.state},
            )
        else:
            _shadow_reset(account, email, token_hash, context, now)
            details = {"reason": reason, "username": pseudonym(username)}
            if reason == "state":
                details["state"] = account.effective_state
            record(
                "password.reset_refused",
                client_ip=client_ip,
                target=account,
                school=account.school if account else None,
                details=details,
            )
            transaction.on_commit(schedule_delivery)
    return ResetOutcome(sent=sent, reason=reason)


class _Discard(Exception):
    """Rolls back the shadow writes of a refused reset."""


def _shadow_reset(account, email: str, token_hash: str, context: dict, now) -> None:
    """A refused request does a match's work, then rolls it back (R23 timing).

    The same UPDATE of outstanding links (of no account), the same INSERTs
    and message rendering through the same services, inside a savepoint that
    is rolled back, so nothing remains (nor its delivery, queued on commit).
    Foreign keys are checked at commit, which never comes.
    """
    LinkToken.objects.filter(account_id=0, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now
    )
    try:
        with transaction.atomic():
            LinkToken.objects.create(
                account_id=account.pk if account else 0,
                purpose=LinkPurpose.RESET,
                token_hash=token_hash,
                created_at=now,
                expires_at=now,
            )
            queue_message("reset", to=email[:TO_CHARS], context=context)
            raise _Discard
    except _Discard:
        pass


# --------------------------------------------------------------------------
# Setting a password (R26)


def _apply_password(
    account: Account,
    password: str,
    *,
    action: str,
    client_ip: str | None,
    now: dt.datetime,
    details: dict | None = None,
) -> Account:
    """Hash once, void links, audit, confirm by mail, activate; the directory last.

    Runs inside the caller's transaction with the account row locked. Other
    sessions end because Django ties each session to the password hash.
    """
    store_password(account, password, now=now)
    void_links(account, now=now)
    if account.state == AccountState.PENDING:
        activate_account(account, actor=account, client_ip=client_ip)
        account.refresh_from_db(fields=["state", "state_changed_at"])
    record(
        action,
        actor=account,
        client_ip=client_ip,
        target=account,
        school=account.school,
        details=details or {},
    )
    if account.email:
        queue_message(
            "password_changed",
            to=account.email,
            account=account,
            context={
                "username": account.username,
                "changed_at": now,
                "base_url": settings.BASE_URL,
            },
        )
    try:
        directory.set_password(account, password)
    except ValidationError:
        raise
    except Exception:
        logger.exception("directory refused the password of account %s", account.pk)
        raise error("password.directory_refused") from None
    return account


def _locked_account(pk: int) -> Account:
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("person", "school", "affiliation")
        .get(pk=pk)
    )


def complete_link(
    token_hash: str, password: str, *, client_ip: str | None = None, now: dt.datetime | None = None
) -> Account:
    """R24, R26: set the password through a link; the link is used up.

    Raises `link.invalid` when the link is unknown, used, voided, expired or
    its account can no longer have a password set, and then changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        token = (
            LinkToken.objects.select_for_update().filter(token_hash=token_hash).first()
            if token_hash
            else None
        )
        if token is None or not token.is_usable(now):
            raise error("link.invalid")
        account = _locked_account(token.account_id)
        if account.effective_state not in LINKABLE_STATES:
            raise error("link.invalid")
        token.used_at = now
        token.save(update_fields=["used_at"])
        action = (
            "password.initialised"
            if token.purpose == LinkPurpose.ACTIVATION
            else "password.reset_completed"
        )
        return _apply_password(
            account,
            password,
            action=action,
            client_ip=client_ip,
            now=now,
            details={"purpose": token.purpose},
        )


# --------------------------------------------------------------------------
# Sign-in and change (R27)


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
    username = username.strip().lower()[:MAX_USERNAME]
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
    account = _find_account(username)
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


def change_password(
    account: Account, password: str, *, client_ip: str | None = None, now=None
) -> Account:
    """R26, R27: a signed-in member sets a new password (the current one was checked)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_account(account.pk)
        if not locked.is_active:
            raise error(LOGIN_REFUSED_CODES.get(locked.effective_state, "login.failed"))
        return _apply_password(
            locked, password, action="password.changed", client_ip=client_ip, now=now
        )
