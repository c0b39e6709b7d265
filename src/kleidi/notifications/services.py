"""Writing messages to the outbox and delivering them with retries (R30).

`queue_message` renders a message (Greek first, then English, in one mail)
and writes it in the caller's transaction; once that transaction commits a
task asks the worker to deliver. `deliver_due` sends what is due and backs
off exponentially on failure, so nothing is lost while SMTP is down; after
every run a task waits for the next due time, so nothing is stranded either.
Delivery is exactly-once unless a worker dies between SMTP's acceptance and
recording it: then the lease runs out and the message is sent again
(at-least-once; docs/operations.md).
"""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Q
from django.tasks import task_backends
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import retry

from kleidi import linkseal, worker
from kleidi.notifications.models import OutboxMessage, OutboxStatus

TO_CHARS = OutboxMessage._meta.get_field("to").max_length
SUBJECT_CHARS = OutboxMessage._meta.get_field("subject").max_length

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
                subject=subject[:SUBJECT_CHARS],
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
    to start by then, it will see this message when it runs, so no second one
    is queued: a busy forgot-password page writes one task row, not one per request.
    """
    from kleidi.notifications.tasks import deliver_outbox

    if _delivery_waiting(deliver_outbox, by=run_after):
        return
    task = deliver_outbox.using(run_after=run_after) if run_after else deliver_outbox
    try:
        task.enqueue()
    except Exception:
        # The message is safe in the outbox; `kleidi outbox deliver` (the timer)
        # or the next message's task will deliver it.
        logger.exception("could not enqueue outbox delivery")


def _delivery_waiting(task, by=None) -> bool:
    """Is a delivery task queued and not yet started that runs by `by` (default: now)?"""
    backend = task_backends[task.backend]
    if not isinstance(backend, DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(
        status="READY", task_path=task.module_path, backend_name=backend.alias
    )
    if by is None:
        return DBTaskResult.objects.ready().filter(pk__in=waiting.values("pk")).exists()
    return waiting.filter(Q(run_after__lte=by) | Q(run_after=get_date_max())).exists()


def next_due():
    """When the outbox next needs a worker: the earliest retry or lease end, or None."""
    return (
        OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def ensure_delivery_scheduled(now=None) -> None:
    """Whenever anything is unsent, a delivery task waits for its earliest due time."""
    due = next_due()
    if due is None:
        return
    now = now or timezone.now()
    schedule_delivery(run_after=due if due > now else None)


def backoff(attempts: int) -> timedelta:
    delay = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


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
        message = claim_next(now)
        if message is None:
            break
        claimed += 1
        counts[_deliver_one(message, connection)] += 1
    if claimed == limit:
        # A bulk sheet queues thousands: keep going in a fresh task.
        schedule_delivery()
    else:
        ensure_delivery_scheduled(now)
    return counts


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


def _deliver_one(message: OutboxMessage, connection) -> str:
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


def recover_orphaned_deliveries() -> list[str]:
    """Queue again the delivery tasks whose worker died (kleidi.worker)."""
    from kleidi.notifications.tasks import deliver_outbox

    return worker.requeue_orphans(deliver_outbox.module_path)


def retry_unsent(ids: list[int] | None = None) -> tuple[list[int], list[int]]:
    """Put unsent messages (all waiting or failed ones, or the given ids) back in the queue now.

    A message being sent is left to its worker. Returns (requeued ids, skipped ids).
    """
    with transaction.atomic():
        chosen = OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]
        )
        if ids:
            chosen = chosen.filter(pk__in=ids)
        requeued = sorted(chosen.select_for_update().values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=requeued).update(
            status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        if requeued:
            transaction.on_commit(schedule_delivery)
    return requeued, sorted(set(ids or []) - set(requeued))


def retry_failed(ids: list[int] | None = None) -> int:
    """Put unsent (or the given) messages back in the queue now; how many."""
    return len(retry_unsent(ids)[0])
