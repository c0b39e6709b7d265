"""Links that set a password (R24): tokens, their hashes, URLs and lifetimes.

A token is 256 bits derived by kleidi.linkseal; the database keeps only its
SHA-256, and a newer link voids the older ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from kleidi import linkseal
from kleidi.accounts.models import Account, AccountState
from kleidi.credentials.models import LinkPurpose, LinkToken

LINKABLE_STATES = frozenset({AccountState.ACTIVE, AccountState.PENDING})


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


def link_urls(sealed: list[str]) -> list[str]:
    """`link_url` of each placeholder, reversing the URL once (a sheet sends thousands).

    Every placeholder has the same shape (linkseal's pattern, all characters
    that a URL keeps as they are), so each link is the first one with its
    placeholder swapped; one of another shape goes through `link_url`.
    """
    if not sealed:
        return []
    first = link_url(sealed[0])
    head, found, tail = first.partition(sealed[0])
    if not found or sealed[0] in tail or not linkseal.is_placeholder(sealed[0]):
        return [link_url(s) for s in sealed]
    return [f"{head}{s}{tail}" if linkseal.is_placeholder(s) else link_url(s) for s in sealed]


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


def store_link(account: Account, purpose: str, token_hash: str, now: dt.datetime) -> LinkToken:
    """The one live link of the account: older ones are voided first."""
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
    store_link(account, purpose, token_hash, now)
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
