"""Real Kleidi processes for the tests that kill, stop and restart them.

The outbox's and the directory's worker tests and the reconcile command's
resume test run `kleidi` in child processes on a SQLite file of their own,
with an environment stripped of the parent's Kleidi, mail, Redis and
database settings, so nothing of the test run leaks into the child.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def manage(*args, env, timeout: float = 300) -> subprocess.CompletedProcess:
    """`kleidi <args>` in a child process; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "kleidi.manage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def child_environment(path: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without its settings, on the SQLite file `path`, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KLEIDI_", "EMAIL_", "REDIS_", "DATABASE_"))
    }
    return {**env, "DATABASE_URL": f"sqlite:///{path}", "KLEIDI_VAR_DIR": str(path.parent), **extra}


def migrate(path: Path) -> Path:
    """A migrated SQLite database at `path` (the module's template, copied per test)."""
    env = child_environment(path)
    for command in (["migrate", "--noinput"], ["createcachetable"]):
        result = manage(*command, env=env, timeout=600)
        assert result.returncode == 0, result.stderr
    return path


def copy_database(template: Path, directory: Path) -> Path:
    path = directory / "kleidi.sqlite3"
    shutil.copy(template, path)
    return path


def query(path: Path, sql: str, *params):
    """Read (or move the clock of) a child's database directly, as an operator would."""
    with sqlite3.connect(path, timeout=60) as db:
        rows = db.execute(sql, params).fetchall()
    db.close()
    return rows


def start_worker(env, queue: str = "*") -> subprocess.Popen:
    """`kleidi db_worker` as production runs it (no reload), polling every 0.2 s."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kleidi.manage",
            "db_worker",
            "--no-reload",
            "--queue-name",
            queue,
            "--interval",
            "0.2",
            "--no-startup-delay",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM and wait; SIGKILL if it does not end within 30 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition, what: str, seconds: float = 180) -> None:
    """Poll for a state change of another process (a bound on waiting, not a timed assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)
