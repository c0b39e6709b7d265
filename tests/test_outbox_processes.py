"""The outbox with real worker processes on a file SQLite database (R30).

A hung relay must not block sign-ins, and a worker killed with SIGKILL while
SMTP holds its message must leave nothing stuck: its orphaned task is found,
and the message follows the documented rule (sent again once its lease ends:
at-least-once only in that case; docs/operations.md).
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

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


def manage(*args, env, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kleidi.manage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated SQLite file; each test works on its own copy."""
    path = tmp_path_factory.mktemp("outbox-db") / "kleidi.sqlite3"
    env = environment(path, smtp_port=25)
    for command in (["migrate", "--noinput"], ["createcachetable"]):
        result = manage(*command, env=env, timeout=600)
        assert result.returncode == 0, result.stderr
    return path


def environment(path, *, smtp_port: int, smtp_timeout: int = 60) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KLEIDI_", "EMAIL_", "REDIS_", "DATABASE_"))
    }
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{path}",
        "KLEIDI_VAR_DIR": str(path.parent),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": str(smtp_timeout),
    }


@pytest.fixture
def database(migrated, tmp_path):
    path = tmp_path / "kleidi.sqlite3"
    shutil.copy(migrated, path)
    return path


def query(path, sql: str, *params):
    """Read (or move the clock of) the worker's database directly, as an operator would."""
    with sqlite3.connect(path, timeout=60) as db:
        rows = db.execute(sql, params).fetchall()
    db.close()
    return rows


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kleidi.manage",
            "db_worker",
            "--no-reload",
            "--queue-name",
            "*",
            "--interval",
            "0.2",
            "--no-startup-delay",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition, what: str, seconds: float = 120) -> None:
    """Poll for a state change of another process (a bound on waiting, not a timed assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


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
