"""R4, R30: an import killed with SIGKILL inside its transaction leaves nothing; running it
again does everything; once more changes nothing. A real child process (`import_feed` from
`python -c`), on an SQLite file and on a PostgreSQL clone of the test database."""

import datetime as dt
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest

from kleidi.accounts.models import Account, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Affiliation, Person
from kleidi.registry.models import RegistryRun
from kleidi.registry.records import GRADUATED
from kleidi.registry.services import import_feed
from tests.registry.importing import feed, make_school, rec, students
from tests.sheets.test_stale_apply import shared_db  # noqa: F401 (the fixture)

TODAY = dt.date(2026, 12, 1)
WAIT = 300  # a safety net for a stuck test, never an assertion on speed
INSIDE = "INSIDE-THE-TRANSACTION"

# The child: import the pickled feed; with "crash", stop for ever once accounts of the
# run exist inside its (uncommitted) transaction, and say so.
CHILD = """
import os, pickle, sys, time, datetime as dt
import django
django.setup()
from kleidi.accounts.models import Account
from kleidi.registry.services import import_feed
feed = pickle.load(open(sys.argv[1], "rb"))
crash, before = sys.argv[2] == "crash", int(sys.argv[3])
def progress(done, total):
    if crash and Account.objects.count() > before:
        print("INSIDE-THE-TRANSACTION", flush=True)
        time.sleep(600)
report = import_feed(feed, today=dt.date(2026, 12, 1), progress=progress)
print(report.counts, flush=True)
"""


def child(url: str, tmp_path, data, mode: str, before: int) -> subprocess.Popen:
    path = tmp_path / "feed.pickle"
    path.write_bytes(pickle.dumps(data))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KLEIDI_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kleidi.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), mode, str(before)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def snapshot() -> tuple:
    return (
        Person.objects.count(),
        Affiliation.objects.count(),
        Account.objects.count(),
        OutboxMessage.objects.count(),
        AuditEvent.objects.count(),
        RegistryRun.objects.count(),
    )


@pytest.mark.slow
def test_r4_a_killed_import_leaves_nothing_and_a_rerun_does_everything(shared_db, tmp_path):  # noqa: F811
    make_school()
    import_feed(feed(students(20)), today=TODAY)
    before = snapshot()
    night = feed(
        [
            rec(0, mobile="+306979999999"),  # update
            rec(1, status=GRADUATED, status_date=dt.date(2026, 11, 1)),  # graduate
            *students(18, start=2),
            *students(200, start=100),  # create
        ]
    )

    crashing = child(shared_db, tmp_path, night, "crash", before[2])
    deadline = time.monotonic() + WAIT
    line = ""
    while INSIDE not in line:
        line = crashing.stdout.readline()
        assert line or crashing.poll() is None, "the child ended before its transaction"
        assert time.monotonic() < deadline, "the child never reached its transaction"
    crashing.send_signal(signal.SIGKILL)
    crashing.wait(timeout=WAIT)
    crashing.stdout.close()
    assert crashing.returncode == -signal.SIGKILL

    assert snapshot() == before
    assert Account.objects.get(username="el18001").state == AccountState.PENDING
    assert Person.objects.filter(mobile="+306979999999").count() == 0

    again = child(shared_db, tmp_path, night, "run", before[2])
    output, _ = again.communicate(timeout=WAIT)
    assert again.returncode == 0, output
    assert Account.objects.count() == before[2] + 200
    assert OutboxMessage.objects.filter(template="welcome").count() == 220
    assert OutboxMessage.objects.filter(template="graduated").count() == 1
    assert Account.objects.get(username="el18001").state == AccountState.RETIRED
    assert Person.objects.filter(mobile="+306979999999").count() == 1
    assert RegistryRun.objects.count() == before[5] + 1

    done = snapshot()
    report = import_feed(night, today=TODAY)
    assert report.counts["unchanged"] == len(night.records)
    assert snapshot()[:4] == done[:4]
