"""Sending what the outbox holds (R30): claim a due message, send it, record the outcome.

The body of the delivery task (`kleidi.notifications.tasks`), which decides
when it runs; nothing here schedules, so this module imports neither of them.
Delivery is exactly-once unless a worker dies between SMTP's acceptance and
recording it: then the lease runs out and the message is sent again
(at-least-once; docs/operations.md).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.utils import retry

from kleidi import linkseal
from kleidi.notifications.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    delay = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def outgoing(message: OutboxMessage) -> tuple[str, str]:
    """The text and HTML that leave for SMTP: sealed links filled in (R24, DESIGN §6).

    The stored bodies hold only each link's nonce; the token exists in
    memory here and in the mail that carries it, never in a table.
    """
    return linkseal.unseal(message.body_text), linkseal.unseal(message.body_html)


def claim_next(now=None) -> OutboxMessage | None:
    """Take the next due message for this worker: SENDING, with a lease until its deadline.

    A due message is a pending one whose retry time has come, or a sending
    one whose lease ran out (its worker died; see docs/operations.md: it is
    sent again, so such a message may arrive twice).
    """
    now = now or timezone.now()
    due = Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING)
    while True:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(due, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk")
                .first()
            )
            if message is None:
                return None
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                # Only a message whose sender died on its last attempt gets here.
                message.status = OutboxStatus.FAILED
                message.last_error = message.last_error or "the worker stopped while sending"
                message.save(update_fields=["status", "last_error"])
                continue
            message.status = OutboxStatus.SENDING
            message.attempts += 1
            message.next_attempt_at = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
            message.save(update_fields=["status", "attempts", "next_attempt_at"])
            return message


def deliver_one(message: OutboxMessage, connection) -> str:
    """Send one claimed message (no transaction open) and record what happened."""
    text, html = outgoing(message)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        connection=connection,
    )
    if html:
        email.attach_alternative(html, "text/html")
    try:
        email.send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("outbox message %s not sent: %s", message.pk, error)
        return _record_failure(message, error)
    _record_sent(message)
    return "sent"


@retry(retries=5, backoff_delay=0.5)
def _record_sent(message: OutboxMessage) -> None:
    """SMTP accepted it: mark it sent (retried, since a lost record means a resend)."""
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=OutboxStatus.SENT).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
    )


@retry(retries=5, backoff_delay=0.5)
def _record_failure(message: OutboxMessage, error: str) -> str:
    """Back off, or give up after the last attempt; only while this worker still holds the lease."""
    failed = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    changes = {"last_error": error}
    if failed:
        changes["status"] = OutboxStatus.FAILED
    else:
        changes["status"] = OutboxStatus.PENDING
        changes["next_attempt_at"] = timezone.now() + backoff(message.attempts)
    OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.SENDING, attempts=message.attempts
    ).update(**changes)
    return "failed" if failed else "retried"


def next_due():
    """When the outbox next needs a worker: the earliest retry or lease end, or None."""
    return (
        OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
