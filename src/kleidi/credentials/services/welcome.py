"""The welcome message of a new account (R3): its username and an activation link."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account
from kleidi.audit.services import build_event, record_many
from kleidi.bulk import insert_rows
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.services.links import lifetime, link_url, new_token
from kleidi.notifications.services import queue_messages


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
