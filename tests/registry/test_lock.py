"""Scheduling: two registry imports never overlap (issue 10, item 7; docs/operations.md).

The run lock is held by a REAL second process (a `python -c` child that takes
it and waits on its stdin); `kleidi registry import` then refuses at once with
`registry.locked` and exit 2. The holder is killed with SIGKILL, as the OOM
killer or a power cut would, and the lock is free again: the OS (SQLite's
flock) or the server (PostgreSQL's session advisory lock) gives it back.
The same tests run on both databases, whichever the run uses.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from kleidi.errors import CodedError
from kleidi.registry import lock
from tests.registry.importing import make_school

pytestmark = pytest.mark.django_db
WAIT = 120  # a safety net for a stuck child, never an assertion on speed

FEED = (
    "registrationID,departmentID,lastNameEl,firstNameEl,extEmail,enrollmentStatus,enrollmentType\n"
    "03125001,ece,Παπαδάκη,Μαρίνα,marina.p@example.com,active,Πανελλήνιες\n"
)
HOLDER = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
import django
django.setup()
from kleidi.registry import lock
held = lock.acquire()
print("held", os.getpid(), flush=True)
sys.stdin.read()
"""


@pytest.fixture
def var_dir(settings, tmp_path):
    """This test's own VAR_DIR: the in-memory test database's lock file lives there."""
    settings.VAR_DIR = tmp_path
    return tmp_path


def child_environment(var_dir) -> dict:
    """The holder reaches the lock this test's database uses: same PG database, same file."""
    env = {**os.environ, "KLEIDI_VAR_DIR": str(var_dir)}
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
        )
    else:
        # The tests' SQLite database is in memory: its lock file is VAR_DIR's.
        assert lock.lock_path() == var_dir / lock.MEMORY_LOCK_FILE
        env["DATABASE_URL"] = "sqlite://:memory:"
    return env


@pytest.fixture
def holder(var_dir):
    """A real process holding the run lock; `holder.kill()` kills it with SIGKILL."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=child_environment(var_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline()
    if not line.startswith("held"):
        child.kill()
        pytest.fail(f"the holder did not take the lock: {line!r} {child.stderr.read()}")
    yield child
    if child.poll() is None:
        child.kill()
    child.wait(WAIT)
    # PostgreSQL ends the dead holder's session a moment later: the next test starts after.
    wait_until_free().release()


def kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(WAIT) == -signal.SIGKILL


def wait_until_free() -> lock.RunLock:
    """After the holder died: PostgreSQL ends its session once it sees the socket close."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return lock.acquire()
        except CodedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("registry", "import", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_lock_a_second_run_in_this_process_is_refused_until_released(var_dir):
    first = lock.acquire()
    with pytest.raises(CodedError) as refused:
        lock.acquire()
    assert refused.value.code == "registry.locked"
    assert str(os.getpid()) in refused.value.params["holder"] or connection.vendor == "postgresql"
    first.release()
    with lock.held():
        pass
    lock.acquire().release()


def test_lock_held_by_another_process_refuses_and_names_it(holder):
    with pytest.raises(CodedError) as refused:
        lock.acquire()
    assert refused.value.code == "registry.locked"
    if connection.vendor == "sqlite":
        assert f"pid {holder.pid} " in refused.value.params["holder"]
    else:
        assert refused.value.params["holder"].startswith("PostgreSQL session ")


def test_lock_cli_exits_2_with_registry_locked_while_another_run_holds_it(holder, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("registrationID,departmentID\n", encoding="utf-8")
    status, out, err = run_cli(str(feed), "--format", "json", "--language", "en")
    assert status == 2
    body = json.loads(out)
    assert body["ok"] is False
    assert body["error"]["code"] == "registry.locked"
    assert "Another registry import is running" in body["error"]["message"]
    assert err == ""
    with translation.override("el"):  # a fresh process's language: Greek
        status, out, err = run_cli(str(feed), "--dry-run")
    assert status == 2
    assert out == ""
    assert err.startswith("registry.locked: ")
    assert "Τρέχει ήδη άλλη εισαγωγή" in err


def test_lock_released_when_the_holder_is_killed_with_sigkill(holder, tmp_path):
    make_school(code="ece", prefix="el")
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED, encoding="utf-8")
    status, out, _ = run_cli(str(feed), "--dry-run", "--format", "json")
    assert (status, json.loads(out)["error"]["code"]) == (2, "registry.locked")
    kill(holder)
    wait_until_free().release()
    status, out, _ = run_cli(str(feed), "--dry-run", "--format", "json")
    assert status == 0
    assert json.loads(out)["counts"]["create"] == 1
