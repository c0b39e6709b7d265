"""The directory task on the worker: converge queued accounts, with retries (R28).

When it runs: once a queue write commits (`schedule_sync`, from the
queue's service), again at once after a full batch, and at the queue's next
due time (a retry's backoff or a lease's end), so nothing is stranded. At
most one task waits at a time: a 10,000-row sheet queues one task, not
10,000. What a run does is `kleidi.directory.sync`.
"""

import logging

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from kleidi import worker
from kleidi.directory import sync

logger = logging.getLogger(__name__)


@task(queue_name="directory")
def sync_directory() -> dict[str, int]:
    # A sync task whose worker was killed stays RUNNING for ever: queue it again
    # (its accounts' leases run out, so the new task takes them).
    recover_orphaned_syncs()
    counts = sync.sync_due()
    if counts["claimed"] >= settings.LDAP_SYNC_BATCH:
        schedule_sync()  # more is due: a fresh task, so other queues get their turn
    else:
        ensure_sync_scheduled()
    return counts


def schedule_sync(run_after=None) -> None:
    """Ask a worker to converge the queue; the queue itself is the source of truth.

    If a sync task is already waiting to start by `run_after` (default: now),
    it will see these rows when it runs, so no second one is queued.
    """
    worker.schedule(sync_directory, run_after, what="directory sync")


def ensure_sync_scheduled(now=None) -> None:
    """Whenever change rows wait, a sync task waits for the earliest time one is due."""
    now = now or timezone.now()
    worker.ensure_scheduled(sync_directory, sync.next_due(now), what="directory sync", now=now)


def recover_orphaned_syncs() -> list[str]:
    """Queue again the sync tasks whose worker died (kleidi.worker)."""
    return worker.requeue_orphans(sync_directory.module_path)
