"""The directory tests' fixtures: a private slapd per session (per xdist worker), Kleidi at it.

Without Debian's slapd the directory tests skip, except in CI
(KLEIDI_REQUIRE_SERVICES), where a missing slapd is a failure.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from ldap3 import SUBTREE, Connection

from kleidi.directory import slapd as private
from tests.conftest import require_service


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """The session's running slapd (`kleidi.directory.slapd.PrivateSlapd`)."""
    require_service(private.available(), "needs Debian's slapd (apt-get install slapd ldap-utils)")
    server = private.PrivateSlapd(tmp_path_factory.mktemp("slapd") / "server").start()
    yield server
    server.stop()


def admin_connection(server) -> Connection:
    """The directory team's own identity (the rootDN): what tests use to look and to tamper."""
    return Connection(server.url, private.ADMIN_DN, server.admin_password, auto_bind=True)


def empty_people(server) -> None:
    conn = admin_connection(server)
    conn.search(private.PEOPLE, "(objectClass=*)", SUBTREE, attributes=[])
    for dn in sorted((e.entry_dn for e in conn.entries), key=len, reverse=True):
        if dn.lower() != private.PEOPLE.lower():
            conn.delete(dn)
    conn.unbind()


@pytest.fixture
def directory(slapd, settings):
    """Kleidi's settings pointed at the session's slapd, with an empty people base.

    A test that stopped or killed the server gets it started again afterwards.
    """
    if not slapd.running:
        slapd.start()
    empty_people(slapd)
    for name, value in slapd.settings().items():
        setattr(settings, name, value)
    yield slapd
    if not slapd.running:
        slapd.start()


@pytest.fixture(scope="session")
def slapd_tls(tmp_path_factory):
    """A second session slapd with a CA of its own: StartTLS on `.url`, LDAPS on `.ldaps_url`."""
    require_service(private.available(), "needs Debian's slapd (apt-get install slapd ldap-utils)")
    root = tmp_path_factory.mktemp("slapd-tls") / "server"
    server = private.PrivateSlapd(root, tls=True).start()
    yield server
    server.stop()


@pytest.fixture
def directory_tls(slapd_tls, settings):
    """Kleidi's settings pointed at the TLS slapd over LDAPS, trusting its CA."""
    if not slapd_tls.running:
        slapd_tls.start()
    for name, value in slapd_tls.settings().items():
        setattr(settings, name, value)
    settings.LDAP_URLS = [slapd_tls.ldaps_url]
    settings.LDAP_CA_FILE = str(slapd_tls.ca_file)
    yield slapd_tls
    if not slapd_tls.running:
        slapd_tls.start()


@pytest.fixture
def ldap_admin(directory):
    conn = admin_connection(directory)
    yield conn
    conn.unbind()


def wait_stopped(pid: int, seconds: float = 5.0) -> None:
    """Until every thread of `pid` is stopped: SIGSTOP reaches a busy process's threads late."""
    deadline = time.monotonic() + seconds
    tasks = Path(f"/proc/{pid}/task")
    while time.monotonic() < deadline:
        states = [
            (task / "stat").read_text().rsplit(")", 1)[1].split()[0] for task in tasks.iterdir()
        ]
        if all(state in ("T", "t") for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {seconds} s")


@contextmanager
def paused(server):
    """The server process stopped (SIGSTOP): connections are accepted by the kernel, no answer."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        wait_stopped(server.process.pid)
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
