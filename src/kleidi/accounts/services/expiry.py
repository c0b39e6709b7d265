"""The nightly lifecycle (R21): expire what is past its date, remind before it is."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import (
    RENEWABLE_KINDS,
    Account,
)
from kleidi.accounts.services.transitions import (
    S,
    end_of_day,
    local_today,
    locked,
    transition,
)
from kleidi.audit.services import record
from kleidi.notifications.services import queue_message


def expire_due_accounts(*, now: dt.datetime | None = None) -> list[str]:
    """R21 nightly: mark every account past its expiry as expired; return the usernames."""
    now = now or timezone.now()
    due = Account.objects.filter(
        state__in=[S.ACTIVE, S.PENDING], expires_at__isnull=False, expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        with transaction.atomic():
            account = locked(Account(pk=pk))
            if account.state in (S.ACTIVE, S.PENDING) and account.expires_at <= now:
                transition(account, S.EXPIRED, "account.expired")
                expired.append(account.username)
    return expired


def send_expiry_reminders(*, today: dt.date | None = None) -> list[tuple[str, int]]:
    """R21: remind members (and supervisors) 30 and 7 days before expiry, once each."""
    today = today or local_today()
    sent = []
    for days in sorted(settings.EXPIRY_REMINDER_DAYS, reverse=True):
        day_end = end_of_day(today + dt.timedelta(days=days))
        candidates = Account.objects.filter(
            state__in=[S.ACTIVE, S.PENDING],
            expires_at__gt=day_end - dt.timedelta(days=1),
            expires_at__lte=day_end,
        ).select_related("person", "affiliation")
        for account in candidates:
            if account.last_expiry_reminder_days is not None and (
                account.last_expiry_reminder_days <= days
            ):
                continue
            with transaction.atomic():
                _remind(account, days)
            sent.append((account.username, days))
    return sent


def _remind(account: Account, days: int) -> None:
    expiry_day = (account.expires_at - dt.timedelta(seconds=1)).astimezone(
        timezone.get_default_timezone()
    )
    context = {"account": account, "days": days, "expiry": expiry_day.date()}
    if account.email:
        queue_message("expiry_reminder", to=account.email, account=account, context=context)
    affiliation = account.affiliation
    if account.kind in RENEWABLE_KINDS and affiliation and affiliation.supervisor_email:
        queue_message(
            "expiry_reminder_supervisor",
            to=affiliation.supervisor_email,
            account=account,
            context={**context, "supervisor_name": affiliation.supervisor_name},
        )
    account.last_expiry_reminder_days = days
    account.save(update_fields=["last_expiry_reminder_days"])
    record(
        "account.expiry_reminder",
        target=account,
        school=account.school,
        details={"days": days},
    )
