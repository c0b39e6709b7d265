"""R28: an entry is brought to Kleidi's state by changing only what differs, against a real slapd.

Write operations are counted with ldap3's own usage statistics on the
connection that converges (slapd's cn=Monitor is not configured).
"""

from __future__ import annotations

import datetime as dt

import pytest
from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection

from kleidi.accounts.services import (
    disable_account,
    enable_account,
    expire_account,
    renew_account,
    retire_account,
)
from kleidi.directory import slapd as private
from kleidi.directory.converge import (
    READ_ATTRIBUTES,
    Drift,
    EntryRefused,
    compare,
    converge,
    read_entries,
)
from kleidi.directory.mapping import ADMIN_LOCK, LOCK_ATTRIBUTE, desired_entry, entry_dn
from kleidi.people.services import update_person

pytestmark = pytest.mark.django_db

NAMES = ("cn", "cn;lang-el", "cn;lang-en", "sn", "sn;lang-el", "sn;lang-en", "displayName")


@pytest.fixture
def service(directory):
    """Kleidi's service identity, counting its operations."""
    conn = Connection(
        directory.url,
        private.SERVICE_DN,
        directory.service_password,
        auto_bind=True,
        collect_usage=True,
    )
    yield conn
    conn.unbind()


def writes(conn) -> int:
    usage = conn.usage
    return usage.add_operations + usage.modify_operations + usage.delete_operations


def entry(ldap_admin, username: str) -> dict[str, list[str]] | None:
    return read_entries(ldap_admin, [username]).get(username)


def test_r28_converge_creates_the_entry_from_the_mapping(service, ldap_admin, account):
    member = account("gpapadopoulos")
    outcome = converge(service, [member])
    assert outcome[member.pk].missing
    assert (service.usage.add_operations, service.usage.modify_operations) == (1, 0)
    held = entry(ldap_admin, "gpapadopoulos")
    desired = desired_entry(member)
    for name, values in desired.attributes.items():
        assert sorted(held[name]) == sorted(values), name
    assert held["cn;lang-el"] == ["Γεώργιος Παπαδόπουλος"]
    assert held["mobile"] == ["+306912345678"]
    assert held[LOCK_ATTRIBUTE] == []
    assert compare(member.pk, desired, held).in_sync


def test_r28_converging_twice_writes_nothing_the_second_time(service, account):
    members = [account(name) for name in ("gpapadopoulos", "el21042", "kbakogianni", "el17007")]
    converge(service, members)
    before = writes(service)
    again = converge(service, [account(m.username) for m in members])
    assert writes(service) == before
    assert all(drift.in_sync for drift in again.values())


def test_r28_a_rename_changes_the_names_and_nothing_else(service, ldap_admin, account):
    member = account("gpapadopoulos")
    converge(service, [member])
    update_person(member.person, {"surname": "Παπαδάκης"})
    before = service.usage.modify_operations
    drift = converge(service, [account("gpapadopoulos")])[member.pk]
    assert set(drift.attributes) == set(NAMES)
    assert service.usage.modify_operations == before + 1
    held = entry(ldap_admin, "gpapadopoulos")
    assert held["sn;lang-el"] == ["Παπαδάκης"]
    assert held["sn"] == held["sn;lang-en"] == ["Papadakis"]
    assert held["displayName"] == ["Γεώργιος Παπαδάκης"]
    assert held["mobile"] == ["+306912345678"]


def test_r28_a_removed_mobile_is_deleted_from_the_entry(service, ldap_admin, account):
    member = account("gpapadopoulos")
    converge(service, [member])
    update_person(member.person, {"mobile": ""})
    drift = converge(service, [account("gpapadopoulos")])[member.pk]
    assert drift.attributes == ("mobile",)
    assert entry(ldap_admin, "gpapadopoulos")["mobile"] == []


def test_r28_other_attributes_and_classes_are_the_directory_teams(service, ldap_admin, account):
    member = account("el21042")
    converge(service, [member])
    dn = entry_dn("el21042")
    assert ldap_admin.modify(
        dn,
        {
            "objectClass": [(MODIFY_ADD, ["labeledURIObject"])],
            "labeledURI": [(MODIFY_ADD, ["https://www.ntua.gr/ team page"])],
            "telephoneNumber": [(MODIFY_ADD, ["+302107721000"])],
            "mail": [(MODIFY_REPLACE, ["someone.else@example.com"])],
        },
    ), ldap_admin.result
    drift = converge(service, [account("el21042")])[member.pk]
    assert drift.attributes == ("mail",)
    held = read_entries(ldap_admin, ["el21042"])["el21042"]
    assert held["mail"] == ["el21042@mail.ntua.gr"]
    ldap_admin.search(dn, "(objectClass=*)", BASE, attributes=["*"])
    kept = ldap_admin.entries[0].entry_attributes_as_dict
    assert kept["telephoneNumber"] == ["+302107721000"]
    assert "labeledURIObject" in kept["objectClass"]


def test_r28_a_missing_object_class_is_added_back_case_insensitively(service, ldap_admin, account):
    member = account("el21042")
    converge(service, [member])
    dn = entry_dn("el21042")
    assert ldap_admin.modify(
        dn, {"objectClass": [(MODIFY_DELETE, ["schacPersonalCharacteristics"])]}
    ), ldap_admin.result
    drift = converge(service, [account("el21042")])[member.pk]
    assert drift.attributes == ("objectClass",)
    held = entry(ldap_admin, "el21042")
    assert "schacPersonalCharacteristics" in held["objectClass"]
    # A class spelled in another case is the same class: nothing to do.
    current = {**held, "objectClass": [name.upper() for name in held["objectClass"]]}
    assert compare(member.pk, desired_entry(member), current).in_sync


@pytest.mark.parametrize(
    ("username", "change"),
    [
        ("gpapadopoulos", "expire"),
        ("gpapadopoulos", "disable"),
        ("gpapadopoulos", "retire"),
        ("el21042", "retire"),
    ],
)
def test_r28_lock_on_expire_disable_retire_and_never_delete(
    service, ldap_admin, account, helpdesk, username, change
):
    member = account(username)
    converge(service, [member])
    assert entry(ldap_admin, username)[LOCK_ATTRIBUTE] == []
    {
        "expire": lambda: expire_account(member),
        "disable": lambda: disable_account(member, actor=helpdesk, reason="test"),
        "retire": lambda: retire_account(member, actor=helpdesk, reason="test"),
    }[change]()
    drift = converge(service, [account(username)])[member.pk]
    assert drift.lock == "lock"
    held = entry(ldap_admin, username)
    assert held[LOCK_ATTRIBUTE] == [ADMIN_LOCK]
    if change == "retire":
        assert held["eduPersonAffiliation"] == ["alum"]
        assert held["eduPersonPrimaryAffiliation"] == ["alum"]
    assert service.usage.delete_operations == 0


def test_r28_an_entry_created_for_a_locked_account_is_created_locked(service, ldap_admin, account):
    drifts = converge(service, [account("kbakogianni"), account("el17007")])
    assert {drift.lock for drift in drifts.values()} == {"lock"}
    for username in ("kbakogianni", "el17007"):
        assert entry(ldap_admin, username)[LOCK_ATTRIBUTE] == [ADMIN_LOCK]


def test_r28_unlock_on_renewal_and_on_enable(service, ldap_admin, account, helpdesk):
    expired, active = account("kbakogianni"), account("gpapadopoulos")
    disable_account(active, actor=helpdesk, reason="test")
    converge(service, [account("kbakogianni"), account("gpapadopoulos")])
    renew_account(account("kbakogianni"), new_expiry=dt.date.today() + dt.timedelta(days=200))
    enable_account(account("gpapadopoulos"), actor=helpdesk, reason="test")
    drifts = converge(service, [account("kbakogianni"), account("gpapadopoulos")])
    assert drifts[expired.pk].lock == drifts[active.pk].lock == "unlock"
    assert "schacExpiryDate" in drifts[expired.pk].attributes
    for username in ("kbakogianni", "gpapadopoulos"):
        assert entry(ldap_admin, username)[LOCK_ATTRIBUTE] == []


def test_r28_a_failed_bind_lockout_is_reported_and_left_alone(service, ldap_admin, account):
    member = account("gpapadopoulos")
    converge(service, [member])
    lockout = "20261201093000Z"
    assert ldap_admin.modify(
        entry_dn("gpapadopoulos"), {LOCK_ATTRIBUTE: [(MODIFY_REPLACE, [lockout])]}
    ), ldap_admin.result
    before = writes(service)
    drift = converge(service, [account("gpapadopoulos")])[member.pk]
    assert drift.failure_locked and drift.in_sync
    assert writes(service) == before
    assert entry(ldap_admin, "gpapadopoulos")[LOCK_ATTRIBUTE] == [lockout]
    assert drift.as_json()["failure_locked"] is True


def test_r28_a_refused_entry_does_not_block_the_others(service, ldap_admin, account):
    # The directory team's own entry for el21042, of another structural class:
    # adding inetOrgPerson to it is an invalid structural chain, which slapd refuses.
    assert ldap_admin.add(
        entry_dn("el21042"), ["account"], {"uid": "el21042", "description": "legacy"}
    ), ldap_admin.result
    refused, created = account("el21042"), account("gpapadopoulos")
    outcome = converge(service, [refused, created])
    assert isinstance(outcome[refused.pk], EntryRefused)
    assert "modify" in str(outcome[refused.pk])
    assert isinstance(outcome[created.pk], Drift) and outcome[created.pk].missing
    assert entry(ldap_admin, "gpapadopoulos") is not None


def test_r28_reads_are_batched_and_filters_escaped(service, account):
    member = account("gpapadopoulos")
    converge(service, [member])
    searches = service.usage.search_operations
    names = ["gpapadopoulos", *[f"nobody{n}" for n in range(249)]]
    found = read_entries(service, names)
    assert set(found) == {"gpapadopoulos"}
    assert service.usage.search_operations == searches + 3
    assert read_entries(service, ["gpapadopoulo*", "*", "g)(uid=*"]) == {}
    assert set(found["gpapadopoulos"]) >= set(READ_ATTRIBUTES)


def test_r28_drift_as_json_names_each_kind(account):
    drift = Drift(1, "u", "uid=u", attributes=("mail",), lock="unlock")
    assert drift.as_json() == {
        "account_id": 1,
        "username": "u",
        "dn": "uid=u",
        "missing": False,
        "attributes": ["mail"],
        "lock": "unlock",
        "failure_locked": False,
        "in_sync": False,
    }
