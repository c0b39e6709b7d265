"""The outbox (R30): written with the change, delivered with retries over real SMTP semantics."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kleidi.notifications import delivery, services, tasks
from kleidi.notifications.models import OutboxMessage, OutboxStatus
from tests.smtp_servers import SMTPServer, free_port

real_now = timezone.now

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
    assert tasks.deliver_due() == {"sent": 1, "retried": 0, "failed": 0}
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
    assert tasks.deliver_due() == {"sent": 0, "retried": 1, "failed": 0}
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at > timezone.now()
    assert message.last_error.startswith("ConnectionRefusedError: ")
    # Not due yet: nothing is tried again before the backoff ends.
    assert tasks.deliver_due() == {"sent": 0, "retried": 0, "failed": 0}
    for _ in range(2):
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        tasks.deliver_due()
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 3
    # SMTP is back: the operator retries, and the message goes.
    settings.MAILERS = working
    assert services.retry_failed() == 1
    assert tasks.deliver_due()["sent"] == 1


def test_r30_backoff_grows_exponentially(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    delays = [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 4)]
    assert delays == [60, 120, 240, 480]
    assert delivery.backoff(30).total_seconds() == 6 * 3600


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
    monkeypatch.setattr(tasks, "schedule_delivery", lambda **kw: scheduled.append(kw))
    for _ in range(3):
        queue()
    assert tasks.deliver_due(limit=2)["sent"] == 2
    assert scheduled == [{}]
    assert tasks.deliver_due(limit=2)["sent"] == 1
    assert scheduled == [{}]


def test_r30_one_waiting_delivery_task_serves_every_message():
    tasks.schedule_delivery()
    tasks.schedule_delivery()
    assert DBTaskResult.objects.count() == 1
    DBTaskResult.objects.update(status="RUNNING")
    # The waiting task has started: a message committed now needs a new one.
    tasks.schedule_delivery()
    assert DBTaskResult.objects.count() == 2


class Clock:
    """A moved clock: starts an hour ahead (so rows stamped with the real time are past)."""

    def __init__(self):
        self.now = real_now() + timedelta(hours=1)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def run_worker() -> None:
    """django-tasks-db's own worker loop, once over every task ready at the (moved) clock."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def smtp_at(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


def queue_to(to: str) -> OutboxMessage:
    return services.queue_message(
        "renewal",
        to=to,
        context={"account": {"username": to.split("@")[0]}, "expiry": timezone.localdate()},
    )


def waiting_delivery_by():
    """The earliest run time of a delivery task waiting in the queue (None if none waits)."""
    from kleidi.notifications.tasks import deliver_outbox

    rows = DBTaskResult.objects.filter(status="READY", task_path=deliver_outbox.module_path)
    return min((r.run_after for r in rows), default=None)


@pytest.mark.django_db(transaction=True)
def test_r30_outage_then_recovery_delivers_every_message_exactly_once(settings, monkeypatch):
    """Messages in different back-off slots are never stranded: a task waits for each slot."""
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    port = free_port()
    smtp_at(settings, port)  # nothing listens there: SMTP is down

    queue_to("first@example.com")
    run_worker()
    clock.advance(10)
    queue_to("second@example.com")
    queue_to("third@example.com")
    run_worker()
    slots = sorted(set(OutboxMessage.objects.values_list("next_attempt_at", flat=True)))
    assert len(slots) == 2  # first at +60 s, the other two at +70 s
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts=1).count() == 3
    assert waiting_delivery_by() <= slots[0]

    with SMTPServer(port) as server:  # SMTP is back; nothing new is queued
        clock.now = slots[0]
        run_worker()
        assert server.handler.recipients() == ["first@example.com"]
        assert waiting_delivery_by() <= slots[1]  # the later slot still has its task
        clock.now = slots[1]
        run_worker()
        run_worker()
    assert server.handler.recipients() == [
        "first@example.com",
        "second@example.com",
        "third@example.com",
    ]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert waiting_delivery_by() is None  # nothing pending, nothing scheduled


def test_r30_retry_without_ids_requeues_waiting_and_failed_messages():
    waiting, failed, sent = queue_to("a@example.com"), queue_to("b@example.com"), queue()
    later = timezone.now() + timedelta(hours=3)
    OutboxMessage.objects.filter(pk=waiting.pk).update(attempts=4, next_attempt_at=later)
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED, attempts=8)
    OutboxMessage.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT)
    assert services.retry_unsent() == (sorted([waiting.pk, failed.pk]), [])
    for message in (waiting, failed):
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING
        assert message.attempts == 0
        assert message.next_attempt_at <= timezone.now()


def test_r30_a_message_being_sent_is_not_claimed_again_until_its_lease_ends(settings):
    message = queue()
    claimed = delivery.claim_next()
    assert claimed.pk == message.pk and claimed.status == OutboxStatus.SENDING
    assert delivery.claim_next() is None  # a second worker leaves it to the first
    assert services.retry_unsent([message.pk]) == ([], [message.pk])
    after_lease = claimed.next_attempt_at + timedelta(seconds=1)
    assert delivery.claim_next(now=after_lease).attempts == 2  # its worker died: sent again


def test_r30_delivery_task_without_a_checkable_worker_is_orphaned_by_age(settings):
    from kleidi import worker
    from kleidi.notifications.tasks import deliver_outbox

    settings.TASK_ORPHAN_SECONDS = 3600
    deliver_outbox.enqueue()
    row = DBTaskResult.objects.get()
    started = timezone.now() - timedelta(hours=2)
    DBTaskResult.objects.update(status="RUNNING", started_at=started, worker_ids=["elsewhere"])
    assert worker.find_orphans(deliver_outbox.module_path) == [row]
    DBTaskResult.objects.update(started_at=timezone.now())
    assert worker.find_orphans(deliver_outbox.module_path) == []
    # A runner on this host that is alive is never an orphan, however old.
    alive = worker.current_runner().tag
    DBTaskResult.objects.update(started_at=started, worker_ids=["w", alive])
    assert worker.find_orphans() == []
