"""Background delivery of the outbox through Django's tasks framework (R30).

The task and when it runs: once a message's transaction commits
(`schedule_delivery`), again after a full batch, and at the next due time
(a retry's backoff or a lease's end), so nothing is stranded. What a run does
is `kleidi.notifications.delivery`; the outbox's writers
(`kleidi.notifications.services`) call `schedule_delivery`.
"""

import logging

from django.core.mail import mailers
from django.tasks import task

from kleidi import worker
from kleidi.notifications import delivery

logger = logging.getLogger(__name__)


@task(queue_name="mail")
def deliver_outbox() -> dict[str, int]:
    # A delivery task whose worker was killed stays RUNNING for ever: queue it again.
    recover_orphaned_deliveries()
    return deliver_due()


def schedule_delivery(run_after=None) -> None:
    """Ask a worker to deliver; the outbox itself is the source of truth.

    Called after the message's commit. If a delivery task is already waiting
    to start by then, it will see this message when it runs, so no second one
    is queued: a busy forgot-password page writes one task row, not one per request.
    """
    worker.schedule(deliver_outbox, run_after, what="outbox delivery")


def ensure_delivery_scheduled(now=None) -> None:
    """Whenever anything is unsent, a delivery task waits for its earliest due time."""
    worker.ensure_scheduled(deliver_outbox, delivery.next_due(), what="outbox delivery", now=now)


def deliver_due(limit: int = 100, now=None) -> dict[str, int]:
    """Send the messages that are due; return counts of sent, retried and failed.

    No database transaction is open while SMTP talks: each message is claimed
    in a short committed transaction (`claim_next`), sent with a bounded
    timeout, and its outcome recorded in another (`_record`). On SQLite that
    keeps the write lock free for sign-ins while a relay is slow or silent.
    """
    counts = {"sent": 0, "retried": 0, "failed": 0}
    connection = mailers.default
    claimed = 0
    while claimed < limit:
        message = delivery.claim_next(now)
        if message is None:
            break
        claimed += 1
        counts[delivery.deliver_one(message, connection)] += 1
    if claimed == limit:
        # A bulk sheet queues thousands: keep going in a fresh task.
        schedule_delivery()
    else:
        ensure_delivery_scheduled(now)
    return counts


def recover_orphaned_deliveries() -> list[str]:
    """Queue again the delivery tasks whose worker died (kleidi.worker)."""
    return worker.requeue_orphans(deliver_outbox.module_path)
