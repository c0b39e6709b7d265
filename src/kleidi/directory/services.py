"""The directory (LDAP) connector's entry points (R28).

Kleidi is the source of truth and pushes every account change to the
directory. Until the LDAP connector is built (settings refuse KLEIDI_LDAP_URL
meanwhile, so nobody believes the directory is fed) these are deliberate
no-ops, so the callers already sit where the real calls must happen:
`set_password` inside the password change's transaction, `sync_account` on
every account change.
"""


def set_password(account, password: str) -> None:
    """Set the password in the directory (RFC 3062), inside the caller's transaction.

    Raises on refusal so the caller's transaction rolls back and nothing changes.
    """
    return


def sync_account(account, action: str) -> None:
    """Create, update or lock the account's entry to follow Kleidi's state."""
    return
