"""Converging queued accounts (R28): claim, converge with no transaction open, record.

The body of the directory task (`kleidi.directory.tasks`, which decides when
it runs) and of "push now" / `reconcile --fix` (`converge_now`); with the
services it is the only writer of the queue and of `DirectoryState`.

- Claim: the accounts that have change rows, whose retry time has come and
  that no worker holds, up to `KLEIDI_LDAP_SYNC_BATCH`, each with a lease
  (`claimed_until`), in one short transaction (PostgreSQL: `SKIP LOCKED`, so
  workers take disjoint batches; SQLite: `BEGIN IMMEDIATE`, one writer). The
  change rows seen are remembered by id.
- Converge: `kleidi.directory.converge`, from Kleidi's data as it is now, so
  fifty rows for one account cost one convergence, and their order cannot matter.
- Record: converged -> its seen rows deleted (rows queued meanwhile stay and
  cause another pass), in sync since now; refused or unreachable -> the rows
  stay, the attempt is counted and the next one waits (doubling, capped). An
  account is retried for ever: nothing is lost while the directory is down.
  A worker records only what it still holds a lease on; a killed worker's
  accounts are taken again once the lease ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django_tasks_db.utils import retry

from kleidi.bulk import insert_values
from kleidi.directory.connection import DirectoryUnavailable, service_connection
from kleidi.directory.converge import Drift, EntryRefused, converge
from kleidi.directory.mapping import accounts_for_directory
from kleidi.directory.models import DirectoryChange, DirectoryState

logger = logging.getLogger(__name__)

# How long a worker holds the accounts it claimed: longer than a batch takes.
LEASE = dt.timedelta(minutes=5)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# Statements with an IN list stay below SQLite's variable limit.
CHUNK = 500
# A claim creates the states of up to this many batches of newly queued accounts.
FRESH_BATCHES = 20


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th consecutive failure: doubling from the base, capped."""
    seconds = settings.LDAP_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.LDAP_RETRY_MAX_SECONDS))


@dataclass
class Claim:
    """What one worker holds: the lease's end and, per account, the change rows it saw."""

    lease_until: dt.datetime
    changes: dict[int, list[int]] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)

    @property
    def account_ids(self) -> list[int]:
        return sorted(self.changes)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pending():
    return DirectoryChange.objects.filter(account_id=OuterRef("account_id"))


def _due(now: dt.datetime) -> Q:
    return (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def _create_states(account_ids: Iterable[int]) -> None:
    DirectoryState.objects.bulk_create(
        [DirectoryState(account_id=pk) for pk in account_ids], ignore_conflicts=True
    )


def _hold(ids: list[int], lease_until: dt.datetime) -> Claim:
    """Lease these accounts (inside the caller's transaction) and note their change rows."""
    claim = Claim(lease_until=lease_until)
    for chunk in _chunks(ids):
        DirectoryState.objects.filter(account_id__in=chunk).update(claimed_until=lease_until)
        for pk, attempts in DirectoryState.objects.filter(account_id__in=chunk).values_list(
            "account_id", "attempts"
        ):
            claim.attempts[pk] = attempts
        seen: dict[int, list[int]] = defaultdict(list)
        for change_id, pk in DirectoryChange.objects.filter(account_id__in=chunk).values_list(
            "id", "account_id"
        ):
            seen[pk].append(change_id)
        for pk in chunk:
            claim.changes[pk] = seen.get(pk, [])
    return claim


@retry(retries=5, backoff_delay=0.5)
def claim_due(limit: int, now: dt.datetime) -> Claim:
    """Take up to `limit` due accounts for this worker, in one short transaction."""
    with transaction.atomic():
        # States for newly queued accounts, many batches' worth at once, so that
        # workers claiming at the same moment find different accounts to take.
        fresh = (
            DirectoryChange.objects.filter(account__directory_state__isnull=True)
            .order_by("account_id")
            .values_list("account_id", flat=True)
            .distinct()[: limit * FRESH_BATCHES]
        )
        for chunk in _chunks(list(fresh), 2000):
            _create_states(chunk)
        ids = list(
            DirectoryState.objects.select_for_update(skip_locked=True)
            .filter(_due(now), Exists(_pending()))
            .order_by("account_id")
            .values_list("account_id", flat=True)[:limit]
        )
        return _hold(ids, now + LEASE)


@retry(retries=5, backoff_delay=0.5)
def _take_over(account_ids: list[int], now: dt.datetime) -> Claim:
    """Lease these accounts now (push now, reconcile --fix), except those a worker holds.

    A worker's lease is never taken from it: it may be about to write what it
    read before the latest change. Such accounts get a fresh change row
    instead, which the worker's recording leaves in place (it removes only the
    rows it saw), so one more pass converges them after it.
    """
    with transaction.atomic():
        busy: set[int] = set()
        for chunk in _chunks(account_ids):
            _create_states(chunk)
            busy.update(
                DirectoryState.objects.select_for_update()
                .filter(account_id__in=chunk, claimed_until__gt=now)
                .values_list("account_id", flat=True)
            )
        if busy:
            insert_values(
                DirectoryChange,
                ["account_id", "reason", "created_at"],
                [(pk, "directory.pushed", now) for pk in sorted(busy)],
            )
        return _hold([pk for pk in account_ids if pk not in busy], now + LEASE)


def _error_text(error: Exception) -> str:
    return str(error)[:2000] or type(error).__name__


def _still_held(claim: Claim, ids: list[int]) -> set[int]:
    held = set()
    for chunk in _chunks(ids):
        held.update(
            DirectoryState.objects.filter(
                account_id__in=chunk, claimed_until=claim.lease_until
            ).values_list("account_id", flat=True)
        )
    return held


@retry(retries=5, backoff_delay=0.5)
def record(claim: Claim, outcome: dict[int, Drift | EntryRefused | Exception], now) -> None:
    """Write what happened to each account this worker still holds, in one transaction."""
    with transaction.atomic():
        held = _still_held(claim, list(outcome))
        converged = [pk for pk in outcome if pk in held and isinstance(outcome[pk], Drift)]
        failed = sorted(held - set(converged))
        done = [change for pk in converged for change in claim.changes.get(pk, ())]
        top = max(done, default=0)
        for chunk in _chunks(converged):
            # The highest change covered, read before the covered rows go.
            covered = DirectoryChange.objects.filter(
                account_id=OuterRef("account_id"), id__lte=top
            ).order_by("-id")
            DirectoryState.objects.filter(account_id__in=chunk).update(
                synced_at=now,
                synced_change=Coalesce(Subquery(covered.values("id")[:1]), F("synced_change")),
                attempts=0,
                next_attempt_at=None,
                last_error="",
                claimed_until=None,
            )
        for chunk in _chunks(done):
            DirectoryChange.objects.filter(id__in=chunk).delete()
        # Failures share their attempt count and error text in groups (a whole
        # batch, when the directory is down): one UPDATE per group.
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        for pk in failed:
            groups[(claim.attempts.get(pk, 0) + 1, _error_text(outcome[pk]))].append(pk)
        for (attempts, error), ids in groups.items():
            for chunk in _chunks(ids):
                DirectoryState.objects.filter(account_id__in=chunk).update(
                    attempts=attempts,
                    next_attempt_at=now + backoff(attempts),
                    last_error=error,
                    last_error_at=now,
                    claimed_until=None,
                )


def _counts(outcome: dict) -> dict[str, int]:
    counts = dict.fromkeys(
        ("claimed", "converged", "created", "modified", "in_sync", "refused", "unavailable"), 0
    )
    counts["claimed"] = len(outcome)
    for result in outcome.values():
        if isinstance(result, Drift):
            counts["converged"] += 1
            kind = "created" if result.missing else "in_sync" if result.in_sync else "modified"
            counts[kind] += 1
        elif isinstance(result, EntryRefused):
            counts["refused"] += 1
        else:
            counts["unavailable"] += 1
    counts["failed"] = counts["refused"] + counts["unavailable"]
    return counts


def _converge_claimed(claim: Claim, conn) -> dict[int, Drift | EntryRefused]:
    """Converge the claimed accounts (no transaction is open here while LDAP talks)."""
    outcome: dict[int, Drift | EntryRefused] = {}
    for chunk in _chunks(claim.account_ids):
        accounts = list(accounts_for_directory().filter(pk__in=chunk).order_by("pk"))
        outcome.update(converge(conn, accounts))
    return outcome


def run_claim(claim: Claim, conn, now) -> dict[int, Drift | EntryRefused | Exception]:
    """Converge and record; on an unreachable directory every claimed account backs off."""
    try:
        if conn is None:
            with service_connection() as opened:
                outcome = _converge_claimed(claim, opened)
        else:
            outcome = _converge_claimed(claim, conn)
    except DirectoryUnavailable as exc:
        logger.warning("directory unavailable; %d accounts wait: %s", len(claim.changes), exc)
        failure: dict[int, Drift | EntryRefused | Exception] = dict.fromkeys(claim.account_ids, exc)
        record(claim, failure, now)
        raise
    except Exception as exc:
        # A defect, not an outage: the batch still backs off and shows its error
        # in the console, instead of being taken again at every lease's end.
        logger.exception("directory sync failed; %d accounts wait", len(claim.changes))
        record(claim, dict.fromkeys(claim.account_ids, exc), now)
        raise
    for pk, result in outcome.items():
        if isinstance(result, EntryRefused):
            logger.warning("directory refused account %s: %s", pk, result)
    record(claim, outcome, now)
    return outcome


def sync_due(*, limit: int | None = None, now=None, conn=None) -> dict[str, int]:
    """Converge up to `limit` (default `KLEIDI_LDAP_SYNC_BATCH`) due accounts; counts.

    `conn` (a bound service connection) is for callers that hold one already;
    by default the run opens its own.
    """
    if not settings.LDAP_ENABLED:
        return _counts({})
    now = now or timezone.now()
    claim = claim_due(limit or settings.LDAP_SYNC_BATCH, now)
    if not claim.changes:
        return _counts({})
    try:
        outcome = run_claim(claim, conn, now)
    except DirectoryUnavailable as exc:
        return _counts(dict.fromkeys(claim.account_ids, exc))
    return _counts(outcome)


def converge_now(account_ids, *, conn=None, now=None) -> dict[int, Drift | EntryRefused]:
    """Converge these accounts at once, whether or not they are queued or due.

    For the helpdesk's "push now" and `reconcile --fix`: records the outcome
    and removes the change rows covered, as the worker does. An account a
    worker is converging right now is left to it, queued once more, and
    missing from the result. Raises
    `DirectoryUnavailable` (after recording the failure) when the directory
    cannot be reached.
    """
    ids = sorted({int(pk) for pk in account_ids})
    if not ids:
        return {}
    now = now or timezone.now()
    claim = _take_over(ids, now)
    if not claim.changes:
        return {}
    return run_claim(claim, conn, now)


def next_due(now=None) -> dt.datetime | None:
    """When the queue next needs a worker (its earliest retry or lease end), or None."""
    now = now or timezone.now()
    if DirectoryChange.objects.filter(account__directory_state__isnull=True).exists():
        return now
    floor = Value(EPOCH, output_field=DateTimeField())
    earliest = (
        DirectoryState.objects.filter(Exists(_pending()))
        .annotate(
            due_at=Greatest(Coalesce("next_attempt_at", floor), Coalesce("claimed_until", floor))
        )
        .aggregate(first=Min("due_at"))["first"]
    )
    if earliest is None:
        return None
    return max(earliest, now)
