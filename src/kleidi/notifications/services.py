"""Writing messages to the outbox and delivering them with retries (R30).

`queue_message` renders a message (Greek first, then English, in one mail)
and writes it in the caller's transaction; once that transaction commits a
task asks the worker to deliver. `deliver_due` sends what is due and backs
off exponentially on failure, so nothing is lost while SMTP is down.
"""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.tasks import task_backends
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from kleidi import linkseal
from kleidi.notifications.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

LANGUAGES = ("el", "en")
MAX_BACKOFF = timedelta(hours=6)
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def text_to_html(text: str) -> str:
    """Escaped paragraphs with clickable links.

    Django's `urlize` was most of the cost of rendering a message (a bulk sheet
    writes thousands); message bodies only ever contain plain http(s) links.
    """
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        pieces, last = [], 0
        for match in _URL.finditer(block):
            url = escape(match.group(0))
            pieces += [escape(block[last : match.start()]), f'<a href="{url}">{url}</a>']
            last = match.end()
        pieces.append(escape(block[last:]))
        paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br>") + "</p>")
    return "\n".join(paragraphs)


def render_message(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of `template` in Greek followed by English.

    Each `notifications/email/<template>.<lang>.txt` has the subject on its
    first line, a blank line, then the body.
    """
    subjects, bodies = [], []
    for lang in LANGUAGES:
        with translation.override(lang):
            rendered = render_to_string(
                f"notifications/email/{template}.{lang}.txt", {**context, "lang": lang}
            )
        subject, _, body = rendered.strip().partition("\n")
        subjects.append(subject.strip())
        bodies.append(body.strip())
    subject = " / ".join(dict.fromkeys(subjects))
    text = f"{bodies[0]}\n\n-- English --\n\n{bodies[1]}\n"
    parts = [mark_safe(text_to_html(body)) for body in bodies]  # noqa: S308 (escaped above)
    html = render_to_string("notifications/email/layout.html", {"parts": parts})
    return subject, text, html


def queue_message(template: str, *, to: str, context: dict, account=None) -> OutboxMessage:
    """Write one message to the outbox in the current transaction."""
    return queue_messages(template, [(to, context, account)])[0]


def queue_messages(template: str, messages: list[tuple[str, dict, object]]) -> list[OutboxMessage]:
    """Write many messages of one template in one INSERT (bulk sheets write thousands).

    `messages` holds (to, context, account) triples; delivery is scheduled once.
    """
    rows = []
    for to, context, account in messages:
        subject, text, html = render_message(template, context)
        rows.append(
            OutboxMessage(
                template=template,
                to=to,
                subject=subject[:250],
                body_text=text,
                body_html=html,
                account=account,
            )
        )
    created = OutboxMessage.objects.bulk_create(rows, batch_size=500)
    if created and not _delivery_scheduled():
        transaction.on_commit(schedule_delivery)
    return created


def _delivery_scheduled() -> bool:
    """Is a delivery already waiting for this transaction's commit? One is enough."""
    connection = transaction.get_connection()
    return any(func is schedule_delivery for _, func, _ in connection.run_on_commit)


def schedule_delivery(run_after=None) -> None:
    """Ask a worker to deliver; the outbox itself is the source of truth.

    Called after the message's commit. If a delivery task is already waiting
    to start, it will see this message when it runs, so no second one is
    queued: a busy forgot-password page writes one task row, not one per request.
    """
    from kleidi.notifications.tasks import deliver_outbox

    if run_after is None and _delivery_waiting(deliver_outbox):
        return
    task = deliver_outbox.using(run_after=run_after) if run_after else deliver_outbox
    try:
        task.enqueue()
    except Exception:
        # The message is safe in the outbox; `kleidi outbox retry` or the next
        # message's task will deliver it.
        logger.exception("could not enqueue outbox delivery")


def _delivery_waiting(task) -> bool:
    """Is a delivery task queued in the database and ready, but not yet started?"""
    backend = task_backends[task.backend]
    if not isinstance(backend, DatabaseBackend):
        return False
    return (
        DBTaskResult.objects.ready()
        .filter(task_path=task.module_path, backend_name=backend.alias)
        .exists()
    )


def backoff(attempts: int) -> timedelta:
    delay = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def deliver_due(limit: int = 100) -> dict[str, int]:
    """Send the messages that are due; return counts of sent, retried and failed."""
    now = timezone.now()
    counts = {"sent": 0, "retried": 0, "failed": 0}
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return counts
    connection = mailers.default
    for pk in ids:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=OutboxStatus.PENDING)
                .first()
            )
            if message is None:
                continue
            outcome = _deliver_one(message, connection)
            counts[outcome] += 1
    next_due = (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if len(ids) == limit:
        # A bulk sheet queues thousands: keep going in a fresh task.
        schedule_delivery()
    elif next_due is not None and counts["retried"]:
        schedule_delivery(run_after=next_due)
    return counts


def outgoing(message: OutboxMessage) -> tuple[str, str]:
    """The text and HTML that leave for SMTP: sealed links filled in (R24, DESIGN §6).

    The stored bodies hold only each link's nonce; the token exists in
    memory here and in the mail that carries it, never in a table.
    """
    return linkseal.unseal(message.body_text), linkseal.unseal(message.body_html)


def _deliver_one(message: OutboxMessage, connection) -> str:
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
    message.attempts += 1
    try:
        email.send()
    except Exception as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
            outcome = "failed"
        else:
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
            outcome = "retried"
        logger.warning("outbox message %s not sent: %s", message.pk, message.last_error)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        outcome = "sent"
    message.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "sent_at"])
    return outcome


def retry_failed(ids: list[int] | None = None) -> int:
    """Put failed (or the given) messages back in the queue now."""
    unsent = OutboxMessage.objects.exclude(status=OutboxStatus.SENT)
    queryset = unsent.filter(pk__in=ids) if ids else unsent.filter(status=OutboxStatus.FAILED)
    count = queryset.update(status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), attempts=0)
    if count:
        transaction.on_commit(schedule_delivery)
    return count
