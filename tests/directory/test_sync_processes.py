"""R28 with real worker processes on a file SQLite database and the session's real slapd.

A `db_worker` converges what the queue holds once the change commits, and a
worker killed with SIGKILL in the middle of a batch leaves nothing lost: its
orphaned task is queued again, its accounts are taken again once their lease
ends, and every entry ends up right, none created twice.
"""

from __future__ import annotations

import os
import signal

import pytest
from ldap3 import LEVEL

from kleidi.directory import slapd as private
from tests.ldap_fixtures import admin_connection
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

pytestmark = pytest.mark.slow

CREATE = """
import sys
from kleidi.accounts.models import AccountKind
from kleidi.accounts.services import NewAccount, create_accounts
from kleidi.accounts.usernames import username_policy
from kleidi.people.models import AffiliationStatus, School
from kleidi.people.services import create_affiliations, create_people, create_school
first, count = {first}, {count}
school = School.objects.filter(code="el").first() or create_school(
    {{"code": "el", "name_el": "Ηλεκτρολόγων", "name_en": "ECE", "undergraduate_prefix": "el"}})
numbers = [f"031{{i:05d}}" for i in range(first, first + count)]
people = create_people([{{"surname": "Παπαδάκη", "given_name": "Ελένη"}} for _ in numbers])
affiliations = create_affiliations([
    {{"person": p, "kind": AccountKind.UNDERGRADUATE, "school": school,
      "registration_number": n, "status": AffiliationStatus.ACTIVE}}
    for p, n in zip(people, numbers)])
policy = username_policy()
create_accounts([
    NewAccount(username=policy.undergraduate_username("el", n), kind=AccountKind.UNDERGRADUATE,
               person=p, affiliation=a, school=school)
    for p, a, n in zip(people, affiliations, numbers)], welcome=False)
"""


def environment(path, server, **extra) -> dict:
    return child_environment(path, **(server.environment() if server else {}), **extra)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    return migrate(tmp_path_factory.mktemp("directory-db") / "kleidi.sqlite3")


@pytest.fixture
def database(migrated, tmp_path):
    return copy_database(migrated, tmp_path)


def create(env, first: int, count: int) -> None:
    result = manage("shell", "-c", CREATE.format(first=first, count=count), env=env)
    assert result.returncode == 0, result.stderr[-3000:]


def entries(server) -> list[str]:
    conn = admin_connection(server)
    found = conn.extend.standard.paged_search(
        private.PEOPLE, "(uid=*)", LEVEL, attributes=["uid"], paged_size=1000, generator=True
    )
    uids = [item["attributes"]["uid"][0] for item in found if item["type"] == "searchResEntry"]
    conn.unbind()
    return uids


def pending(path) -> int:
    return query(path, "SELECT COUNT(*) FROM directory_directorychange")[0][0]


def sync_tasks(path) -> list[tuple[str, str]]:
    return query(
        path,
        "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE '%sync_directory' ORDER BY enqueued_at",
    )


def test_r28_a_worker_converges_the_queue_after_the_commit(database, directory):
    env = environment(database, directory)
    create(env, 0, 300)
    assert pending(database) == 300
    assert [status for status, _ in sync_tasks(database)] == ["READY"]
    worker = start_worker(env, queue="directory")
    try:
        wait_until(lambda: pending(database) == 0, "the queue to empty")
    finally:
        stop(worker)
    uids = entries(directory)
    assert len(uids) == len(set(uids)) == 300
    synced = query(
        database, "SELECT COUNT(*) FROM directory_directorystate WHERE synced_at IS NOT NULL"
    )
    assert synced == [(300,)]


def test_r28_a_worker_killed_mid_batch_is_recovered(database, directory):
    env = environment(database, directory, KLEIDI_LDAP_SYNC_BATCH="3000")
    create(env, 0, 3000)
    worker = start_worker(env, queue="directory")
    try:
        wait_until(lambda: len(entries(directory)) >= 200, "the worker to be mid-batch")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        stop(worker)
    done = len(entries(directory))
    assert 0 < done < 3000
    # Killed before recording: every row is still queued, and the accounts are leased.
    assert pending(database) == 3000
    assert [status for status, _ in sync_tasks(database)] == ["RUNNING"]
    leased = query(
        database, "SELECT COUNT(*) FROM directory_directorystate WHERE claimed_until IS NOT NULL"
    )
    assert leased == [(3000,)]
    # Time passes: the lease ends. The next change queues a task, whose worker
    # queues the orphan again; between them every account is converged.
    query(database, "UPDATE directory_directorystate SET claimed_until = '2000-01-01 00:00:00'")
    create(env, 3000, 1)
    worker = start_worker(env, queue="directory")
    try:
        wait_until(lambda: pending(database) == 0, "the queue to empty after the restart")
    finally:
        stop(worker)
    uids = entries(directory)
    assert len(uids) == len(set(uids)) == 3001
    statuses = sync_tasks(database)
    assert ("FAILED", "kleidi.worker.WorkerDied") in statuses
    assert all(status in ("SUCCESSFUL", "FAILED", "READY") for status, _ in statuses)
