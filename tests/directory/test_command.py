"""`kleidi directory`: its exit statuses, its JSON, and a reconcile killed mid-run (R28)."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from ldap3 import MODIFY_REPLACE

from kleidi.accounts.models import Account
from kleidi.directory.mapping import entry_dn
from kleidi.directory.models import DirectoryChange, DirectoryState, ReconcileRun
from tests.ldap_fixtures import admin_connection, empty_people
from tests.processes import child_environment, manage

COUNT_KEYS = {
    "accounts",
    "entries",
    "in_sync",
    "missing",
    "attribute_drift",
    "lock_drift",
    "unknown_entries",
    "failure_locked",
    "fixed",
    "errors",
}
FINDING_KEYS = {
    "username",
    "dn",
    "missing",
    "attributes",
    "lock",
    "failure_locked",
    "fixed",
    "error",
}


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("directory", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def provisioned(directory, demo):
    status, out, _ = run("push", "--all", "--now", "--format", "json")
    assert status == 0, out
    assert json.loads(out)["counts"]["refused"] == 0
    return directory


def test_r28_command_reconcile_json_schema_and_exit_statuses(provisioned, ldap_admin):
    status, out, err = run("reconcile", "--format", "json")
    assert (status, err) == (0, "")
    body = json.loads(out)  # the whole of stdout is the report
    assert {"ok", "fix", "resumed", "counts", "findings", "unknown_entries"} <= set(body)
    assert set(body["counts"]) == COUNT_KEYS
    assert body["ok"] is True and body["findings"] == []

    ldap_admin.modify(entry_dn("el21042"), {"sn": [(MODIFY_REPLACE, ["Tampered"])]})
    status, out, _ = run("reconcile", "--format", "json")
    assert status == 1  # drift, not fixed
    body = json.loads(out)
    [finding] = body["findings"]
    assert set(finding) == FINDING_KEYS
    assert finding["username"] == "el21042" and finding["attributes"] == ["sn"]
    assert finding["dn"] == entry_dn("el21042")

    status, out, _ = run("reconcile", "--fix", "--format", "json")
    assert status == 0  # every drift fixed
    body = json.loads(out)
    assert body["fix"] is True and body["counts"]["fixed"] == 1
    assert body["findings"][0]["fixed"] is True


def test_r28_command_reconcile_human_summary(provisioned, ldap_admin):
    ldap_admin.delete(entry_dn("el21042"))
    status, out, _ = run("reconcile", "--language", "en")
    assert status == 1
    assert "missing entry" in out and "el21042" in out and "--fix" in out
    status, out, _ = run("reconcile", "--fix")
    assert status == 0
    assert "διορθώθηκαν" in out


def test_r28_command_directory_down_exit_2_and_nothing_written(provisioned):
    provisioned.kill()
    status, out, _ = run("reconcile", "--fix", "--format", "json")
    assert status == 2
    body = json.loads(out)
    assert body["ok"] is False
    assert body["error"]["code"] == "directory.unavailable"
    assert not ReconcileRun.objects.exists()


def test_r28_command_directory_off_is_a_clear_error(db, settings):
    settings.LDAP_ENABLED = False
    status, out, err = run("reconcile", "--format", "json")
    assert status == 2
    assert json.loads(out)["error"]["code"] == "directory.disabled"
    status, _, err = run("push", "--all")
    assert status == 2 and "directory.disabled" in err
    status, out, _ = run("status", "--format", "json")
    assert status == 2 and json.loads(out)["error"]["code"] == "directory.disabled"


def test_r28_command_push_queues_and_status_counts_the_backlog(directory, demo):
    DirectoryChange.objects.all().delete()
    status, out, _ = run("push", "el21042", "gpapadopoulos", "--format", "json")
    assert status == 0
    assert json.loads(out)["counts"]["queued"] == 2
    assert set(DirectoryChange.objects.values_list("account__username", flat=True)) == {
        "el21042",
        "gpapadopoulos",
    }
    status, out, _ = run("status", "--format", "json")
    body = json.loads(out)
    assert status == 0
    assert body["pending_accounts"] == 2 and body["pending_changes"] == 2
    assert body["failing_accounts"] == 0
    assert body["oldest_pending_seconds"] >= 0
    assert body["reconcile"] is None

    status, _, err = run("push", "nobody-here")
    assert status == 2 and "username.unknown" in err


def test_r28_command_sync_converges_what_is_due_and_keeps_it_while_down(directory, demo):
    """The timer's safety net: what is queued converges from the command itself."""
    DirectoryChange.objects.all().delete()
    run("push", "el21042", "gpapadopoulos")
    directory.kill()
    status, out, _ = run("sync", "--format", "json")
    assert status == 2 and json.loads(out)["unavailable"] == 2
    assert DirectoryChange.objects.count() == 2  # nothing lost while the directory is down
    directory.start()
    # The failure's back-off is what a worker respects; the safety net waits for it too.
    DirectoryState.objects.update(next_attempt_at=None)
    status, out, _ = run("sync", "--format", "json")
    body = json.loads(out)
    assert status == 0 and body["ok"] and body["created"] == 2
    assert not DirectoryChange.objects.exists()
    assert admin_connection(directory).search(entry_dn("el21042"), "(objectClass=*)", "BASE")


def test_r28_command_push_all_now_provisions_every_account(directory, demo, ldap_admin):
    status, out, _ = run("push", "--all", "--now", "--format", "json")
    counts = json.loads(out)["counts"]
    assert status == 0
    assert counts["converged"] == counts["accounts"] == Account.objects.count()
    assert ldap_admin.search(entry_dn("el21042"), "(objectClass=*)")
    status, out, _ = run("push", "--all", "--now", "--format", "json")
    assert json.loads(out)["counts"]["in_sync"] == Account.objects.count()  # a no-op


# -- a real process killed mid-run -------------------------------------------------------
def saved_run(path) -> tuple[str, int, str | None] | None:
    with sqlite3.connect(path, timeout=30) as db:
        row = db.execute(
            "SELECT cursor, counts, finished_at FROM directory_reconcilerun ORDER BY id DESC"
        ).fetchone()
    if row is None:
        return None
    return row[0], json.loads(row[1]).get("accounts", 0), row[2]


@pytest.mark.slow
def test_r28_reconcile_killed_with_sigkill_resumes_and_covers_every_account_once(slapd, tmp_path):
    if not slapd.running:
        slapd.start()
    empty_people(slapd)
    path = tmp_path / "kleidi.sqlite3"
    env = child_environment(path, **slapd.environment())
    for command in (
        ["migrate", "--noinput"],
        ["shell", "-c", "from kleidi.portal import demo; demo.seed()"],
        ["directory", "push", "--all", "--now"],
    ):
        result = manage(*command, env=env, timeout=600)
        assert result.returncode == 0, result.stderr
    admin = admin_connection(slapd)
    for username in ("el21042", "gpapadopoulos"):
        admin.modify(entry_dn(username), {"sn": [(MODIFY_REPLACE, ["Tampered"])]})
    admin.unbind()

    slow = ["directory", "reconcile", "--format", "json", "--chunk-size", "1", "--pause", "0.2"]
    child = subprocess.Popen(
        [sys.executable, "-m", "kleidi.manage", *slow],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            saved = saved_run(path) if path.exists() else None
            if saved and saved[1] >= 3:
                break
            assert child.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    cursor, done, finished = saved_run(path)
    assert finished is None and cursor and done >= 3

    result = manage("directory", "reconcile", "--format", "json", env=env)
    assert result.returncode == 1, result.stderr  # the two drifts, reported not fixed
    body = json.loads(result.stdout)
    with sqlite3.connect(path) as db:
        (total,) = db.execute("SELECT count(*) FROM accounts_account").fetchone()
    assert body["resumed"] is True
    assert body["counts"]["accounts"] == total
    assert body["counts"]["in_sync"] == total - 2
    assert sorted(f["username"] for f in body["findings"]) == ["el21042", "gpapadopoulos"]


def test_r28_command_human_output_of_status_sync_and_unknown_entries(provisioned, ldap_admin):
    """The operator's text: the backlog in Greek, the sync's counts, unknown entries named."""
    stray = f"uid=nobody99,{provisioned.settings()['LDAP_BASE_DN']}"
    assert ldap_admin.add(stray, ["inetOrgPerson"], {"cn": "Nobody", "sn": "Nobody"})
    status, out, _ = run("reconcile")
    assert status == 0, out
    assert "δεν διαγράφονται" in out and stray in out
    assert ldap_admin.search(stray, "(objectClass=*)", "BASE")  # reported, never deleted
    status, out, _ = run("status")
    assert status == 0
    assert "λογαριασμοί σε αναμονή" in out and "τελευταίος έλεγχος" in out
    run("push", "el21042")
    status, out, _ = run("sync", "--language", "en")
    assert status == 0
    assert any(line.split() == ["converged", "1"] for line in out.splitlines())
