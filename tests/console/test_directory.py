"""The helpdesk's view of the directory (R28, issue 11 §5): the account page's panel and push now.

Against the session's private slapd (`directory` fixture); entries are
tampered with through the directory team's own identity (`ldap_admin`).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from ldap3 import BASE, MODIFY_REPLACE

from kleidi.audit.models import AuditEvent
from kleidi.directory import selectors
from kleidi.directory.mapping import entry_dn
from kleidi.directory.models import DirectoryChange, DirectoryState
from kleidi.directory.services.push import push_now
from kleidi.directory.sync import converge_now

MEMBER = "gpapadopoulos"


def page(client, account) -> str:
    response = client.get(f"/console/accounts/account/{account.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def push_url(account) -> str:
    return f"/console/accounts/account/{account.pk}/directory-push/"


def panel(html: str) -> str:
    start = html.index('id="directory-panel"')
    return html[start : html.index("</section>", start)]


def entry(conn, username: str) -> dict | None:
    conn.search(entry_dn(username), "(objectClass=*)", BASE, attributes=["*"])
    return conn.entries[0].entry_attributes_as_dict if conn.entries else None


@pytest.fixture
def member(account):
    """A demo member, seeded while the directory was off: no queue row, no state."""
    return account(MEMBER)


@pytest.fixture
def on(member, directory):
    """The directory on, and nothing queued from the demo's seeding."""
    DirectoryChange.objects.all().delete()
    return directory


def test_r28_panel_says_the_directory_is_off(client, helpdesk, member, settings):
    settings.LDAP_ENABLED = False
    client.force_login(helpdesk)
    html = panel(page(client, member))
    assert 'data-state="off"' in html
    assert "Προώθηση τώρα" not in html
    assert selectors.account_status(member).state == selectors.OFF
    assert selectors.backlog() == {"enabled": False}


def test_r28_panel_never_synced(client, helpdesk, member, on):
    client.force_login(helpdesk)
    html = panel(page(client, member))
    assert 'data-state="never"' in html
    assert "Προώθηση τώρα" in html


def test_r28_panel_pending_changes_with_the_oldest(client, helpdesk, member, on):
    oldest = timezone.now() - dt.timedelta(minutes=7)
    DirectoryChange.objects.create(account=member, reason="account.renewed", created_at=oldest)
    DirectoryChange.objects.create(account=member, reason="data.changed")
    status = selectors.account_status(member)
    assert (status.state, status.pending, status.oldest_pending_at) == ("pending", 2, oldest)
    client.force_login(helpdesk)
    html = panel(page(client, member))
    assert 'data-state="pending"' in html and "2 αλλαγές" in html
    backlog = selectors.backlog()
    assert backlog["pending_accounts"] == 1 and backlog["pending_changes"] == 2
    assert backlog["oldest_pending_seconds"] >= 7 * 60


def test_r28_panel_in_sync_after_a_push(client, helpdesk, member, on, ldap_admin):
    client.force_login(helpdesk)
    response = client.post(push_url(member), follow=True)
    assert response.status_code == 200
    assert "δημιουργήθηκε" in response.content.decode()  # the entry was missing: created
    assert entry(ldap_admin, MEMBER) is not None
    status = selectors.account_status(member)
    assert status.state == selectors.IN_SYNC and status.synced_at is not None
    assert 'data-state="in_sync"' in panel(page(client, member))


def test_r28_panel_failing_with_the_last_error(client, helpdesk, member, on):
    on.stop()
    client.force_login(helpdesk)
    response = client.post(push_url(member), follow=True)
    assert "δεν απαντά" in response.content.decode()
    status = selectors.account_status(member)
    assert status.state == selectors.FAILING and status.attempts == 1
    assert status.last_error and status.last_error_at and status.next_attempt_at
    html = panel(page(client, member))
    assert 'data-state="failing"' in html
    assert status.last_error.split(":")[0] in html
    # The push that failed stays queued: the worker retries it.
    assert DirectoryChange.objects.filter(account=member).exists()
    assert selectors.backlog()["failing_accounts"] == 1
    event = AuditEvent.objects.filter(action="directory.pushed").get()
    assert event.details == {"error": "directory.unavailable"}


def test_r28_push_now_converges_a_drifted_entry_and_audits(
    client, helpdesk, member, on, ldap_admin
):
    converge_now([member.pk])
    dn = entry_dn(MEMBER)
    right_sn = entry(ldap_admin, MEMBER)["sn"]
    assert ldap_admin.modify(dn, {"sn": [(MODIFY_REPLACE, ["Tampered"])]})
    client.force_login(helpdesk)
    response = client.post(push_url(member), follow=True)
    assert "sn" in response.content.decode()
    assert entry(ldap_admin, MEMBER)["sn"] == right_sn
    event = AuditEvent.objects.filter(action="directory.pushed").get()
    assert event.actor == helpdesk and event.target_id == str(member.pk)
    assert event.details["attributes"] == ["sn"] and event.details["in_sync"] is False
    assert event.school == member.school


def test_r28_push_now_service_twice_is_in_sync(helpdesk, member, on):
    assert push_now(member, actor=helpdesk).missing
    again = push_now(member, actor=helpdesk)
    assert again.in_sync
    details = [e.details for e in AuditEvent.objects.filter(action="directory.pushed")]
    assert sorted(d["in_sync"] for d in details) == [False, True]


def test_r28_push_now_refused_while_off(helpdesk, member, settings):
    settings.LDAP_ENABLED = False
    with pytest.raises(Exception) as caught:
        push_now(member, actor=helpdesk)
    assert caught.value.code == "directory.disabled"


def test_r28_get_does_not_push(client, helpdesk, member, on, ldap_admin):
    client.force_login(helpdesk)
    assert client.get(push_url(member)).status_code == 405
    assert entry(ldap_admin, MEMBER) is None
    assert not AuditEvent.objects.filter(action="directory.pushed").exists()


def test_r28_push_needs_the_csrf_token(helpdesk, member, on, ldap_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(helpdesk)
    assert client.post(push_url(member)).status_code == 403
    assert entry(ldap_admin, MEMBER) is None
    html = client.get(f"/console/accounts/account/{member.pk}/change/").content.decode()
    token = client.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in panel(html)
    response = client.post(push_url(member), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert entry(ldap_admin, MEMBER) is not None


def test_r28_secretariat_sees_the_status_read_only_and_cannot_push(
    client, secretariat, member, on, ldap_admin
):
    assert member.school.code == "el"
    client.force_login(secretariat)
    html = panel(page(client, member))
    assert 'data-state="never"' in html and "Προώθηση τώρα" not in html
    assert client.post(push_url(member)).status_code == 403
    assert entry(ldap_admin, MEMBER) is None
    assert not AuditEvent.objects.filter(action="directory.pushed").exists()


def test_r28_secretariat_cannot_see_another_schools_status(client, secretariat, account, on):
    other = account("salexiou")
    client.force_login(secretariat)
    response = client.get(f"/console/accounts/account/{other.pk}/change/", follow=True)
    assert 'id="directory-panel"' not in response.content.decode()


def test_r28_anonymous_push_goes_to_the_sign_in(client, member, on, ldap_admin):
    response = client.post(push_url(member))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert entry(ldap_admin, MEMBER) is None


def test_r28_account_list_filters_and_shows_the_directory_state(
    client, helpdesk, member, account, on
):
    other = account("salexiou")
    DirectoryChange.objects.create(account=member, reason="data.changed")
    DirectoryState.objects.create(account=other, attempts=3, last_error="busy (51)")
    client.force_login(helpdesk)

    def listed(state):
        response = client.get("/console/accounts/account/", {"directory": state})
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert member in listed("pending") and other not in listed("pending")
    assert listed("failing") == {other}
    assert member not in listed("never") and other not in listed("never")
    html = client.get("/console/accounts/account/").content.decode()
    assert "Εκκρεμούν αλλαγές" in html and "Αποτυγχάνει" in html
    found = client.get("/console/accounts/account/", {"q": MEMBER, "directory": "pending"})
    assert set(found.context["cl"].result_list) == {member}


def test_r28_directory_column_costs_no_query_per_row(client, helpdesk, member, account, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    DirectoryChange.objects.create(account=member, reason="data.changed")
    DirectoryState.objects.create(account=account("salexiou"), attempts=1, last_error="busy")
    client.force_login(helpdesk)
    counts = {}
    for enabled in (False, True):
        settings.LDAP_ENABLED = enabled
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/console/accounts/account/").status_code == 200
        counts[enabled] = len(queries)
    assert counts[True] == counts[False]


def test_r28_push_refused_by_the_directory_is_reported_and_stays_queued(
    client, helpdesk, member, on, ldap_admin
):
    # The directory team's entry for the uid has another structural class:
    # Kleidi may only add classes, and slapd refuses inetOrgPerson beside device.
    assert ldap_admin.add(
        entry_dn(MEMBER), ["device", "uidObject"], {"cn": "printer", "uid": MEMBER}
    )
    client.force_login(helpdesk)
    response = client.post(push_url(member), follow=True)
    assert "δεν δέχτηκε" in response.content.decode()
    event = AuditEvent.objects.filter(action="directory.pushed").get()
    assert event.details["error"] == "directory.refused" and event.details["result"]
    assert DirectoryChange.objects.filter(account=member).exists()
    status = selectors.account_status(member)
    assert status.state == selectors.FAILING and status.last_error
    assert entry(ldap_admin, MEMBER)["objectClass"] == ["device", "uidObject"]
