"""R28: the queue converges — coalesced, retried with backoff, leased, nothing lost while down.

Against the session's real slapd; time moves by passing `now`, never by sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from ldap3 import LEVEL, MODIFY_REPLACE, Connection

from kleidi.directory import slapd as private
from kleidi.directory import sync, tasks
from kleidi.directory.connection import DirectoryUnavailable
from kleidi.directory.converge import Drift, EntryRefused, converge, read_entries
from kleidi.directory.mapping import ADMIN_LOCK, LOCK_ATTRIBUTE, accounts_for_directory, entry_dn
from kleidi.directory.models import DirectoryChange, DirectoryState
from kleidi.directory.services.queue import queue_accounts
from kleidi.people.services import update_person
from kleidi.portal.demo import MEMBER_PASSWORD, STAFF_PASSWORD
from kleidi.sheets.apply import apply_table
from kleidi.sheets.reader import read_sheet
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(directory, demo):
    """The demo's accounts, seeded with the directory on: each has change rows."""
    return demo


def counting(server) -> Connection:
    """Kleidi's service identity, counting its operations."""
    return Connection(
        server.url,
        private.SERVICE_DN,
        server.service_password,
        auto_bind=True,
        collect_usage=True,
    )


@pytest.fixture
def service(directory):
    conn = counting(directory)
    yield conn
    conn.unbind()


def everything_in_sync(conn) -> bool:
    before = conn.usage.add_operations + conn.usage.modify_operations
    outcome = converge(conn, list(accounts_for_directory().order_by("pk")))
    after = conn.usage.add_operations + conn.usage.modify_operations
    return after == before and all(isinstance(d, Drift) and d.in_sync for d in outcome.values())


def people_uids(ldap_admin) -> list[str]:
    found = ldap_admin.extend.standard.paged_search(
        private.PEOPLE, "(uid=*)", LEVEL, attributes=["uid"], paged_size=1000, generator=True
    )
    return [item["attributes"]["uid"][0] for item in found if item["type"] == "searchResEntry"]


def drain(conn=None, now=None) -> dict[str, int]:
    total: dict[str, int] = {}
    while True:
        counts = sync.sync_due(now=now, conn=conn)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if not counts["claimed"]:
            return total


def test_r28_every_change_queues_a_row_and_no_password(queued, account, settings):
    from kleidi.accounts.models import Account

    assert DirectoryChange.objects.count() >= Account.objects.count()
    assert set(DirectoryChange.objects.values_list("account_id", flat=True)) == set(
        Account.objects.values_list("pk", flat=True)
    )
    for model in (DirectoryChange, DirectoryState):
        for row in model.objects.values():
            text = repr(row)
            assert MEMBER_PASSWORD not in text and STAFF_PASSWORD not in text
    assert {f.name for f in DirectoryChange._meta.fields} == {
        "id",
        "account",
        "reason",
        "created_at",
    }


def test_r28_the_queue_converges_every_account_and_empties(queued, service, ldap_admin):
    from kleidi.accounts.models import Account

    counts = drain(service)
    total = Account.objects.count()
    assert counts["created"] == counts["converged"] == total
    assert counts["failed"] == 0
    assert DirectoryChange.objects.count() == 0
    states = DirectoryState.objects.all()
    assert states.count() == total
    assert all(s.synced_at and s.attempts == 0 and not s.claimed_until for s in states)
    assert all(s.synced_change > 0 and not s.last_error for s in states)
    assert everything_in_sync(service)
    assert sorted(people_uids(ldap_admin)) == sorted(
        Account.objects.values_list("username", flat=True)
    )


def test_r28_a_hundred_changes_for_one_account_are_one_modify(queued, service, account):
    drain(service)
    member = account("gpapadopoulos")
    update_person(member.person, {"surname": "Παπαδάκης"})
    for _ in range(99):
        queue_accounts([member.pk], "data.changed")
    assert DirectoryChange.objects.filter(account=member).count() == 100
    searches, modifies = service.usage.search_operations, service.usage.modify_operations
    counts = sync.sync_due(conn=service)
    assert counts["claimed"] == counts["modified"] == 1
    assert service.usage.modify_operations == modifies + 1
    assert service.usage.search_operations == searches + 1
    assert not DirectoryChange.objects.exists()


def test_r28_a_person_rename_converges_through_the_queue(queued, service, ldap_admin, account):
    drain(service)
    member = account("salexiou")
    update_person(member.person, {"surname": "Αλεξανδροπούλου", "given_name": "Σοφία-Μαρία"})
    assert sync.sync_due(conn=service)["modified"] == 1
    held = read_entries(ldap_admin, ["salexiou"])["salexiou"]
    assert held["sn;lang-el"] == ["Αλεξανδροπούλου"]
    assert held["cn;lang-el"] == ["Σοφία-Μαρία Αλεξανδροπούλου"]
    assert held["sn;lang-en"] == held["sn"] == ["Alexandropoulou"]
    assert held["givenName;lang-en"] == ["Sofia-Maria"]


def test_r28_rows_queued_while_a_run_converges_stay_for_another_pass(queued, service, account):
    drain(service)
    member = account("gpapadopoulos")
    queue_accounts([member.pk], "data.changed")
    now = timezone.now()
    claim = sync.claim_due(10, now)
    assert claim.account_ids == [member.pk]
    queue_accounts([member.pk], "account.renewed")  # committed after the claim
    sync.run_claim(claim, service, now)
    assert list(DirectoryChange.objects.values_list("reason", flat=True)) == ["account.renewed"]
    assert sync.sync_due(conn=service)["claimed"] == 1
    assert not DirectoryChange.objects.exists()


def test_r28_backoff_doubles_from_the_base_and_is_capped(settings):
    settings.LDAP_RETRY_SECONDS = 15
    settings.LDAP_RETRY_MAX_SECONDS = 3600
    waits = [sync.backoff(n).total_seconds() for n in range(1, 11)]
    assert waits == [15, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_r28_directory_down_nothing_lost_backs_off_and_converges_when_back(
    queued, directory, service, settings
):
    settings.LDAP_RETRY_SECONDS = 15
    total = DirectoryChange.objects.count()
    directory.kill()
    start = timezone.now()
    counts = sync.sync_due(now=start)
    assert counts["unavailable"] == counts["claimed"] > 0
    assert DirectoryChange.objects.count() == total
    state = DirectoryState.objects.order_by("pk").first()
    assert state.attempts == 1
    assert state.next_attempt_at == start + dt.timedelta(seconds=15)
    assert state.last_error and state.claimed_until is None
    assert sync.next_due(start) == start + dt.timedelta(seconds=15)
    # Not due yet: nothing is tried.
    assert sync.sync_due(now=start + dt.timedelta(seconds=10))["claimed"] == 0
    later = start + dt.timedelta(seconds=16)
    assert sync.sync_due(now=later)["unavailable"] > 0
    state.refresh_from_db()
    assert (state.attempts, state.next_attempt_at) == (2, later + dt.timedelta(seconds=30))
    directory.start()
    counts = drain(now=later + dt.timedelta(minutes=5))
    assert counts["failed"] == 0
    assert not DirectoryChange.objects.exists()
    state.refresh_from_db()
    assert (state.attempts, state.last_error, state.next_attempt_at) == (0, "", None)
    assert everything_in_sync(counting(directory))


def test_r28_an_unreachable_directory_schedules_the_retry(queued, directory, settings):
    settings.LDAP_RETRY_SECONDS = 60
    directory.kill()
    counts = tasks.sync_directory.call()
    assert counts["unavailable"] > 0
    retry_at = DirectoryState.objects.order_by("next_attempt_at").first().next_attempt_at
    waiting = DBTaskResult.objects.filter(status="READY", task_path__endswith="sync_directory")
    assert [row.run_after for row in waiting] == [retry_at]
    # Asking again for the same time (or later) queues nothing more.
    tasks.schedule_sync(run_after=retry_at)
    tasks.ensure_sync_scheduled()
    assert waiting.count() == 1


def test_r28_one_waiting_task_however_many_changes_commit(
    queued, account, django_capture_on_commit_callbacks
):
    DBTaskResult.objects.all().delete()
    member = account("gpapadopoulos")
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            queue_accounts([member.pk], "data.changed")
    assert DBTaskResult.objects.filter(task_path__endswith="sync_directory").count() == 1


def test_r28_a_refused_entry_backs_off_and_does_not_block_the_others(
    queued, service, ldap_admin, account
):
    assert ldap_admin.add(entry_dn("el21042"), ["account"], {"uid": "el21042"})
    refused = account("el21042")
    counts = drain(service)
    assert counts["refused"] == 1
    assert counts["converged"] == DirectoryState.objects.count() - 1
    state = DirectoryState.objects.get(account=refused)
    assert state.attempts == 1 and state.next_attempt_at and state.last_error
    assert set(DirectoryChange.objects.values_list("account_id", flat=True)) == {refused.pk}


def test_r28_a_lease_keeps_other_workers_off_until_it_ends(queued, service):
    now = timezone.now()
    first = sync.claim_due(1000, now)
    assert first.account_ids
    assert sync.claim_due(1000, now).account_ids == []
    # The first worker is presumed dead once its lease ends: another takes the accounts...
    second = sync.claim_due(1000, now + sync.LEASE + dt.timedelta(seconds=1))
    assert second.account_ids == first.account_ids
    # ...and the first one, waking up, records nothing over the second's claim.
    sync.run_claim(first, service, now)
    assert DirectoryChange.objects.count() > 0
    assert not DirectoryState.objects.filter(synced_at__isnull=False).exists()
    sync.run_claim(second, service, now)
    assert not DirectoryChange.objects.exists()


def test_r28_converge_now_records_and_raises_when_down(queued, directory, service, account):
    member = account("gpapadopoulos")
    drift = sync.converge_now([member.pk], conn=service)[member.pk]
    assert drift.missing
    assert not DirectoryChange.objects.filter(account=member).exists()
    assert DirectoryState.objects.get(account=member).synced_at is not None
    other = account("el21042")
    directory.kill()
    with pytest.raises(DirectoryUnavailable):
        sync.converge_now([other.pk])
    state = DirectoryState.objects.get(account=other)
    assert state.attempts == 1 and state.last_error
    assert DirectoryChange.objects.filter(account=other).exists()


def test_r28_entries_stay_right_after_a_sheet_applied_while_the_directory_was_down(
    directory, service, ldap_admin, school_el, secretariat
):
    drain(service)
    directory.kill()
    # (Factory row 6, nlamprakh, is a username the policy refuses for its surname.)
    rows = [person_row(n) for n in range(1, 300) if n % 6][:200]
    result = apply_table(
        read_sheet(xlsx(table(rows))), school=school_el, kind="postgraduate", actor=secretariat
    )
    assert result.ok, result.errors
    start = timezone.now()
    assert sync.sync_due(now=start)["unavailable"] > 0
    assert DirectoryChange.objects.values("account_id").distinct().count() == 200
    directory.start()
    service = counting(directory)
    counts = drain(service, now=start + dt.timedelta(hours=2))
    assert counts["created"] == 200 and counts["failed"] == 0
    assert service.usage.add_operations == 200
    uids = people_uids(counting(directory))
    assert len(uids) == len(set(uids)) == DirectoryState.objects.count()
    assert everything_in_sync(service)


def test_r28_the_lock_follows_the_queue(queued, service, ldap_admin, account, helpdesk):
    from kleidi.accounts.services import disable_account, enable_account

    drain(service)
    disable_account(account("gpapadopoulos"), actor=helpdesk, reason="test")
    sync.sync_due(conn=service)
    assert read_entries(ldap_admin, ["gpapadopoulos"])["gpapadopoulos"][LOCK_ATTRIBUTE] == [
        ADMIN_LOCK
    ]
    enable_account(account("gpapadopoulos"), actor=helpdesk, reason="test")
    sync.sync_due(conn=service)
    assert read_entries(ldap_admin, ["gpapadopoulos"])["gpapadopoulos"][LOCK_ATTRIBUTE] == []
    assert ldap_admin.modify(
        entry_dn("gpapadopoulos"), {"mail": [(MODIFY_REPLACE, ["x@example.com"])]}
    )
    # Drift with no queued change is reconcile's to find; the queue alone does not touch it.
    assert sync.sync_due(conn=service)["claimed"] == 0


@pytest.mark.django_db(transaction=True)
def test_r28_concurrent_workers_claim_disjoint_batches(directory, settings):
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from kleidi.portal import demo

    demo.seed()
    queued = set(DirectoryChange.objects.values_list("account_id", flat=True))
    barrier = threading.Barrier(3)
    claims, failures = [], []
    now = timezone.now()

    def claim():
        try:
            barrier.wait()
            claims.append(sync.claim_due(8, now))
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    taken = [pk for c in claims for pk in c.account_ids]
    assert len(taken) == len(set(taken)) == min(24, len(queued))
    assert set(taken) <= queued


def test_r28_push_now_never_takes_a_worker_s_lease(queued, service, account, ldap_admin):
    """A worker mid-run may write what it read before a newer change: it keeps its lease.

    The push leaves the account to it and queues it once more, so the worker's
    recording (which removes only the rows it saw) leaves a row for one more pass.
    """
    member = account("el21042")
    now = timezone.now()
    claim = sync.claim_due(1000, now)
    assert member.pk in claim.account_ids
    assert sync.converge_now([member.pk], conn=service) == {}
    sync.run_claim(claim, service, now)
    assert DirectoryChange.objects.filter(account=member, reason="directory.pushed").exists()
    drain(conn=service)
    assert not DirectoryChange.objects.exists()
    assert everything_in_sync(service)


def test_r28_an_unexpected_failure_backs_off_and_is_shown(queued, service, account, monkeypatch):
    """A defect in the sync (not an outage) is recorded like one: backoff and last error."""
    from kleidi.directory import sync as body

    def broken(conn, accounts):
        raise RuntimeError("a defect")

    monkeypatch.setattr(body, "converge", broken)
    now = timezone.now()
    claim = sync.claim_due(1000, now)
    with pytest.raises(RuntimeError):
        sync.run_claim(claim, service, now)
    state = DirectoryState.objects.get(account=account("el21042"))
    assert state.attempts == 1 and "a defect" in state.last_error
    assert state.next_attempt_at > now and state.claimed_until is None
    assert DirectoryChange.objects.filter(account=account("el21042")).exists()


def test_r28_an_entry_with_the_same_uid_elsewhere_is_not_the_account_s(
    queued, service, ldap_admin, account
):
    """A migrated `cn=...` entry with the account's uid is the team's, never taken as the
    account's: no modify sent to it, no second entry with the uid (services' uid searches
    would become ambiguous); the account waits with a clear error."""
    member = account("el21042")
    other = f"cn=Migrated El,{private.PEOPLE}"
    fields = {"cn": "Migrated El", "sn": "El", "uid": "el21042"}
    assert ldap_admin.add(other, ["inetOrgPerson"], fields)
    outcome = sync.converge_now([member.pk], conn=service)[member.pk]
    assert isinstance(outcome, EntryRefused) and other in str(outcome)
    assert not ldap_admin.search(entry_dn("el21042"), "(objectClass=*)", "BASE")
    ldap_admin.search(other, "(objectClass=*)", "BASE", attributes=["sn"])
    assert ldap_admin.entries[0].sn.value == "El"  # left alone
    assert "held by another entry" in DirectoryState.objects.get(account=member).last_error


def test_r28_a_school_code_change_queues_its_accounts(queued, service, school_el, helpdesk):
    from kleidi.accounts.models import Account
    from kleidi.people.services import update_school

    drain(conn=service)
    update_school(school_el, {"code": "elec"}, actor=helpdesk)
    queued_ids = set(DirectoryChange.objects.values_list("account_id", flat=True))
    assert queued_ids == set(Account.objects.filter(school=school_el).values_list("pk", flat=True))
    drain(conn=service)
    assert everything_in_sync(service)


def test_r28_a_helpdesk_operator_from_the_command_line_is_queued(directory, db):
    from kleidi.accounts.services import create_helpdesk_operator

    operator = create_helpdesk_operator("opsadmin", "a long enough passphrase here")
    assert DirectoryChange.objects.filter(account=operator, reason="account.created").exists()
