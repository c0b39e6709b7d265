"""Pushing accounts to the directory in bulk: `kleidi directory push` (R28).

The usual use is the initial provisioning once the directory is turned on
(`push --all`): every account gets a queue row, as if it had just changed,
and the workers converge them. `now=True` converges in the caller's process
instead, a chunk at a time, through the queue's own `converge_now`, for a
helpdesk operator who wants to see the outcome at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import transaction

from kleidi.audit.services import record
from kleidi.directory.connection import service_connection
from kleidi.directory.converge import EntryRefused
from kleidi.directory.services.queue import queue_accounts
from kleidi.directory.sync import converge_now
from kleidi.errors import error

REASON = "directory.push"
# Ids per queue INSERT: a 40,000-account push is a few statements, none huge.
QUEUE_CHUNK = 5_000


def provision(
    account_ids: Sequence[int],
    *,
    now: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Queue (or, with `now`, converge) these accounts; the counts, and refusals by username.

    Raises `directory.disabled` when the directory is off and
    `DirectoryUnavailable` when `now` cannot reach it (what was converged
    before stays converged; the rest is untouched and can be pushed again).
    """
    if not settings.LDAP_ENABLED:
        raise error("directory.disabled")
    ids = sorted(set(account_ids))
    counts = {"accounts": len(ids), "queued": 0, "in_sync": 0, "converged": 0, "refused": 0}
    refused: dict[int, str] = {}
    if not now:
        for start in range(0, len(ids), QUEUE_CHUNK):
            with transaction.atomic():
                counts["queued"] += queue_accounts(ids[start : start + QUEUE_CHUNK], REASON)
    else:
        size = settings.LDAP_SYNC_BATCH
        with service_connection() as conn:
            for start in range(0, len(ids), size):
                outcome = converge_now(ids[start : start + size], conn=conn)
                for pk, drift in outcome.items():
                    if isinstance(drift, EntryRefused):
                        counts["refused"] += 1
                        refused[pk] = str(drift)
                    elif drift.in_sync:
                        counts["in_sync"] += 1
                    else:
                        counts["converged"] += 1
                if progress is not None:
                    progress(min(start + size, len(ids)), len(ids))
    record("directory.provisioned", details={"now": now, **counts})
    return {"counts": counts, "refused": refused}
