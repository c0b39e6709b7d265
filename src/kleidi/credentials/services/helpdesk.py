"""The helpdesk sends a member a new link (issue 12 §2): activation or reset, never a password.

A pending account gets a new welcome (its username and an activation link,
R3); an active one a reset link (R24), both to the external email on record
(R1). Expired, disabled and retired accounts get nothing (`link.state`), and
an account with no external email nothing either (`link.no_email`). Only an
operator who may change accounts, for an account of a school it acts for,
sends one (`permission.school`; the console shows another school's account
as "not found" before it gets here).

The machinery is the member's own: `issue_link` voids every older link and
keeps only the new token's hash, and the message carries a sealed
placeholder that the outbox fills in at delivery, so nothing readable rests
anywhere. The event `link.issued` names the purpose, the operator (its actor)
and the masked address; never the token.

A double click, or two tabs, must not mail the member twice: the account row
is locked, and if a link still usable was issued less than
`COALESCE_SECONDS` ago (by the helpdesk, the member's own "forgot password",
or a welcome), nothing more is sent and the outcome says so (`sent=False`,
with the time the live link went out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account, AccountState
from kleidi.accounts.selectors import can_act_for_school, is_helpdesk
from kleidi.accounts.services.transitions import locked
from kleidi.audit.services import record
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.services.links import issue_link
from kleidi.errors import error
from kleidi.notifications.services import queue_message

COALESCE_SECONDS = 60

PURPOSE_BY_STATE = {
    AccountState.PENDING: LinkPurpose.ACTIVATION,
    AccountState.ACTIVE: LinkPurpose.RESET,
}


@dataclass(frozen=True)
class LinkOutcome:
    """What the page tells the operator: which link, to which (masked) address, and when."""

    purpose: str
    to: str
    sent: bool
    at: dt.datetime


def mask_email(address: str) -> str:
    """`gi…@example.com`: enough for the member on the phone to recognise, no more."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return "…"
    return f"{local[:2]}…@{domain}"


def may_send_links(actor) -> bool:
    """The helpdesk (accounts.change_account); a secretariat only reads the page."""
    return actor is not None and actor.has_perm("accounts.change_account")


def _check_scope(account: Account, actor) -> None:
    if not may_send_links(actor):
        raise error("permission.school")
    if account.school_id is None:
        allowed = is_helpdesk(actor)
    else:
        allowed = can_act_for_school(actor, account.school)
    if not allowed:
        raise error("permission.school")


@transaction.atomic
def send_link_for(
    account: Account, *, actor, client_ip: str | None = None, now: dt.datetime | None = None
) -> LinkOutcome:
    """Issue 12 §2: a new activation (pending) or reset (active) link to the external email."""
    now = now or timezone.now()
    account = locked(account)
    _check_scope(account, actor)
    state = account.effective_state
    purpose = PURPOSE_BY_STATE.get(state)
    if purpose is None:
        # The lazy label: the message reads in the language it is shown in, not raised in.
        label = AccountState(state).label
        raise error("link.state", username=account.username, state=state, label=label)
    address = account.email
    if not address:
        raise error("link.no_email", username=account.username)
    masked = mask_email(address)
    recent = (
        LinkToken.objects.filter(
            account=account,
            used_at__isnull=True,
            voided_at__isnull=True,
            created_at__gt=now - dt.timedelta(seconds=COALESCE_SECONDS),
            expires_at__gt=now,
        )
        .order_by("-created_at")
        .first()
    )
    if recent is not None:
        return LinkOutcome(purpose=recent.purpose, to=masked, sent=False, at=recent.created_at)
    link = issue_link(account, purpose, now=now)
    if purpose == LinkPurpose.ACTIVATION:
        context = {
            "username": account.username,
            "link": link,
            "days": settings.ACTIVATION_LINK_DAYS,
            "reason": "resent",
            "base_url": settings.BASE_URL,
        }
        template = "welcome"
    else:
        context = {
            "username": account.username,
            "link": link,
            "minutes": settings.RESET_LINK_MINUTES,
            "pending": False,
            "requested_at": now,
            "base_url": settings.BASE_URL,
        }
        template = "reset"
    queue_message(template, to=address, account=account, context=context)
    record(
        "link.issued",
        actor=actor,
        client_ip=client_ip,
        target=account,
        school=account.school,
        details={"purpose": purpose.value, "reason": "helpdesk", "to": masked},
    )
    return LinkOutcome(purpose=purpose.value, to=masked, sent=True, at=now)
