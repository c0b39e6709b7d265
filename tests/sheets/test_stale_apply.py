"""R19, never stuck: a killed apply is recognised, can be applied again, and a live one is not
run twice. Real worker processes (`kleidi db_worker --no-reload`), killed with SIGKILL, on an
SQLite file and on PostgreSQL; the claim's liveness checks against real processes and locks."""

import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kleidi import worker as worker_module
from kleidi.accounts.models import Account
from kleidi.audit.models import AuditEvent
from kleidi.errors import message
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Person, School
from kleidi.portal import demo
from kleidi.sheets import claims, runs, services
from kleidi.sheets.apply import LOCK_KEY
from kleidi.sheets.models import SheetState, SheetUpload
from tests.sheets.factories import person_row, table, xlsx

# Large enough that the worker's apply transaction lasts seconds (docs/performance.md:
# about 1 ms a row), so the test sees it open; the figure is not asserted.
ROWS = 2000
WAIT = 300  # a safety net for a stuck test, never an assertion on speed


def kleidi_command() -> list[str]:
    script = Path(sys.executable).with_name("kleidi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kleidi.manage"]


@pytest.fixture
def shared_db(transactional_db, django_db_blocker, tmp_path):
    """A migrated database that this test and real worker processes share.

    SQLite: the (in-memory) test database copied into a file; PostgreSQL: a
    database cloned from the test database. The test's connection points at it
    while the test runs. Yields the DATABASE_URL for the workers.
    """
    conn = connections["default"]
    test_name = conn.settings_dict["NAME"]
    assert "test" in test_name or "memorydb" in test_name, test_name
    with django_db_blocker.unblock():
        keeper = None
        if conn.vendor == "sqlite":
            path = tmp_path / "kleidi.sqlite3"
            conn.ensure_connection()
            target = sqlite3.connect(path)
            conn.connection.backup(target)
            target.close()
            # Django never closes an in-memory database (closing would drop it): keep it
            # alive with a connection of our own, and close Django's for real.
            keeper = sqlite3.connect(test_name, uri=True)
            BaseDatabaseWrapper.close(conn)
            conn.settings_dict["NAME"] = str(path)
            url = f"sqlite:///{path}"
        else:
            name = f"{test_name}_workers"[:63]
            conn.close()
            # A template must have no other sessions: a live server's thread (the
            # browser tests, in whatever order they ran) may still hold one.
            _admin(
                conn,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (test_name,),
            )
            _admin(conn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin(conn, f'CREATE DATABASE "{name}" TEMPLATE "{test_name}"')
            conn.settings_dict["NAME"] = name
            s = conn.settings_dict
            url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{name}"
        try:
            yield url
        finally:
            connections.close_all()
            conn.settings_dict["NAME"] = test_name
            if keeper is not None:
                conn.ensure_connection()
                keeper.close()
            if conn.vendor == "postgresql":
                _admin(conn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(conn, sql: str, params: tuple = ()) -> None:
    import psycopg

    s = conn.settings_dict
    with psycopg.connect(
        host=s["HOST"],
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql, params or None)


class Worker:
    """`kleidi db_worker --no-reload` on the sheets queue, as docs/operations.md runs it."""

    def __init__(self, url: str, log: Path, *extra: str):
        self.log_path = log
        env = {**os.environ, "DATABASE_URL": url, "KLEIDI_VAR_DIR": str(log.parent)}
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                *kleidi_command(),
                "db_worker",
                "--no-reload",
                "--queue-name",
                "sheets",
                "--interval",
                "0.1",
                "--no-startup-delay",
                *extra,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def big_sheet(rows: int) -> bytes:
    """`rows` distinct new students (the sixth surname, Λαμπράκη, with a username that has it)."""
    return xlsx(
        table(
            [
                person_row(n, username=f"nlampraki{n}") if n % 6 == 0 else person_row(n)
                for n in range(1, rows + 1)
            ]
        )
    )


def seed_and_queue(rows: int = ROWS):
    """The demo data, a clean sheet of `rows` new students uploaded, and its apply queued."""
    demo.seed()
    school = School.objects.get(code="el")
    actor = Account.objects.get(username="grammateiael")
    actor.person = Person.objects.create(
        surname="Γραμματεία", given_name="ΗΜΜΥ", external_email="grammateia@example.com"
    )
    actor.save(update_fields=["person"])
    upload = services.upload_sheet(
        content=big_sheet(rows),
        filename="big.xlsx",
        school=school,
        kind="postgraduate",
        actor=actor,
    )
    assert upload.state == SheetState.VALID, upload.result["errors"][:3]
    assert services.request_apply(upload, actor=actor) is None
    return upload, actor


def apply_transaction_open(url: str) -> int | None:
    """Is an apply's transaction open right now? PostgreSQL: the backend pid holding the
    sheets lock (taken first in the transaction); SQLite: -1 if the write lock is held."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 1 AND classid = %s AND objid = %s",
                [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF],
            )
            row = cursor.fetchone()
            return row[0] if row else None
    probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return None
    except sqlite3.OperationalError:
        return -1
    finally:
        probe.close()


def state_of(upload) -> str:
    return SheetUpload.objects.filter(pk=upload.pk).values_list("state", flat=True).get()


def wait_inside_apply(upload, worker: Worker, url: str) -> int:
    """Until the worker has committed its claim and is inside the apply's transaction."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.output()
        state = state_of(upload)
        assert state in (SheetState.QUEUED, SheetState.APPLYING), (
            f"the apply ended ({state}) before the test saw it running:\n{worker.output()}"
        )
        if state == SheetState.APPLYING:
            holder = apply_transaction_open(url)
            if holder is not None:
                return holder
        time.sleep(0.01)
    raise AssertionError(f"the worker never started the apply:\n{worker.output()}")


def wait_for_backend_gone(pid: int) -> None:
    """PostgreSQL ends a killed client's session (and drops its locks) once it notices."""
    if pid < 0:
        return
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() is None:
                return
        time.sleep(0.05)
    raise AssertionError(f"backend {pid} outlived its client")


def wait_for_state(upload, states, worker: Worker) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        state = state_of(upload)
        if state in states:
            return state
        assert worker.process.poll() is None, worker.output()
        time.sleep(0.05)
    raise AssertionError(f"still {state_of(upload)}:\n{worker.output()}")


def counts(upload):
    return {
        "people": Person.objects.count(),
        "accounts": Account.objects.count(),
        "welcomes": OutboxMessage.objects.filter(template="welcome").count(),
        "rows_applied": AuditEvent.objects.filter(
            action="sheet.row_applied", details__sheet=str(upload.pk)
        ).count(),
        "applied": AuditEvent.objects.filter(
            action="sheet.applied", details__sheet=str(upload.pk)
        ).count(),
    }


def signed_in(actor, language: str = "el") -> Client:
    client = Client()
    client.force_login(actor)
    client.cookies["django_language"] = language
    return client


@pytest.mark.slow
def test_r19_worker_killed_mid_apply_is_detected_and_the_sheet_applies_again(shared_db, tmp_path):
    upload, actor = seed_and_queue()
    planned = upload.result["outcomes"]
    before = counts(upload)
    el, en = signed_in(actor, "el"), signed_in(actor, "en")

    worker = Worker(shared_db, tmp_path / "worker1.log")
    try:
        holder = wait_inside_apply(upload, worker, shared_db)
    finally:
        worker.kill()
    wait_for_backend_gone(holder)

    # What the killed worker leaves: the claim, nothing of the apply.
    upload.refresh_from_db()
    assert upload.state == SheetState.APPLYING
    assert upload.apply_claim["pid"] == worker.process.pid
    assert counts(upload) == before

    page = el.get(reverse("sheets:detail", kwargs={"pk": upload.pk})).content.decode()
    assert message("sheet.apply_interrupted", language="el") in page
    assert "διακόπηκε· δεν έγινε καμία αλλαγή" in page
    assert message("sheet.not_clean", language="el") not in page
    assert 'id="apply"' in page and 'id="apply" disabled' not in page
    page = en.get(reverse("sheets:detail", kwargs={"pk": upload.pk})).content.decode()
    assert message("sheet.apply_interrupted", language="en") in page
    assert "interrupted; nothing was changed" in page
    assert 'id="apply" disabled' not in page
    upload.refresh_from_db()
    assert upload.state == SheetState.INTERRUPTED
    assert (
        AuditEvent.objects.filter(
            action="sheet.apply_interrupted", target_id=str(upload.pk)
        ).count()
        == 1
    )
    assert OutboxMessage.objects.filter(template="sheet_done", to="grammateia@example.com").exists()
    status = el.get(reverse("sheets:status", kwargs={"pk": upload.pk})).json()
    assert status["done"] and status["state"] == SheetState.INTERRUPTED
    # The sweep marks the killed worker's task row failed instead of RUNNING for ever.
    killed_task = DBTaskResult.objects.get(pk=upload.task_id)
    assert killed_task.status == "RUNNING"
    call_command("sheet", "recover", "--format", "json", stdout=io.StringIO())
    killed_task.refresh_from_db()
    assert killed_task.status == "FAILED"
    assert killed_task.exception_class_path == worker_module.ORPHAN_EXCEPTION

    # Apply again from the page: queued, then a worker applies it like a clean apply.
    response = el.post(reverse("sheets:apply", kwargs={"pk": upload.pk}), {"confirm": "1"})
    assert response["Location"] == reverse("sheets:progress", kwargs={"pk": upload.pk})
    second = Worker(shared_db, tmp_path / "worker2.log", "--batch")
    try:
        second.process.wait(timeout=WAIT)
    finally:
        second.stop()
    upload.refresh_from_db()
    assert upload.state == SheetState.APPLIED, second.output()
    assert upload.result["outcomes"] == planned
    assert upload.changes == ROWS
    after = counts(upload)
    assert after == {
        "people": before["people"] + ROWS,
        "accounts": before["accounts"] + ROWS,
        "welcomes": before["welcomes"] + ROWS,
        "rows_applied": ROWS,
        "applied": 1,
    }
    page = el.get(reverse("sheets:detail", kwargs={"pk": upload.pk})).content.decode()
    assert message("sheet.apply_interrupted", language="el") not in page


@pytest.mark.slow
def test_r19_a_second_apply_of_a_running_apply_is_refused(shared_db, tmp_path):
    upload, actor = seed_and_queue()
    before = counts(upload)
    el = signed_in(actor, "el")
    worker = Worker(shared_db, tmp_path / "worker.log")
    try:
        wait_inside_apply(upload, worker, shared_db)
        fresh = SheetUpload.objects.select_related("school").get(pk=upload.pk)
        assert not services.recover_stale(fresh)
        refused = services.apply_upload(fresh, actor=actor)
        assert [e["code"] for e in refused.errors] == ["sheet.apply_running"]
        queued_again = services.request_apply(fresh, actor=actor)
        assert [e["code"] for e in queued_again.errors] == ["sheet.apply_running"]
        response = el.post(
            reverse("sheets:apply", kwargs={"pk": upload.pk}), {"confirm": "1"}, follow=True
        )
        page = response.content.decode()
        assert message("sheet.apply_running", language="el") in page
        assert message("sheet.not_clean", language="el") not in page
        assert state_of(upload) == SheetState.APPLYING
        wait_for_state(upload, (SheetState.APPLIED, SheetState.FAILED), worker)
    finally:
        worker.stop()
    upload.refresh_from_db()
    assert upload.state == SheetState.APPLIED, worker.output()
    after = counts(upload)
    assert after["accounts"] == before["accounts"] + ROWS
    assert after["rows_applied"] == ROWS and after["applied"] == 1


# The claim's liveness, against real processes and real locks (fast; no worker).


def exited_process() -> tuple[int, int]:
    """The pid and start time of a real process, killed with SIGKILL and reaped."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    start = claims.process_start(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return process.pid, start


def claim_for(pid: int, start: int | None, *, node: str | None = None, lease_minutes=60):
    now = timezone.now()
    return {
        "attempt": "a" * 32,
        "host": "test",
        "node": node or claims.node(),
        "pid": pid,
        "start": start,
        "at": now.isoformat(),
        "lease_until": (now + dt.timedelta(minutes=lease_minutes)).isoformat(),
    }


def make_applying(upload, claim):
    SheetUpload.objects.filter(pk=upload.pk).update(
        state=SheetState.APPLYING, apply_attempt=claim["attempt"], apply_claim=claim
    )
    upload.refresh_from_db()


@pytest.fixture
def small_upload(school_el, secretariat):
    return services.upload_sheet(
        content=xlsx(table([person_row(1), person_row(2)])),
        filename="a.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )


@pytest.fixture
def other_session():
    """A second database session (another worker host, as far as PostgreSQL can tell)."""
    side = connections.create_connection("default")
    yield side
    side.close()


def hold_upload_lock(side, upload) -> None:
    with side.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_lock(%s, %s)", [claims.NAMESPACE, claims.lock_key(upload.pk)]
        )


@pytest.mark.django_db
def test_r19_claim_of_a_killed_process_is_stale(small_upload):
    pid, start = exited_process()
    claim = claim_for(pid, start)
    assert claims.is_stale(small_upload.pk, claim)


@pytest.mark.django_db
def test_r19_claim_of_a_live_process_is_not_stale(small_upload, other_session):
    claim = claim_for(os.getpid(), claims.process_start(os.getpid()))
    if connection.vendor == "postgresql":
        # The lock decides: free, the claimant's session is gone, whatever the pid says.
        assert claims.is_stale(small_upload.pk, claim)
        hold_upload_lock(other_session, small_upload)
    assert not claims.is_stale(small_upload.pk, claim)


@pytest.mark.django_db
def test_r19_a_reused_pid_does_not_keep_a_dead_claim_alive(small_upload):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the session lock decides, not the pid")
    start = claims.process_start(os.getpid())
    assert not claims.is_stale(small_upload.pk, claim_for(os.getpid(), start))
    assert claims.is_stale(small_upload.pk, claim_for(os.getpid(), start - 1))


@pytest.mark.django_db
def test_r19_claim_from_another_node_lives_until_its_lease(small_upload):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the session lock decides, not the lease")
    pid, start = exited_process()
    other = "another-host/boot/pid:[1]"
    assert not claims.is_stale(small_upload.pk, claim_for(pid, start, node=other))
    assert claims.is_stale(small_upload.pk, claim_for(pid, start, node=other, lease_minutes=-1))


@pytest.mark.django_db
def test_r19_stale_upload_page_offers_apply_again_and_it_works(small_upload, secretariat):
    pid, start = exited_process()
    make_applying(small_upload, claim_for(pid, start))
    el, en = signed_in(secretariat, "el"), signed_in(secretariat, "en")
    url = reverse("sheets:detail", kwargs={"pk": small_upload.pk})
    page = el.get(url).content.decode()
    assert message("sheet.apply_interrupted", language="el") in page
    assert 'id="apply" disabled' not in page and "Εφαρμογή" in page
    assert message("sheet.apply_interrupted", language="en") in en.get(url).content.decode()
    response = el.post(
        reverse("sheets:apply", kwargs={"pk": small_upload.pk}), {"confirm": "1"}, follow=True
    )
    assert message("sheet.not_clean", language="el") not in response.content.decode()
    small_upload.refresh_from_db()
    assert small_upload.state == SheetState.APPLIED
    assert small_upload.changes == 2
    assert Account.objects.filter(username__in=["nioannou", "ndimitriou"]).count() == 2


@pytest.mark.django_db
def test_r19_running_upload_is_refused_with_a_clear_code(small_upload, secretariat, other_session):
    make_applying(small_upload, claim_for(os.getpid(), claims.process_start(os.getpid())))
    if connection.vendor == "postgresql":
        hold_upload_lock(other_session, small_upload)
    result = services.apply_upload(small_upload, actor=secretariat)
    assert [e["code"] for e in result.errors] == ["sheet.apply_running"]
    el = signed_in(secretariat, "el")
    response = el.post(
        reverse("sheets:apply", kwargs={"pk": small_upload.pk}), {"confirm": "1"}, follow=True
    )
    page = response.content.decode()
    assert message("sheet.apply_running", language="el") in page
    assert message("sheet.not_clean", language="el") not in page
    small_upload.refresh_from_db()
    assert small_upload.state == SheetState.APPLYING
    assert not Account.objects.filter(username="nioannou").exists()


@pytest.mark.django_db
def test_r19_an_apply_whose_claim_was_taken_over_stands_down(small_upload, secretariat):
    """Fencing: even a wrong verdict cannot make two attempts commit."""
    attempt = runs._claim(small_upload, (SheetState.VALID,), secretariat, None)
    try:
        SheetUpload.objects.filter(pk=small_upload.pk).update(apply_attempt="b" * 32)
        result = runs._apply_claimed(
            small_upload, attempt, actor=secretariat, client_ip=None, progress=None
        )
    finally:
        claims.release_lock(small_upload.pk)
    assert [e["code"] for e in result.errors] == ["sheet.apply_interrupted"]
    assert not Account.objects.filter(username="nioannou").exists()


@pytest.mark.django_db
def test_r19_recover_command_marks_stale_uploads(small_upload, secretariat):
    from django.core.management import call_command

    pid, start = exited_process()
    make_applying(small_upload, claim_for(pid, start))
    out = io.StringIO()
    call_command("sheet", "recover", "--format", "json", stdout=out)
    assert str(small_upload.pk) in out.getvalue()
    small_upload.refresh_from_db()
    assert small_upload.state == SheetState.INTERRUPTED
