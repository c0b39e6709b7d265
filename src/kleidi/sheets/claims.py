"""Who is applying an upload, and whether that apply is still alive (R19, never stuck).

Before its long transaction an apply commits a claim on the upload: a random
attempt id, the host, the process (pid and its start time, so a reused pid is
not mistaken for the old one), the node (kernel boot and pid namespace: pids
are comparable only inside one) and a lease. A worker killed during the
transaction leaves the claim behind while the database rolls the apply back;
`is_stale` tells such a leftover from an apply that is still running:

* PostgreSQL: the claimant holds a session advisory lock on the upload for as
  long as it works on it. The server drops it the moment the claimant's
  session ends (a killed process's socket closes), on whichever host it ran,
  and keeps it while a frozen host might still commit. So the lock decides:
  nobody holds it => stale.
* SQLite: one file on one machine. On the claim's own node the pid decides
  (gone, a zombie or a different process with the same pid => stale);
  from another node (a container sharing the file) only the lease can.

Whatever the verdict, the apply transaction checks its attempt id first and
gives up if the claim is no longer its own, so two attempts never both commit.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

# The session advisory lock of one upload: pg_advisory_lock(NAMESPACE, key).
NAMESPACE = 0x6B6C5348  # "klSH"


@cache
def node() -> str:
    """This kernel boot and pid namespace: pids are comparable only within one."""
    parts = [socket.gethostname()]
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            parts.append(handle.read().strip())
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        pass
    return "/".join(parts)


def process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None if unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):  # a zombie runs nothing
        return None
    return int(fields[19])


def pid_alive(pid: int, start: int | None) -> bool:
    """Is `pid` (started at `start`, if known) still running on this node?"""
    if os.path.isdir("/proc/self"):
        now = process_start(pid)
        return now is not None and (start is None or now == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_claim(now: dt.datetime | None = None) -> dict:
    """The claim this process writes on an upload it is about to apply."""
    now = now or timezone.now()
    pid = os.getpid()
    return {
        "attempt": secrets.token_hex(16),
        "host": socket.gethostname(),
        "node": node(),
        "pid": pid,
        "start": process_start(pid),
        "at": now.isoformat(),
        "lease_until": (now + dt.timedelta(seconds=settings.SHEET_APPLY_LEASE_SECONDS)).isoformat(),
    }


def lock_key(upload_id) -> int:
    """The upload's advisory lock key (int4): a collision only makes an apply look busy."""
    return int.from_bytes(upload_id.bytes[:4], "big", signed=True)


def take_lock(upload_id) -> bool:
    """PostgreSQL: take the upload's session lock, or False if another session holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [NAMESPACE, lock_key(upload_id)])
        return bool(cursor.fetchone()[0])


def release_lock(upload_id) -> None:
    """Give the upload's lock back; a session that died has given it back already."""
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [NAMESPACE, lock_key(upload_id)])
    except DatabaseError:
        connection.close()


def lock_held(upload_id) -> bool:
    """PostgreSQL: does any session hold the upload's lock? Read-only (pg_locks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objsubid = 2 AND classid::bigint = %s AND objid::bigint = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [NAMESPACE, lock_key(upload_id) & 0xFFFFFFFF],  # pg_locks shows the key unsigned
        )
        return bool(cursor.fetchone()[0])


def is_stale(upload_id, claim: dict, now: dt.datetime | None = None) -> bool:
    """Is the apply that wrote `claim` certainly no longer running? See the module's docstring.

    A claim-less "applying" upload (left by a release that wrote none) is stale.
    """
    if connection.vendor == "postgresql":
        return not lock_held(upload_id)
    if not claim:
        return True
    if claim.get("node") == node() and not pid_alive(claim["pid"], claim.get("start")):
        return True
    lease = dt.datetime.fromisoformat(claim["lease_until"])
    return (now or timezone.now()) >= lease
