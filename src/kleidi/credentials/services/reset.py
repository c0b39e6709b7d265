"""Forgot password (R23): a link only for the right username and email, told to no one.

The page says the same whatever happened, and the work (and so the time)
does not depend on the outcome either.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account, AccountState
from kleidi.audit.services import pseudonym, record
from kleidi.credentials import ratelimit
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.services.links import LINKABLE_STATES, link_url, new_token, store_link
from kleidi.credentials.services.lookup import MAX_EMAIL, find_account_evenly, typed_username
from kleidi.notifications.services import TO_CHARS, queue_message, schedule_delivery


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


def _judge_reset(username: str, email: str) -> tuple[Account | None, str]:
    """R23: the account and the outcome, with the same steps whatever the outcome."""
    account, row = find_account_evenly(username)
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
    username = typed_username(username)
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
            store_link(account, LinkPurpose.RESET, token_hash, now)
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
