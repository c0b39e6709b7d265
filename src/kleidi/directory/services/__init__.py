"""The directory (LDAP) connector's entry points (R26, R28).

Kleidi is the source of truth. Every change to an account or its person
writes a row to the directory change queue in its own transaction
(`kleidi.directory.services.queue`, from the account and people signals); a worker
task converges the entries (`kleidi.directory.sync`). A password is the one
thing set during the request itself: `set_password`, with the RFC 3062
Password Modify operation, before Kleidi commits.
"""

from __future__ import annotations

from kleidi.directory.services.passwords import set_password

__all__ = ["set_password"]
