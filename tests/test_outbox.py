"""The outbox (R30): written with the change, delivered with retries over real SMTP semantics."""

import socket

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from kleidi.notifications import services
from kleidi.notifications.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: SMTP is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def queue(account=None):
    return services.queue_message(
        "renewal",
        to="member@example.com",
        account=account,
        context={"account": account or {"username": "someone"}, "expiry": timezone.localdate()},
    )


def test_r30_message_rolls_back_with_its_cause():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 0


def test_r30_message_is_greek_then_english():
    message = queue()
    assert message.body_text.index("ανανεώθηκε") < message.body_text.index("renewed")
    assert " / " in message.subject
    assert message.body_html.startswith("<!doctype html>")


def test_r30_delivery_sends_and_marks_sent():
    queue()
    assert services.deliver_due() == {"sent": 1, "retried": 0, "failed": 0}
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_r30_smtp_down_keeps_message_and_backs_off(settings):
    working = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2},
        }
    }
    settings.OUTBOX_MAX_ATTEMPTS = 3
    queue()
    assert services.deliver_due() == {"sent": 0, "retried": 1, "failed": 0}
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at > timezone.now()
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    # Not due yet: nothing is tried again before the backoff ends.
    assert services.deliver_due() == {"sent": 0, "retried": 0, "failed": 0}
    for _ in range(2):
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        services.deliver_due()
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 3
    # SMTP is back: the operator retries, and the message goes.
    settings.MAILERS = working
    assert services.retry_failed() == 1
    assert services.deliver_due()["sent"] == 1


def test_r30_backoff_grows_exponentially(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    delays = [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)]
    assert delays == [60, 120, 240, 480]
    assert services.backoff(30).total_seconds() == 6 * 3600


def test_r30_html_part_escapes_text_and_links_urls():
    html = services.text_to_html(
        "see <b>https://a.example/c?d=1&e=2</b>.\nnext\n\n(http://x.example/z)."
    )
    assert html == (
        '<p>see &lt;b&gt;<a href="https://a.example/c?d=1&amp;e=2">https://a.example/c?d=1&amp;e=2</a>'
        "&lt;/b&gt;.<br>next</p>\n"
        '<p>(<a href="http://x.example/z">http://x.example/z</a>).</p>'
    )


def test_r30_a_full_batch_schedules_the_next_one(monkeypatch):
    scheduled = []
    monkeypatch.setattr(services, "schedule_delivery", lambda **kw: scheduled.append(kw))
    for _ in range(3):
        queue()
    assert services.deliver_due(limit=2)["sent"] == 2
    assert scheduled == [{}]
    assert services.deliver_due(limit=2)["sent"] == 1
    assert scheduled == [{}]


def test_r30_one_waiting_delivery_task_serves_every_message():
    from django_tasks_db.models import DBTaskResult

    services.schedule_delivery()
    services.schedule_delivery()
    assert DBTaskResult.objects.count() == 1
    DBTaskResult.objects.update(status="RUNNING")
    # The waiting task has started: a message committed now needs a new one.
    services.schedule_delivery()
    assert DBTaskResult.objects.count() == 2
