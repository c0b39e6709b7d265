"""The welcome message of a new account (R3): its username and an activation link."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account
from kleidi.audit.services import event_row, record_many
from kleidi.bulk import insert_values
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.services.links import lifetime, link_urls, new_token
from kleidi.notifications.services import write_messages


def send_welcome(account: Account, *, reason: str, now: dt.datetime | None = None) -> None:
    """Username and an activation link to the external email; never a password."""
    send_welcomes([account], reason=reason, now=now)


@transaction.atomic
def send_welcomes(accounts: list[Account], *, reason: str, now: dt.datetime | None = None) -> None:
    """R3 for many accounts at once: older links voided, tokens, messages and audit in bulk."""
    now = now or timezone.now()
    LinkToken.objects.filter(
        account_id__in=[account.pk for account in accounts],
        used_at__isnull=True,
        voided_at__isnull=True,
    ).update(voided_at=now)
    seals = [new_token() for _ in accounts]
    links = link_urls([sealed for sealed, _ in seals])
    expires_at = now + lifetime(LinkPurpose.ACTIVATION)
    activation = LinkPurpose.ACTIVATION.value
    insert_values(
        LinkToken,
        ("account", "purpose", "token_hash", "created_at", "expires_at", "used_at", "voided_at"),
        [
            (account.pk, activation, token_hash, now, expires_at, None, None)
            for account, (_, token_hash) in zip(accounts, seals, strict=True)
        ],
    )
    constant = {
        "days": settings.ACTIVATION_LINK_DAYS,
        "reason": reason,
        "base_url": settings.BASE_URL,
    }
    write_messages(
        "welcome",
        [
            (account.email, {"username": account.username, "link": link, **constant}, account)
            for account, link in zip(accounts, links, strict=True)
        ],
    )
    record_many(
        [
            event_row(
                "link.issued",
                target=account,
                school=account.school,
                details={"purpose": LinkPurpose.ACTIVATION, "reason": reason},
            )
            for account in accounts
        ]
    )
