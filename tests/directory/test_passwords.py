"""Passwords in the directory (R26, R28): set during the request, refused as ppolicy says.

Against the session's real slapd, whose service identity is not a password
administrator: the directory's own length and history checks judge every
password Kleidi sets, and a refusal leaves Kleidi as it was.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st
from ldap3 import BASE, MODIFY_DELETE, MODIFY_REPLACE, Connection
from pyasn1.codec.ber import encoder

from kleidi.accounts import services as account_services
from kleidi.audit.models import AuditEvent
from kleidi.credentials.models import LinkToken
from kleidi.credentials.services import passwords as credentials
from kleidi.directory import converge, ppolicy
from kleidi.directory import services as directory_services
from kleidi.directory.connection import service_connection
from kleidi.directory.mapping import ADMIN_LOCK, LOCK_ATTRIBUTE, desired_entry, entry_dn
from kleidi.directory.models import DirectoryChange, DirectoryState
from kleidi.directory.slapd import POLICY_DN
from kleidi.errors import codes_of, message
from kleidi.notifications.models import OutboxMessage
from tests.credentials.conftest import EMAIL, NEW_PASSWORD, STRONG, latest, link_in
from tests.ldap_fixtures import paused, wait_stopped

THIRD = "kitrino feggari pano apo ti thalassa tou aigaiou"
MEMBER = "gpapadopoulos"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    """The forgot-password rate limits count in the database cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


# --------------------------------------------------------------------------
# helpers


def binds(server, username: str, password: str) -> bool:
    """Does the member's own simple bind with this password work (what Wi-Fi and mail do)?"""
    # Bytes, as a RADIUS server or a mail client sends them (ldap3 would SASLprep a str).
    return Connection(server.url, entry_dn(username), password.encode("utf-8")).bind()


def entry_of(ldap_admin, username: str) -> dict[str, list[str]] | None:
    ldap_admin.search(entry_dn(username), "(objectClass=*)", BASE, attributes=["*", "+"])
    found = [item for item in ldap_admin.response if item.get("type") == "searchResEntry"]
    if not found:
        return None
    return {
        name: [value.decode("utf-8", "replace") for value in values]
        for name, values in found[0]["raw_attributes"].items()
    }


def lock_of(ldap_admin, username: str) -> list[str]:
    return (entry_of(ldap_admin, username) or {}).get(LOCK_ATTRIBUTE, [])


@contextmanager
def policy(ldap_admin, **values):
    """The directory team changes the default password policy; put back afterwards."""
    ldap_admin.search(POLICY_DN, "(objectClass=*)", BASE, attributes=list(values))
    before = ldap_admin.response[0]["raw_attributes"]
    assert ldap_admin.modify(
        POLICY_DN, {name: [(MODIFY_REPLACE, [str(value)])] for name, value in values.items()}
    ), ldap_admin.result
    try:
        yield
    finally:
        restore = {
            name: [(MODIFY_REPLACE, list(before[name]))]
            if before.get(name)
            else [(MODIFY_DELETE, [])]
            for name in values
        }
        assert ldap_admin.modify(POLICY_DN, restore), ldap_admin.result


def refused(call) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        call()
    return excinfo.value


def forgot_link(client, username=MEMBER, email=EMAIL) -> str:
    """Ask for a reset link through the web; the path the member's mail carries."""
    response = client.post("/password/forgot/", {"username": username, "email": email})
    assert response.status_code == 302
    _, path, _ = link_in(latest("reset", to=email))
    return path


def submit(client, password: str):
    return client.post("/password/set/", {"new_password1": password, "new_password2": password})


def greek(code: str) -> str:
    """The code's Greek message as the page carries it (HTML-escaped)."""
    return escape(message(code, language="el"))


# --------------------------------------------------------------------------
# The ppolicy response control


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (b"0\x03\x81\x01\x05", 5),
        (b"0\x03\x81\x01\x06", 6),  # what slapd sent for a too-short password
        (b"0\x03\x81\x01\x07", 7),
        (b"0\x03\x81\x01\x08", 8),  # ... and for one in the history
        (b"0\x03\x81\x01\x09", 9),
    ],
)
def test_r28_ppolicy_errors_decode_as_slapd_sends_them(raw, number):
    assert ppolicy.decode(raw) == ppolicy.PolicyResponse(error=number)


def test_r28_ppolicy_warnings_decode():
    assert ppolicy.decode(b"0\x05\xa0\x03\x80\x01\x2a").time_before_expiration == 42
    both = ppolicy.decode(b"0\x08\xa0\x03\x81\x01\x02\x81\x01\x00")
    assert (both.grace_authns_remaining, both.error, both.error_name) == (2, 0, "passwordExpired")
    assert ppolicy.decode(b"0\x00") == ppolicy.PolicyResponse()


def test_r28_ppolicy_unknown_error_kept_as_a_number():
    response = ppolicy.decode(b"0\x03\x81\x01\x0c")
    assert (response.error, response.error_name) == (12, "error 12")


@pytest.mark.parametrize("raw", [b"\x04\x01a", b"0\x03\x81\x01", b"0\x03\x81\x01\x06\x00"])
def test_r28_ppolicy_malformed_value_is_refused(raw):
    with pytest.raises(ppolicy.MalformedControl):
        ppolicy.decode(raw)


@given(
    error=st.none() | st.integers(0, 9),
    warning=st.none() | st.tuples(st.sampled_from([0, 1]), st.integers(0, 2**31 - 1)),
)
def test_r28_ppolicy_decodes_what_the_draft_encodes(error, warning):
    value = ppolicy.PasswordPolicyResponseValue()
    if warning is not None:
        choice = ("timeBeforeExpiration", "graceAuthNsRemaining")[warning[0]]
        value["warning"][choice] = warning[1]
    if error is not None:
        value["error"] = error
    decoded = ppolicy.decode(encoder.encode(value))
    assert decoded.error == error
    assert decoded.time_before_expiration == (warning[1] if warning and warning[0] == 0 else None)
    assert decoded.grace_authns_remaining == (warning[1] if warning and warning[0] == 1 else None)


# --------------------------------------------------------------------------
# set_password itself


def test_r28_directory_off_contacts_nothing(demo, account, settings):
    settings.LDAP_ENABLED = False
    settings.LDAP_URLS = ["ldap://127.0.0.1:9"]
    directory_services.set_password(account(MEMBER), NEW_PASSWORD)


def test_r28_entry_created_on_first_set(directory, ldap_admin, demo, account):
    member = account(MEMBER)
    assert entry_of(ldap_admin, MEMBER) is None
    directory_services.set_password(member, NEW_PASSWORD)
    entry = entry_of(ldap_admin, MEMBER)
    desired = desired_entry(member)
    for name, values in desired.attributes.items():
        if name != "objectClass":
            assert sorted(entry[name]) == sorted(values), name
    assert entry["userPassword"][0].startswith("{ARGON2}")  # hashed by the server
    assert LOCK_ATTRIBUTE not in entry
    assert binds(directory, MEMBER, NEW_PASSWORD)
    assert not binds(directory, MEMBER, STRONG)


def test_r28_existing_entry_brought_current_before_the_password(
    directory, ldap_admin, demo, account
):
    member = account(MEMBER)
    directory_services.set_password(member, STRONG)
    ldap_admin.modify(entry_dn(MEMBER), {"displayName": [(MODIFY_REPLACE, ["stale"])]})
    directory_services.set_password(member, NEW_PASSWORD)
    assert entry_of(ldap_admin, MEMBER)["displayName"] == ["Γεώργιος Παπαδόπουλος"]
    assert binds(directory, MEMBER, NEW_PASSWORD)
    assert not binds(directory, MEMBER, STRONG)


def test_r28_entry_the_directory_refuses_refuses_the_password(
    directory, ldap_admin, demo, account, caplog
):
    """Another entry already carries the uid: converging fails, and so does the password."""
    other = f"cn=Someone Else,{directory.settings()['LDAP_BASE_DN']}"
    assert ldap_admin.add(
        other, ["inetOrgPerson"], {"cn": "Someone Else", "sn": "Else", "uid": MEMBER}
    ), ldap_admin.result
    exc = refused(lambda: directory_services.set_password(account(MEMBER), NEW_PASSWORD))
    assert codes_of(exc) == ["password.directory_refused"]
    assert "directory refused the entry of account" in caplog.text
    assert entry_of(ldap_admin, MEMBER) is None


def test_r28_service_identity_is_judged_by_the_directory_policy(
    directory, ldap_admin, demo, account
):
    """Not a password administrator: slapd's own minimum length applies to Kleidi too."""
    member = account(MEMBER)
    exc = refused(lambda: directory_services.set_password(member, "short1"))
    assert codes_of(exc) == ["directory.password_too_short"]


def test_r28_password_in_the_directory_history_refused(directory, demo, account):
    member = account(MEMBER)
    directory_services.set_password(member, STRONG)
    directory_services.set_password(member, NEW_PASSWORD)
    exc = refused(lambda: directory_services.set_password(member, STRONG))
    assert codes_of(exc) == ["directory.password_in_history"]
    assert binds(directory, MEMBER, NEW_PASSWORD)


def test_r28_minimum_age_refusal_says_too_young(directory, ldap_admin, demo, account):
    """Why docs/directory.md ("Passwords") asks for pwdMinAge 0: a quick second reset fails."""
    member = account(MEMBER)
    directory_services.set_password(member, STRONG)
    with policy(ldap_admin, pwdMinAge=3600):
        exc = refused(lambda: directory_services.set_password(member, NEW_PASSWORD))
    assert codes_of(exc) == ["directory.password_too_young"]
    assert binds(directory, MEMBER, STRONG)


def test_r28_directory_down_is_unavailable(directory, demo, account):
    directory.kill()
    exc = refused(lambda: directory_services.set_password(account(MEMBER), NEW_PASSWORD))
    assert codes_of(exc) == ["directory.unavailable"]


def test_r28_directory_that_stops_answering_is_unavailable_after_the_timeout(
    directory, demo, account, settings
):
    """A hung slapd (SIGSTOP): LDAP_TIMEOUT bounds the wait; the test ends at all."""
    settings.LDAP_CONNECT_TIMEOUT = settings.LDAP_TIMEOUT = 1
    with paused(directory):
        exc = refused(lambda: directory_services.set_password(account(MEMBER), NEW_PASSWORD))
    assert codes_of(exc) == ["directory.unavailable"]


def test_r28_password_operation_bounded_by_the_timeout(directory, demo, account, settings):
    """The server hangs after the bind and the entry's read, during the exop itself.

    The request gives up after LDAP_TIMEOUT; the operation may still be
    applied once the server wakes up (docs/directory.md, "Passwords": the
    directory ahead of Kleidi), so the member's old password is not asserted.
    """
    settings.LDAP_TIMEOUT = 1
    member = account(MEMBER)
    real = converge.converge

    def then_hang(conn, accounts):
        outcome = real(conn, accounts)
        os.kill(directory.process.pid, signal.SIGSTOP)
        wait_stopped(directory.process.pid)
        return outcome

    try:
        with mock.patch.object(converge, "converge", side_effect=then_hang):
            exc = refused(lambda: directory_services.set_password(member, NEW_PASSWORD))
    finally:
        os.kill(directory.process.pid, signal.SIGCONT)
    assert codes_of(exc) == ["directory.unavailable"]


def test_r28_failed_bind_lockout_cleared_by_a_new_password(directory, ldap_admin, demo, account):
    member = account(MEMBER)
    directory_services.set_password(member, STRONG)
    for _ in range(3):
        assert not binds(directory, MEMBER, "wrong password")
    (locked_at,) = lock_of(ldap_admin, MEMBER)
    assert locked_at != ADMIN_LOCK
    assert not binds(directory, MEMBER, STRONG)  # locked out
    directory_services.set_password(member, NEW_PASSWORD)
    assert lock_of(ldap_admin, MEMBER) == []
    assert binds(directory, MEMBER, NEW_PASSWORD)


def test_r28_kleidi_lock_never_cleared_by_a_password(directory, ldap_admin, demo, account):
    member = account("salexiou")
    directory_services.set_password(member, STRONG)
    account_services.disable_account(member, actor=None)
    member = account("salexiou")
    with service_connection() as conn:
        converge.converge(conn, [member])
    assert lock_of(ldap_admin, "salexiou") == [ADMIN_LOCK]
    exc = refused(lambda: directory_services.set_password(member, NEW_PASSWORD))
    assert codes_of(exc) == ["password.directory_refused"]
    assert lock_of(ldap_admin, "salexiou") == [ADMIN_LOCK]
    assert not binds(directory, "salexiou", NEW_PASSWORD)
    assert not binds(directory, "salexiou", STRONG)


# --------------------------------------------------------------------------
# Through the member's link (R24, R26): the web flow, Kleidi and the directory together


def test_r26_r28_reset_link_sets_the_directory_password(directory, demo, account, client):
    directory_services.set_password(account(MEMBER), STRONG)
    client.get(forgot_link(client))
    response = submit(client, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/password/set/done/"
    assert binds(directory, MEMBER, NEW_PASSWORD)
    assert not binds(directory, MEMBER, STRONG)
    assert account(MEMBER).check_password(NEW_PASSWORD)


def test_r26_r28_welcome_link_creates_the_entry_and_activates(
    directory, ldap_admin, demo, account, client
):
    """A pending member clicks before the worker created the entry: it is created then."""
    assert entry_of(ldap_admin, "el24001") is None
    client.get(forgot_link(client, "el24001", "giannis.georgiou@example.com"))
    assert submit(client, NEW_PASSWORD).status_code == 302
    assert account("el24001").state == "active"
    assert entry_of(ldap_admin, "el24001")["eduPersonPrincipalName"] == ["el24001@ntua.gr"]
    assert binds(directory, "el24001", NEW_PASSWORD)


def _unchanged(account, before_hash: str, messages: int) -> None:
    """Nothing happened in Kleidi: same hash, link still live, no event, no mail."""
    member = account(MEMBER)
    assert member.password == before_hash
    assert LinkToken.objects.filter(account=member, used_at=None, voided_at=None).count() == 1
    assert not AuditEvent.objects.filter(action="password.reset_completed").exists()
    assert OutboxMessage.objects.count() == messages
    assert not OutboxMessage.objects.filter(template="password_changed").exists()


def test_r26_too_short_for_the_directory_changes_nothing_and_the_link_still_works(
    directory, ldap_admin, demo, account, client
):
    assert len(NEW_PASSWORD) < 40  # long enough for Kleidi (12), too short for this directory
    client.get(forgot_link(client))
    before, messages = account(MEMBER).password, OutboxMessage.objects.count()
    with policy(ldap_admin, pwdMinLength=40):
        response = submit(client, NEW_PASSWORD)
    assert response.status_code == 200
    assert greek("directory.password_too_short") in response.content.decode()
    _unchanged(account, before, messages)
    assert submit(client, NEW_PASSWORD).status_code == 302  # the same link, the same session
    assert binds(directory, MEMBER, NEW_PASSWORD)


def test_r26_in_history_through_a_change_names_the_reason(directory, demo, account):
    member = account(MEMBER)
    credentials.change_password(member, STRONG)
    credentials.change_password(member, NEW_PASSWORD)
    before = account(MEMBER).password
    exc = refused(lambda: credentials.change_password(member, STRONG))
    assert codes_of(exc) == ["directory.password_in_history"]
    assert account(MEMBER).password == before
    assert binds(directory, MEMBER, NEW_PASSWORD)


def test_r26_directory_down_shows_the_greek_message_and_the_link_works_after(
    directory, demo, account, client
):
    client.get(forgot_link(client))
    before, messages = account(MEMBER).password, OutboxMessage.objects.count()
    directory.kill()
    response = submit(client, NEW_PASSWORD)
    assert response.status_code == 200
    assert greek("directory.unavailable") in response.content.decode()
    _unchanged(account, before, messages)
    directory.start()
    assert submit(client, NEW_PASSWORD).status_code == 302
    assert binds(directory, MEMBER, NEW_PASSWORD)
    assert account(MEMBER).check_password(NEW_PASSWORD)


def test_r26_forgot_password_clears_a_failed_bind_lockout(
    directory, ldap_admin, demo, account, client
):
    directory_services.set_password(account(MEMBER), STRONG)
    for _ in range(3):
        binds(directory, MEMBER, "not my password")
    assert lock_of(ldap_admin, MEMBER) and not binds(directory, MEMBER, STRONG)
    client.get(forgot_link(client))
    assert submit(client, NEW_PASSWORD).status_code == 302
    assert lock_of(ldap_admin, MEMBER) == []
    assert binds(directory, MEMBER, NEW_PASSWORD)


def test_r26_disabled_account_stays_locked_whatever_is_tried(
    directory, ldap_admin, demo, account, client
):
    member = account("salexiou")
    directory_services.set_password(member, STRONG)
    account_services.disable_account(member, actor=None)
    with service_connection() as conn:
        converge.converge(conn, [account("salexiou")])
    client.post("/password/forgot/", {"username": "salexiou", "email": "sofia.alexiou@example.com"})
    assert latest("reset", to="sofia.alexiou@example.com") is None  # no link at all
    exc = refused(lambda: credentials.change_password(account("salexiou"), NEW_PASSWORD))
    assert codes_of(exc)  # refused by Kleidi before the directory
    for _ in range(3):
        binds(directory, "salexiou", "a wrong one")
    assert lock_of(ldap_admin, "salexiou") == [ADMIN_LOCK]
    assert not binds(directory, "salexiou", STRONG)


# --------------------------------------------------------------------------
# No password anywhere (DESIGN §6)


def test_r28_no_password_in_tables_logs_or_errors(
    directory, ldap_admin, demo, account, client, caplog
):
    caplog.set_level(logging.DEBUG)
    passwords = [NEW_PASSWORD, STRONG, THIRD]
    errors: list[ValidationError] = []
    client.get(forgot_link(client))
    with policy(ldap_admin, pwdMinLength=40):
        submit(client, NEW_PASSWORD)  # refused: too short for the directory
    assert submit(client, NEW_PASSWORD).status_code == 302
    member = account(MEMBER)
    credentials.change_password(member, THIRD)
    errors.append(refused(lambda: credentials.change_password(member, NEW_PASSWORD)))  # history
    directory.kill()
    errors.append(refused(lambda: credentials.change_password(member, STRONG)))  # unavailable
    directory.start()
    stored = json.dumps(
        [
            list(DirectoryChange.objects.values()),
            list(DirectoryState.objects.values()),
            list(AuditEvent.objects.values()),
            list(OutboxMessage.objects.values()),
        ],
        default=str,
        ensure_ascii=False,
    )
    said = caplog.text + " ".join(f"{exc} {exc!r} {exc.messages}" for exc in errors)
    for password in passwords:
        assert password not in stored
        assert password not in said
    assert "directory refused the password" in caplog.text  # the refusals were logged, coded
    assert "ppolicy passwordTooShort" in caplog.text


def test_r28_the_directory_holds_the_exact_bytes_typed(directory, demo, account):
    """No-break space, soft hyphen, a ligature: Kleidi accepts any Unicode (R25), and the
    directory must check the same bytes the member's other services send (ldapwhoami here,
    OpenLDAP's own client, which applies no SASLprep)."""
    typed = "αγάπω\u00a0πολύ τη\u00adμαίρη ﬁλε μου 7"
    directory_services.set_password(account(MEMBER), typed)
    assert binds(directory, MEMBER, typed)
    whoami = subprocess.run(
        ["ldapwhoami", "-x", "-H", directory.url, "-D", entry_dn(MEMBER), "-w", typed],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert whoami.returncode == 0, whoami.stderr
    assert not binds(directory, MEMBER, "αγάπω πολύ τημαίρη fiλε μου 7")
