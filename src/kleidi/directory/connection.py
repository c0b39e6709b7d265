"""Connecting to the directory as Kleidi's service identity (R28).

Several URLs fail over in order (ldap3's ServerPool, FIRST strategy, each
server tried once per connection); `ldaps://` or StartTLS verify the server
against `KLEIDI_LDAP_CA_FILE`; the bind password is read from its file
each time, so a rotated password needs no restart. Every failure to reach or
bind becomes `DirectoryUnavailable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from ldap3 import FIRST, Connection, Server, ServerPool
from ldap3.core.exceptions import LDAPException


class DirectoryUnavailable(Exception):
    """No directory server could be reached, bound or answered in time."""


def read_bind_password() -> str:
    with open(settings.LDAP_BIND_PASSWORD_FILE, encoding="utf-8") as handle:
        return handle.read().rstrip("\r\n")


def server_pool() -> ServerPool:
    servers = [
        Server(url, connect_timeout=settings.LDAP_CONNECT_TIMEOUT) for url in settings.LDAP_URLS
    ]
    return ServerPool(servers, FIRST, active=1, exhaust=False)


@contextmanager
def service_connection() -> Iterator[Connection]:
    """A connection bound as the service identity; unbound when the block ends."""
    try:
        conn = Connection(
            server_pool(),
            user=settings.LDAP_BIND_DN,
            password=read_bind_password(),
            receive_timeout=settings.LDAP_TIMEOUT,
            raise_exceptions=False,
        )
        if not conn.bind():
            raise DirectoryUnavailable(f"bind refused: {conn.result.get('description')}")
    except LDAPException as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    try:
        yield conn
    finally:
        with suppress(LDAPException):
            conn.unbind()
