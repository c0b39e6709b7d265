"""The private slapd the directory tests use is a real one, configured as docs/directory.md says."""

import pytest
from ldap3 import Connection

from kleidi.directory import slapd as private


def test_private_slapd_answers_the_service_identity(directory):
    conn = Connection(directory.url, private.SERVICE_DN, directory.service_password)
    assert conn.bind()
    assert conn.search(private.PEOPLE, "(objectClass=organizationalUnit)")


def test_private_slapd_refuses_a_wrong_service_password(directory):
    assert not Connection(directory.url, private.SERVICE_DN, "wrong").bind()


def test_private_slapd_comes_back_on_the_same_port_after_a_kill(directory):
    port = directory.port
    directory.kill()
    assert not directory.running
    directory.start()
    assert directory.port == port
    assert Connection(directory.url, private.SERVICE_DN, directory.service_password).bind()


def test_private_slapd_with_tls_has_its_own_ca_and_both_ports(slapd_tls):
    assert slapd_tls.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (slapd_tls.root / "tls" / "server.key").stat().st_mode & 0o077 == 0
    assert slapd_tls.ldaps_url == f"ldaps://127.0.0.1:{slapd_tls.tls_port}"
    ports = (slapd_tls.port, slapd_tls.tls_port)
    slapd_tls.restart()
    assert (slapd_tls.port, slapd_tls.tls_port) == ports
    assert all(private._answers(port) for port in ports)


def test_private_slapd_reopened_keeps_its_data_and_passwords(tmp_path):
    if not private.available():
        pytest.skip("needs Debian's slapd")
    root = tmp_path / "kept"
    first = private.PrivateSlapd(root).start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            private.PrivateSlapd.reopen(root)
        admin = Connection(first.url, private.ADMIN_DN, first.admin_password, auto_bind=True)
        assert admin.add(
            f"uid=kept,{private.PEOPLE}",
            ["inetOrgPerson"],
            {"uid": "kept", "cn": "Kept", "sn": "Kept"},
        )
    finally:
        first.stop()
    again = private.PrivateSlapd.reopen(root).start()
    try:
        assert (again.service_password, again.admin_password) == (
            first.service_password,
            first.admin_password,
        )
        assert again.port == first.port
        conn = Connection(again.url, private.SERVICE_DN, again.service_password, auto_bind=True)
        assert conn.search(private.PEOPLE, "(uid=kept)")
    finally:
        again.stop()
    assert private.running_pid(root) is None
    # A root that was never built is a new server.
    fresh = private.PrivateSlapd.reopen(tmp_path / "new")
    assert fresh.service_password != first.service_password
