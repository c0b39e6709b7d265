"""The registry import's run lock: two runs never overlap (issue 10, scheduling).

A nightly timer, an operator's manual run and a retry after a failure may
start at the same moment; only one may read the registry and import it. The
lock is non-blocking: a second run gives up at once with `registry.locked`
(exit 2) and changes nothing, instead of queueing behind the first and
importing a feed older than what the first one just applied.

* PostgreSQL: a session advisory lock (`pg_try_advisory_lock(LOCK_KEY)`) on a
  connection of its own, opened with the default database's settings, so
  nothing the import does with Django's connection (a rolled-back
  transaction, a closed connection) can drop it. The server releases it the
  moment that session ends: on release, on exit, or when the process is
  killed and its socket closes. Advisory locks belong to one database, so the
  lock serialises every host that imports into it.
* SQLite: `fcntl.flock` on a file beside the database file (or under
  `VAR_DIR` for an in-memory database): one machine, one file. The kernel
  releases it when the process ends, however it ends. The file is never
  deleted (deleting a lock file races with a run that is opening it); it
  holds the holder's pid and host, for the message.

Both are taken on descriptors that are closed on exec, so the sheet reader's
child process does not inherit them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from kleidi.errors import error

# pg_try_advisory_lock key: "kleidi" then 0002 (the sheets' apply lock is 0001).
LOCK_KEY = 0x6B6C6569_64690002
LOCK_FILE_SUFFIX = ".registry-import.lock"
MEMORY_LOCK_FILE = "registry-import.lock"


class RunLock:
    """A held run lock; `release()` gives it back (exit and death give it back too)."""

    def __init__(self, release) -> None:
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()


def acquire(alias: str = DEFAULT_DB_ALIAS) -> RunLock:
    """Take the import's run lock or raise `registry.locked` naming its holder."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return _acquire_advisory(connection)
    return _acquire_file(lock_path(alias))


@contextlib.contextmanager
def held(alias: str = DEFAULT_DB_ALIAS) -> Iterator[RunLock]:
    """`with held(): ...`: the run lock for the block's duration."""
    lock = acquire(alias)
    try:
        yield lock
    finally:
        lock.release()


def lock_path(alias: str = DEFAULT_DB_ALIAS) -> Path:
    """SQLite: the lock file, beside the database file (the demo's and Kleidi's own differ)."""
    name = str(connections[alias].settings_dict["NAME"])
    if name and name != ":memory:" and not name.startswith("file:") and "mode=memory" not in name:
        return Path(name).with_name(Path(name).name + LOCK_FILE_SUFFIX)
    return Path(settings.VAR_DIR) / MEMORY_LOCK_FILE


def _acquire_file(path: Path) -> RunLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "?"
        os.close(fd)
        raise error("registry.locked", holder=holder) from None
    except BaseException:
        os.close(fd)
        raise
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    note = f"pid {os.getpid()} on {socket.gethostname()} since {started}".encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, note, 0)

    def release() -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    return RunLock(release)


def _acquire_advisory(connection) -> RunLock:
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            taken = bool(cursor.fetchone()[0])
            holder = "" if taken else _advisory_holder(cursor)
    except BaseException:
        raw.close()
        raise
    if not taken:
        raw.close()
        raise error("registry.locked", holder=holder)

    def release() -> None:
        # Unlock first: the server ends a closed session a moment after the close returns,
        # and the next run may already be asking. A dead connection has released it already.
        try:
            with raw.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        except connection.Database.Error:
            pass  # the session is gone, and its lock with it
        finally:
            raw.close()

    return RunLock(release)


def _advisory_holder(cursor) -> str:
    """Which session holds the lock, from pg_locks (a bigint key: classid high, objid low)."""
    cursor.execute(
        "SELECT a.pid, host(a.client_addr), a.backend_start FROM pg_locks l"
        " JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.classid::bigint = %s AND l.objid::bigint = %s"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF],
    )
    row = cursor.fetchone()
    if row is None:  # released between the two queries: the next run will get it
        return "?"
    pid, address, since = row
    where = f" from {address}" if address else ""
    return f"PostgreSQL session {pid}{where} since {since.isoformat(timespec='seconds')}"
