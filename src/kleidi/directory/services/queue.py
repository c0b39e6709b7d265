"""The directory change queue's writer (R28): one row per changed account, in its transaction.

The rows are written with one INSERT for a whole sheet (`kleidi.bulk`), and
once the transaction commits a worker task is asked to converge them; a
rolled-back change leaves no row and asks for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.bulk import insert_values
from kleidi.directory.models import DirectoryChange


def queue_accounts(account_ids: Iterable[int], reason: str) -> int:
    """One change row per account (none when the directory is off); returns how many."""
    if not settings.LDAP_ENABLED:
        return 0
    ids = sorted({pk for pk in account_ids if pk is not None})
    if not ids:
        return 0
    now = timezone.now()
    insert_values(
        DirectoryChange,
        ["account_id", "reason", "created_at"],
        [(pk, reason[:64], now) for pk in ids],
    )
    transaction.on_commit(_schedule)
    return len(ids)


def queue_people(person_ids: Iterable[int], reason: str) -> int:
    """One change row for each account of these people."""
    from kleidi.accounts.models import Account

    ids = {pk for pk in person_ids if pk is not None}
    if not ids or not settings.LDAP_ENABLED:
        return 0
    accounts = Account.objects.filter(person_id__in=ids).values_list("pk", flat=True)
    return queue_accounts(list(accounts), reason)


def queue_school(school_id: int, reason: str) -> int:
    """One change row for each account of this school."""
    from kleidi.accounts.models import Account

    if not settings.LDAP_ENABLED:
        return 0
    accounts = Account.objects.filter(school_id=school_id).values_list("pk", flat=True)
    return queue_accounts(list(accounts), reason)


def _schedule() -> None:
    from kleidi.directory.tasks import schedule_sync

    schedule_sync()
