"""Reconcile against a real slapd: each kind of drift found, then fixed by --fix (R28).

The entries are tampered with through the directory team's own identity
(`ldap_admin`), as an operator's `ldapmodify` would.
"""

from __future__ import annotations

import pytest
from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection

from kleidi.accounts.models import Account
from kleidi.audit.models import AuditEvent
from kleidi.directory.connection import DirectoryUnavailable
from kleidi.directory.mapping import ADMIN_LOCK, LOCK_ATTRIBUTE, desired_entry, entry_dn
from kleidi.directory.models import ReconcileFinding, ReconcileRun
from kleidi.directory.services.provision import provision
from kleidi.directory.services.reconcile import in_sync, reconcile, report
from kleidi.directory.slapd import PEOPLE


@pytest.fixture
def provisioned(directory, demo):
    """Every demo account's entry in the directory, as Kleidi wants it."""
    outcome = provision(list(Account.objects.values_list("pk", flat=True)), now=True)
    assert outcome["counts"]["refused"] == 0, outcome["refused"]
    return directory


def entry(conn, username, *attributes):
    conn.search(entry_dn(username), "(objectClass=*)", BASE, attributes=list(attributes) or ["*"])
    if not conn.entries:
        return None
    return {name: values for name, values in conn.response[0]["raw_attributes"].items() if values}


def wanted(username, attribute) -> list[bytes]:
    account = Account.objects.get(username=username)
    return [value.encode() for value in desired_entry(account).attributes[attribute]]


def first(predicate) -> Account:
    for account in Account.objects.select_related("person", "affiliation", "school").order_by(
        "username"
    ):
        if predicate(account, desired_entry(account)):
            return account
    raise AssertionError("no demo account fits")


def findings(run) -> dict[str, dict]:
    return {f["username"]: f for f in report(run)["findings"]}


def test_r28_reconcile_in_sync_after_provisioning(provisioned):
    run = reconcile()
    counts = run.counts
    total = Account.objects.count()
    assert counts["accounts"] == total == counts["in_sync"] == counts["entries"]
    assert counts["unknown_entries"] == 0
    assert report(run)["findings"] == []
    assert in_sync(run)
    assert run.finished_at is not None
    assert AuditEvent.objects.filter(action="directory.reconciled").count() == 1


def test_r28_reconcile_missing_entry_reported_then_created(provisioned, ldap_admin):
    ldap_admin.delete(entry_dn("el21042"))
    run = reconcile()
    assert findings(run)["el21042"]["missing"] is True
    assert run.counts["missing"] == 1
    assert not in_sync(run)
    assert entry(ldap_admin, "el21042") is None  # a report writes nothing

    fixed = reconcile(fix=True)
    assert findings(fixed)["el21042"]["fixed"] is True
    assert fixed.counts["fixed"] == 1
    assert in_sync(fixed)
    assert entry(ldap_admin, "el21042", "sn")["sn"] == wanted("el21042", "sn")
    assert reconcile().counts["in_sync"] == Account.objects.count()


def test_r28_reconcile_changed_attribute_reported_then_restored(provisioned, ldap_admin):
    ldap_admin.modify(entry_dn("gpapadopoulos"), {"sn": [(MODIFY_REPLACE, ["Tampered"])]})
    run = reconcile()
    finding = findings(run)["gpapadopoulos"]
    assert finding["attributes"] == ["sn"]
    assert not finding["missing"] and not finding["lock"]
    assert run.counts["attribute_drift"] == 1
    assert entry(ldap_admin, "gpapadopoulos", "sn")["sn"] == [b"Tampered"]

    assert in_sync(reconcile(fix=True))
    assert entry(ldap_admin, "gpapadopoulos", "sn")["sn"] == wanted("gpapadopoulos", "sn")


def test_r28_reconcile_extra_managed_attribute_deleted(provisioned, ldap_admin):
    account = first(lambda a, d: "mobile" not in d.attributes)
    dn = entry_dn(account.username)
    ldap_admin.modify(dn, {"mobile": [(MODIFY_ADD, ["+306900000000"])]})
    # Not Kleidi's: the directory team's own attributes are never drift.
    ldap_admin.modify(dn, {"description": [(MODIFY_ADD, ["kept by the directory team"])]})
    run = reconcile()
    assert findings(run)[account.username]["attributes"] == ["mobile"]

    assert in_sync(reconcile(fix=True))
    after = entry(ldap_admin, account.username, "mobile", "description")
    assert "mobile" not in after
    assert after["description"] == [b"kept by the directory team"]


def test_r28_reconcile_removed_lock_on_a_locked_account_restored(provisioned, ldap_admin):
    account = first(lambda a, d: d.locked)
    ldap_admin.modify(entry_dn(account.username), {LOCK_ATTRIBUTE: [(MODIFY_DELETE, [])]})
    run = reconcile()
    assert findings(run)[account.username]["lock"] == "lock"
    assert run.counts["lock_drift"] == 1

    assert in_sync(reconcile(fix=True))
    locked = entry(ldap_admin, account.username, LOCK_ATTRIBUTE)
    assert locked[LOCK_ATTRIBUTE] == [ADMIN_LOCK.encode()]


def test_r28_reconcile_kleidi_lock_on_an_active_account_removed(provisioned, ldap_admin):
    dn = entry_dn("el21042")
    ldap_admin.modify(dn, {LOCK_ATTRIBUTE: [(MODIFY_REPLACE, [ADMIN_LOCK])]})
    run = reconcile()
    assert findings(run)["el21042"]["lock"] == "unlock"

    assert in_sync(reconcile(fix=True))
    assert LOCK_ATTRIBUTE not in entry(ldap_admin, "el21042", LOCK_ATTRIBUTE)


def test_r28_reconcile_failed_bind_lockout_reported_not_fixed(provisioned, ldap_admin):
    dn = entry_dn("el21042")
    ldap_admin.modify(dn, {"userPassword": [(MODIFY_REPLACE, ["correct horse battery"])]})
    for _ in range(provisioned.policy.max_failure):
        assert not Connection(provisioned.url, dn, "wrong password").bind()
    lockout = entry(ldap_admin, "el21042", LOCK_ATTRIBUTE)[LOCK_ATTRIBUTE]
    assert lockout and lockout != [ADMIN_LOCK.encode()]

    run = reconcile(fix=True)
    finding = findings(run)["el21042"]
    assert finding["failure_locked"] is True
    assert not finding["missing"] and not finding["attributes"] and not finding["lock"]
    assert not finding["fixed"]
    assert run.counts["failure_locked"] == 1
    assert in_sync(run)  # information, not drift: the member's reset clears it
    assert entry(ldap_admin, "el21042", LOCK_ATTRIBUTE)[LOCK_ATTRIBUTE] == lockout


def test_r28_reconcile_unknown_entry_reported_never_deleted(provisioned, ldap_admin):
    dn = f"uid=stranger,{PEOPLE}"
    assert ldap_admin.add(
        dn, ["inetOrgPerson"], {"uid": "stranger", "cn": "A Stranger", "sn": "Stranger"}
    )
    run = reconcile(fix=True)
    assert report(run)["unknown_entries"] == [dn]
    assert run.counts["unknown_entries"] == 1
    assert run.counts["entries"] == Account.objects.count() + 1
    assert in_sync(run)  # the accounts are; the stranger is the directory team's business
    assert entry(ldap_admin, "stranger", "uid")["uid"] == [b"stranger"]


def test_r28_reconcile_directory_down_mid_run_resumes_every_account_once(provisioned, ldap_admin):
    for username in ("el21042", "gpapadopoulos"):
        ldap_admin.modify(entry_dn(username), {"sn": [(MODIFY_REPLACE, ["Tampered"])]})
    total = Account.objects.count()

    def kill_after_first_chunk(done, _total):
        if done == 3:
            provisioned.kill()

    with pytest.raises(DirectoryUnavailable):
        reconcile(chunk_size=3, progress=kill_after_first_chunk)
    interrupted = ReconcileRun.objects.get()
    assert interrupted.finished_at is None
    assert interrupted.counts["accounts"] == 3
    assert interrupted.cursor == sorted(Account.objects.values_list("username", flat=True))[2]

    provisioned.start()
    run = reconcile(chunk_size=3)
    assert run.pk == interrupted.pk
    assert report(run)["resumed"] is True
    assert run.counts["accounts"] == total
    assert run.counts["attribute_drift"] == 2
    usernames = list(ReconcileFinding.objects.filter(run=run).values_list("username", flat=True))
    assert sorted(usernames) == ["el21042", "gpapadopoulos"]


def test_r28_reconcile_restart_discards_the_unfinished_run(provisioned):
    def stop(done, _total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reconcile(chunk_size=2, progress=stop)
    run = reconcile(restart=True)
    assert ReconcileRun.objects.get() == run
    assert report(run)["resumed"] is False
    assert run.counts["accounts"] == Account.objects.count()


def test_r28_reconcile_fix_run_does_not_continue_a_report_run(provisioned):
    def stop(done, _total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reconcile(chunk_size=2, progress=stop)
    run = reconcile(fix=True)
    assert run.fix and not report(run)["resumed"]
    assert run.counts["accounts"] == Account.objects.count()


def test_r28_reconcile_two_runs_at_once_count_nothing_twice(provisioned):
    from kleidi.errors import CodedError

    inner = []

    def second_run_meanwhile(done, _total):
        if not inner:
            inner.append(reconcile(chunk_size=2))  # takes up the same unfinished run

    with pytest.raises(CodedError) as refused:
        reconcile(chunk_size=2, progress=second_run_meanwhile)
    assert refused.value.code == "directory.reconcile_running"
    run = ReconcileRun.objects.get()
    assert run == inner[0] and run.finished_at is not None
    assert run.counts["accounts"] == Account.objects.count() == run.counts["in_sync"]
