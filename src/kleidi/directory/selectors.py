"""Reading the directory's state for people: the console's panel and the dashboard (R28, §5).

Nothing here talks to LDAP: the worker records what it last did in
`DirectoryState` and what is still to do is the `DirectoryChange` queue, so a
console page or a dashboard costs a few indexed queries and works while the
directory is down. The directory's own view (drift) comes from the latest
reconcile run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from kleidi.directory import models

OFF = "off"
NEVER = "never"
PENDING = "pending"
IN_SYNC = "in_sync"
FAILING = "failing"
STATES = (NEVER, PENDING, IN_SYNC, FAILING)


@dataclass(frozen=True)
class Status:
    """One account's directory state, as the helpdesk reads it."""

    state: str
    synced_at: dt.datetime | None = None
    pending: int = 0
    oldest_pending_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str = ""
    last_error_at: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None
    # A worker holds the account right now (its lease has not expired).
    claimed: bool = False

    @property
    def enabled(self) -> bool:
        return self.state != OFF


def account_status(account) -> Status:
    """Off, never synced, pending changes, in sync since, or failing (with the last error).

    Failing wins over pending: a failing account has changes waiting too, and
    what the helpdesk needs first is why they do not get through.
    """
    if not settings.LDAP_ENABLED:
        return Status(OFF)
    queue = models.DirectoryChange.objects.filter(account_id=account.pk).aggregate(
        pending=Count("pk"), oldest=Min("created_at")
    )
    state = models.DirectoryState.objects.filter(account_id=account.pk).first()
    pending, oldest = queue["pending"], queue["oldest"]
    if state is None:
        return Status(_state_key(None, bool(pending)), pending=pending, oldest_pending_at=oldest)
    now = timezone.now()
    common = {
        "synced_at": state.synced_at,
        "pending": pending,
        "oldest_pending_at": oldest,
        "attempts": state.attempts,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "next_attempt_at": state.next_attempt_at,
        "claimed": state.claimed_until is not None and state.claimed_until > now,
    }
    return Status(_state_key(state, bool(pending)), **common)


def _state_key(state, pending: bool) -> str:
    """Failing, pending, in sync or never: the one order both the page and the list use."""
    if state is not None and state.attempts:
        return FAILING
    if pending:
        return PENDING
    if state is not None and state.synced_at is not None:
        return IN_SYNC
    return NEVER


def _pending(outer: str = "pk"):
    return Exists(models.DirectoryChange.objects.filter(account_id=OuterRef(outer)))


def with_state(queryset: QuerySet) -> QuerySet:
    """Accounts annotated for a list column: one query for the page, no query per row."""
    return queryset.select_related("directory_state").annotate(directory_pending=_pending())


def row_state(account) -> str:
    """The state key of an account from `with_state` (same rules as `account_status`)."""
    if not settings.LDAP_ENABLED:
        return OFF
    state = getattr(account, "directory_state", None)
    return _state_key(state, bool(getattr(account, "directory_pending", False)))


def filter_state(queryset: QuerySet, key: str) -> QuerySet:
    """Accounts in one directory state, for the account list's filter."""
    failing = Q(directory_state__attempts__gt=0)
    pending = _pending()
    if key == FAILING:
        return queryset.filter(failing)
    if key == PENDING:
        return queryset.filter(pending).exclude(failing)
    if key == IN_SYNC:
        return (
            queryset.filter(directory_state__synced_at__isnull=False)
            .exclude(failing)
            .exclude(pending)
        )
    if key == NEVER:
        return (
            queryset.filter(
                Q(directory_state__isnull=True) | Q(directory_state__synced_at__isnull=True)
            )
            .exclude(failing)
            .exclude(pending)
        )
    return queryset


def backlog(now: dt.datetime | None = None) -> dict:
    """The queue's backlog and the latest reconcile's drift, for the dashboard and `status`.

    `oldest_pending_seconds` is the age of the oldest change still queued
    (0 when the queue is empty): the figure to alert on.
    """
    now = now or timezone.now()
    if not settings.LDAP_ENABLED:
        return {"enabled": False}
    queue = models.DirectoryChange.objects.aggregate(
        accounts=Count("account_id", distinct=True), changes=Count("pk"), oldest=Min("created_at")
    )
    oldest = queue["oldest"]
    return {
        "enabled": True,
        "pending_accounts": queue["accounts"],
        "pending_changes": queue["changes"],
        "failing_accounts": models.DirectoryState.objects.filter(attempts__gt=0).count(),
        "oldest_pending_at": oldest.isoformat() if oldest else None,
        "oldest_pending_seconds": max(0, int((now - oldest).total_seconds())) if oldest else 0,
        "reconcile": latest_reconcile(),
    }


def latest_reconcile() -> dict | None:
    """The counts of the latest finished reconcile run, or None before the first."""
    run = models.ReconcileRun.objects.exclude(finished_at=None).order_by("-pk").first()
    if run is None:
        return None
    return {
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "fix": run.fix,
        "counts": dict(run.counts or {}),
    }


def state_counts(accounts: QuerySet) -> dict[str, int]:
    """{state key: n} of `accounts` with the rules of `filter_state` (one query).

    The dashboard's directory figures for the viewer's scope; each number is
    the count of the account list filtered by `?directory=<key>`.
    """
    failing = Q(directory_state__attempts__gt=0)
    not_failing = Q(directory_state__isnull=True) | Q(directory_state__attempts=0)
    pending = Q(directory_pending=True)
    synced = Q(directory_state__synced_at__isnull=False)
    counts = (
        accounts.annotate(directory_pending=_pending())
        .order_by()
        .aggregate(
            **{
                FAILING: Count("pk", filter=failing),
                PENDING: Count("pk", filter=pending & not_failing),
                IN_SYNC: Count("pk", filter=synced & not_failing & ~pending),
                NEVER: Count("pk", filter=~synced & not_failing & ~pending),
            }
        )
    )
    return {key: counts[key] for key in STATES}
