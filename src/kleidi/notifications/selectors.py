"""Reading the outbox for the console's dashboard (R30, issue 12 §1)."""

from django.db.models import Count, Min, Q

from kleidi.notifications.models import OutboxMessage, OutboxStatus

# Not sent yet: waiting for a worker or its retry, or being sent, or given up on.
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED)


def unsent_counts() -> dict:
    """{status: n} of the messages not sent, and when the oldest waiting one was written.

    The outbox is the helpdesk's (messages belong to no school's list), so
    this counts every message, as the console's outbox list shows them. One query.
    """
    waiting = Q(status__in=(OutboxStatus.PENDING, OutboxStatus.SENDING))
    counts = OutboxMessage.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in UNSENT},
        oldest_waiting=Min("created_at", filter=waiting),
    )
    return counts
