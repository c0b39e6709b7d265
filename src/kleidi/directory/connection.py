"""Connecting to the directory as Kleidi's service identity (R28).

Several URLs fail over in order: each server gets `KLEIDI_LDAP_CONNECT_TIMEOUT`
seconds to accept, finish TLS and answer the bind, so a server that accepts
connections but never answers costs that long and no more; after the bind
every operation is bounded by `KLEIDI_LDAP_TIMEOUT`. `ldaps://` and StartTLS
verify the server's certificate and name against `KLEIDI_LDAP_CA_FILE` (or
the system's CAs) with TLS 1.2 or later; a StartTLS that fails is a failure,
never a fallback to plaintext. The bind password is read from its file each
time, so a rotated password needs no restart. Every failure to reach or bind
becomes `DirectoryUnavailable`, whose message names servers, never secrets.
"""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from ldap3 import SYNC, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException

INVALID_CREDENTIALS = 49


class DirectoryUnavailable(Exception):
    """No directory server could be reached, bound or answered in time."""


class VerifiedTls(Tls):
    """ldap3's Tls, with the certificate's name checked by Python's own `ssl` (IP SANs too).

    ldap3 turns the context's hostname check off and does its own, which
    does not match IP addresses on Python 3.12; here the context checks the
    chain, the name in the URL and the protocol version during the handshake.
    """

    def wrap_socket(self, connection, do_handshake=False):
        context = ssl.create_default_context(cafile=self.ca_certs_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        connection.socket = context.wrap_socket(
            connection.socket,
            server_hostname=connection.server.host,
            do_handshake_on_connect=do_handshake,
        )


def read_bind_password() -> str:
    try:
        with open(settings.LDAP_BIND_PASSWORD_FILE, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    except OSError as exc:
        raise DirectoryUnavailable(f"cannot read the bind password file ({exc.strerror})") from None


def tls() -> VerifiedTls:
    return VerifiedTls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.LDAP_CA_FILE or None)


def servers() -> list[Server]:
    """The configured servers, in failover order, each with the TLS settings."""
    config = tls()
    return [
        Server(url, connect_timeout=settings.LDAP_CONNECT_TIMEOUT, tls=config)
        for url in settings.LDAP_URLS
    ]


def _set_timeout(conn: Connection, seconds: float) -> None:
    """Bound every later read on the connection's socket (ldap3 sets it once, at open)."""
    conn.receive_timeout = seconds
    sock = conn.socket
    sock.settimeout(seconds)
    whole = int(seconds)
    sock.setsockopt(
        socket.SOL_SOCKET,
        socket.SO_RCVTIMEO,
        struct.pack("ll", whole, int((seconds - whole) * 1_000_000)),
    )


def _bind(server: Server, user: str, password: str) -> Connection:
    """Open, secure and bind one server within the connect timeout; raise on any failure."""
    conn = Connection(
        server,
        user=user,
        password=password,
        client_strategy=SYNC,
        receive_timeout=settings.LDAP_CONNECT_TIMEOUT,
        raise_exceptions=False,
        auto_referrals=False,
        read_only=False,
    )
    try:
        conn.open(read_server_info=False)
        if settings.LDAP_START_TLS and not server.ssl:
            conn.start_tls(read_server_info=False)
            if not conn.tls_started:
                raise DirectoryUnavailable(f"{_name(server)}: StartTLS failed")
        if not conn.bind():
            code = conn.result.get("result")
            description = conn.result.get("description")
            raise _BindRefused(code, f"{_name(server)}: bind refused ({code} {description})")
    except BaseException:
        with suppress(LDAPException, OSError):
            conn.unbind()
        raise
    _set_timeout(conn, settings.LDAP_TIMEOUT)
    return conn


class _BindRefused(DirectoryUnavailable):
    def __init__(self, code, message: str) -> None:
        super().__init__(message)
        self.code = code


def _name(server: Server) -> str:
    return f"{'ldaps' if server.ssl else 'ldap'}://{server.host}:{server.port}"


def connect(user: str, password: str) -> Connection:
    """A connection bound as `user`: the first server that answers, in order.

    Refused credentials stop the search (a replica would say the same);
    anything else (refused port, timeout, TLS failure, a busy server) tries
    the next server.
    """
    problems: list[str] = []
    for server in servers():
        try:
            return _bind(server, user, password)
        except _BindRefused as refused:
            if refused.code == INVALID_CREDENTIALS:
                raise DirectoryUnavailable(str(refused)) from None
            problems.append(str(refused))
        except DirectoryUnavailable as exc:
            problems.append(str(exc))
        except (LDAPException, OSError) as exc:
            problems.append(f"{_name(server)}: {type(exc).__name__}: {_first_line(exc)}")
    raise DirectoryUnavailable("no directory server answered: " + "; ".join(problems))


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


@contextmanager
def service_connection() -> Iterator[Connection]:
    """A connection bound as the service identity; unbound when the block ends."""
    conn = connect(settings.LDAP_BIND_DN, read_bind_password())
    try:
        yield conn
    finally:
        with suppress(LDAPException, OSError):
            conn.unbind()
