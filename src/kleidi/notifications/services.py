"""Writing messages to the outbox (R30): rendering, queueing, queueing again.

`queue_message` renders a message (Greek first, then English, in one mail)
and writes it in the caller's transaction; once that transaction commits a
task asks the worker to deliver (`kleidi.notifications.tasks`), which sends
what is due and backs off exponentially on failure
(`kleidi.notifications.delivery`), so nothing is lost while SMTP is down.
"""

import re

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from kleidi.notifications.models import OutboxMessage, OutboxStatus
from kleidi.notifications.tasks import schedule_delivery

TO_CHARS = OutboxMessage._meta.get_field("to").max_length
SUBJECT_CHARS = OutboxMessage._meta.get_field("subject").max_length


LANGUAGES = ("el", "en")
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
