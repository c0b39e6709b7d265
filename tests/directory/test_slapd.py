"""The private slapd the directory tests use is a real one, configured as docs/directory.md says."""

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
