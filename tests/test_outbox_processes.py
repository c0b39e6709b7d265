"""The outbox with real worker processes on a file SQLite database (R30).

A hung relay must not block sign-ins, and a worker killed with SIGKILL while
SMTP holds its message must leave nothing stuck: its orphaned task is found,
and the message follows the documented rule (sent again once its lease ends:
at-least-once only in that case; docs/operations.md).
"""

import json
import os
import signal

import pytest

from tests.processes import (
    child_environment,
    copy_database,
    manage,
    migrate,
    query,
    start_worker,
    stop,
    wait_until,
)
from tests.smtp_servers import Blackhole, SMTPServer

pytestmark = pytest.mark.slow

QUEUE = """
from django.utils import timezone
from kleidi.notifications.services import queue_message
queue_message("renewal", to="member@example.com",
              context={"account": {"username": "member"}, "expiry": timezone.localdate()})
"""

SIGN_IN = """
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").post(
    "/accounts/login/", {"username": "nobody", "password": "not the password"})
print("status", response.status_code)
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    return migrate(tmp_path_factory.mktemp("outbox-db") / "kleidi.sqlite3")


def environment(path, *, smtp_port: int, smtp_timeout: int = 60) -> dict:
    return child_environment(
        path,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT=str(smtp_timeout),
    )


@pytest.fixture
def database(migrated, tmp_path):
    return copy_database(migrated, tmp_path)


def outbox(path):
    return query(
        path,
        "SELECT status, attempts, next_attempt_at, last_error FROM notifications_outboxmessage",
    )


def deliver(env) -> dict:
    result = manage("outbox", "deliver", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def lease_runs_out(path) -> None:
    """Move time: the message's lease (or back-off) ends now."""
    query(path, "UPDATE notifications_outboxmessage SET next_attempt_at = '2000-01-01 00:00:00'")


def test_r30_blackhole_relay_blocks_no_sign_in_and_is_retried_later(database):
    with Blackhole() as relay:
        # The longest timeout allowed: the relay stays silent until the test hangs up,
        # however slowly a loaded machine starts the sign-in process.
        env = environment(database, smtp_port=relay.port, smtp_timeout=600)
        assert manage("shell", "-c", QUEUE, env=env).returncode == 0
        worker = start_worker(env)
        try:
            wait_until(relay.accepted.is_set, "the worker to reach the relay")
            # The worker waits for a greeting that never comes; a sign-in writes meanwhile.
            signed_in = manage("shell", "-c", SIGN_IN, env=env)
            assert signed_in.returncode == 0, signed_in.stderr[-2000:]
            assert "status 200" in signed_in.stdout
            # ...and it finished while the worker was still waiting on the relay (on the
            # old code it waited for the write lock until the worker gave up).
            assert relay.client_still_waiting()
            assert outbox(database)[0][:2] == ("sending", 1)
            relay.hang_up()
            wait_until(lambda: outbox(database)[0][0] == "pending", "the failure to be recorded")
        finally:
            stop(worker)
    status, attempts, retry_at, error = outbox(database)[0]
    assert (status, attempts) == ("pending", 1)
    assert error
    waiting = query(
        database,
        "SELECT run_after FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'READY' AND task_path LIKE '%deliver_outbox'",
    )
    assert [row[0] for row in waiting] == [retry_at]  # a task waits for the retry
    with SMTPServer() as server:
        env = environment(database, smtp_port=server.port)
        lease_runs_out(database)
        assert deliver(env)["sent"] == 1
    assert server.handler.recipients() == ["member@example.com"]
    assert outbox(database)[0][:2] == ("sent", 2)


def test_r30_worker_killed_mid_send_is_recovered_and_resends_after_the_lease(database):
    with SMTPServer() as server:
        env = environment(database, smtp_port=server.port)
        server.handler.hold()
        assert manage("shell", "-c", QUEUE, env=env).returncode == 0
        worker = start_worker(env)
        try:
            wait_until(server.handler.holding.is_set, "the worker to send its DATA")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            stop(worker)
        server.handler.release.set()  # the relay keeps the message it was given
        tasks = query(
            database,
            "SELECT id, status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%deliver_outbox'",
        )
        assert [row[1] for row in tasks] == ["RUNNING"]  # what django-tasks-db leaves behind
        assert f":{worker.pid}:" in tasks[0][2]
        assert outbox(database)[0][:2] == ("sending", 1)

        # The timer's safety net: the orphan is found and queued again, but the
        # message is still leased to the dead worker, so it is not sent twice yet.
        first = deliver(env)
        assert first["orphaned_tasks"] and first["sent"] == 0
        orphan = query(
            database,
            "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
            "WHERE id = ?",
            tasks[0][0],
        )
        assert orphan == [("FAILED", "kleidi.worker.WorkerDied")]
        assert len(server.handler.messages) == 1

        lease_runs_out(database)
        second = deliver(env)
        assert second["sent"] == 1 and second["orphaned_tasks"] == []
        assert deliver(env)["sent"] == 0
    # The documented rule: a sender that died holding SMTP's copy means one resend.
    assert server.handler.recipients() == ["member@example.com"] * 2
    assert outbox(database)[0][:2] == ("sent", 2)
