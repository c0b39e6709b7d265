"""Transport security and failover of the service connection (R28, docs/directory.md).

Real slapd processes, real sockets: a refused port, a port that accepts and
never answers, a stopped (SIGSTOP) server, a CA that did not sign the
server's certificate.
"""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager

import pytest
from ldap3 import BASE
from ldap3.core.exceptions import LDAPException

from kleidi.directory import slapd as private
from kleidi.directory.connection import DirectoryUnavailable, service_connection
from tests.ldap_fixtures import paused


def _search_base(conn) -> bool:
    return conn.search(private.SUFFIX, "(objectClass=*)", BASE, attributes=["dc"])


@contextmanager
def silent_port():
    """A port that completes TCP handshakes (the kernel's backlog) but never reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"ldap://127.0.0.1:{sock.getsockname()[1]}"


def connect_fails(match: str | None = None) -> str:
    """Open the service connection, expecting DirectoryUnavailable; its message."""
    with pytest.raises(DirectoryUnavailable, match=match) as raised, service_connection():
        pass
    return str(raised.value)


def dead_url() -> str:
    return f"ldap://127.0.0.1:{private.free_port()}"


# -- TLS ---------------------------------------------------------------------------


def test_r28_ldaps_with_the_directory_ca_binds(directory_tls):
    with service_connection() as conn:
        assert conn.server.ssl
        assert _search_base(conn)
        assert conn.socket.version() in ("TLSv1.2", "TLSv1.3")


def test_r28_ldaps_with_another_ca_is_refused(directory_tls, settings, tmp_path):
    other_ca, _ = private.make_ca(tmp_path / "other", name="Not the directory's CA")
    settings.LDAP_CA_FILE = str(other_ca)
    connect_fails(r"certificate verify failed")


def test_r28_ldaps_without_a_ca_file_uses_the_system_cas_and_refuses_a_private_ca(
    directory_tls, settings
):
    settings.LDAP_CA_FILE = ""
    connect_fails(r"certificate verify failed")


def test_r28_ldaps_checks_the_name_in_the_url(directory_tls, settings):
    """The certificate names 127.0.0.1 and localhost; the same server under another name fails."""
    settings.LDAP_URLS = [f"ldaps://localhost:{directory_tls.tls_port}"]
    with service_connection() as conn:
        assert _search_base(conn)
    alias = socket.gethostname()
    if alias == "localhost" or socket.gethostbyname(alias) != "127.0.0.1":
        pytest.skip("needs a host name other than localhost for 127.0.0.1")
    settings.LDAP_URLS = [f"ldaps://{alias}:{directory_tls.tls_port}"]
    connect_fails(r"match|mismatch")


def test_r28_starttls_secures_the_plain_port(directory_tls, settings):
    settings.LDAP_URLS = [directory_tls.url]
    settings.LDAP_START_TLS = True
    with service_connection() as conn:
        assert conn.tls_started
        assert conn.socket.version() in ("TLSv1.2", "TLSv1.3")
        assert _search_base(conn)


def test_r28_starttls_failure_is_unavailable_never_plaintext(directory_tls, settings, tmp_path):
    other_ca, _ = private.make_ca(tmp_path / "other", name="Not the directory's CA")
    settings.LDAP_URLS = [directory_tls.url]
    settings.LDAP_START_TLS = True
    settings.LDAP_CA_FILE = str(other_ca)
    connect_fails(r"StartTLS|certificate")


def test_r28_starttls_refused_by_a_server_without_tls_is_unavailable(directory, settings):
    """The plain test slapd has no certificate: StartTLS is refused, and so is the connection."""
    settings.LDAP_START_TLS = True
    connect_fails()


# -- failover ----------------------------------------------------------------------


def test_r28_a_refused_port_fails_over_to_the_next_server(directory, settings):
    settings.LDAP_URLS = [dead_url(), directory.url]
    started = time.monotonic()
    with service_connection() as conn:
        assert conn.server.port == directory.port
        assert _search_base(conn)
    assert time.monotonic() - started < 5.0


def test_r28_a_silent_server_costs_the_connect_timeout_then_the_next_answers(directory, settings):
    settings.LDAP_CONNECT_TIMEOUT = 1
    settings.LDAP_TIMEOUT = 30
    with silent_port() as silent:
        settings.LDAP_URLS = [silent, directory.url]
        started = time.monotonic()
        with service_connection() as conn:
            assert conn.server.port == directory.port
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 8.0, elapsed


def test_r28_only_silent_servers_give_up_within_the_connect_timeout_each(directory, settings):
    settings.LDAP_CONNECT_TIMEOUT = 1
    settings.LDAP_TIMEOUT = 30
    with silent_port() as first, silent_port() as second:
        settings.LDAP_URLS = [first, second]
        started = time.monotonic()
        message = connect_fails()
        elapsed = time.monotonic() - started
    assert 1.8 < elapsed < 10.0, elapsed
    assert first in message and second in message


def test_r28_a_stopped_slapd_fails_over_like_a_silent_one(directory, slapd_tls, settings):
    settings.LDAP_CONNECT_TIMEOUT = 1
    settings.LDAP_URLS = [directory.url, slapd_tls.ldaps_url]
    settings.LDAP_CA_FILE = str(slapd_tls.ca_file)
    settings.LDAP_BIND_PASSWORD_FILE = str(slapd_tls.password_file)
    # Both servers know the same service identity under the same DN, with their own passwords:
    # the TLS server's password file is the one read, so the first server would refuse it anyway.
    with paused(directory):
        started = time.monotonic()
        with service_connection() as conn:
            assert conn.server.port == slapd_tls.tls_port
        assert time.monotonic() - started < 8.0


def test_r28_after_the_bind_operations_are_bounded_by_the_timeout(directory, settings):
    settings.LDAP_TIMEOUT = 1
    with service_connection() as conn, paused(directory):
        started = time.monotonic()
        with pytest.raises(LDAPException):
            _search_base(conn)
        assert time.monotonic() - started < 8.0


def test_r28_every_server_down_is_unavailable_naming_the_servers_not_the_password(
    directory, settings
):
    first, second = dead_url(), dead_url()
    settings.LDAP_URLS = [first, second]
    message = connect_fails()
    assert first in message and second in message
    assert directory.service_password not in message


def test_r28_a_refused_service_password_does_not_try_the_next_server(directory, settings, tmp_path):
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n", encoding="utf-8")
    settings.LDAP_BIND_PASSWORD_FILE = str(wrong)
    with silent_port() as silent:
        settings.LDAP_URLS = [directory.url, silent]
        settings.LDAP_CONNECT_TIMEOUT = 5
        started = time.monotonic()
        message = connect_fails(r"49")
        assert time.monotonic() - started < 5.0
    assert "not-the-password" not in message


def test_r28_a_missing_password_file_is_unavailable(directory, settings, tmp_path):
    settings.LDAP_BIND_PASSWORD_FILE = str(tmp_path / "absent")
    connect_fails(r"bind password file")
