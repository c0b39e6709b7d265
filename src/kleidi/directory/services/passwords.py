"""Setting a member's password in the directory during the request (R26, R28).

Called last inside the caller's transaction, with the account row locked and
Kleidi's own checks passed: if the directory refuses or does not answer, the
coded error raised here rolls Kleidi back, so the two never disagree about
which password is current (docs/directory.md, "Passwords" has the one exception).

The password goes over the RFC 3062 Password Modify operation as Kleidi's
service identity, which is *not* a password administrator: the directory's
own policy (length, quality, history, minimum age) judges every password,
and its reason comes back in the ppolicy response control, which becomes the
member's message. The password is never hashed here (the server's history
would compare hashes it did not make), never logged and never in an exception.
"""

from __future__ import annotations

import logging

from django.conf import settings
from ldap3 import BASE, MODIFY_DELETE
from ldap3.core.exceptions import LDAPException

from kleidi.directory import converge, ppolicy
from kleidi.directory.connection import DirectoryUnavailable, service_connection
from kleidi.directory.mapping import ADMIN_LOCK, LOCK_ATTRIBUTE, desired_entry
from kleidi.errors import error

logger = logging.getLogger(__name__)

# ppolicy's error numbers (draft-behera §6.2) that the member can act on.
POLICY_CODES = {
    5: "directory.password_quality",
    6: "directory.password_too_short",
    7: "directory.password_too_young",
    8: "directory.password_in_history",
    9: "directory.password_too_long",
}
REFUSED = "password.directory_refused"


def set_password(account, password: str) -> None:
    """R26, R28: the entry made current, the password set, a failed-bind lockout cleared.

    Raises `directory.unavailable` when no server answers in time, a
    `directory.password_*` code when ppolicy says why it refused, and
    `password.directory_refused` for any other refusal.
    """
    if not settings.LDAP_ENABLED:
        return
    desired = desired_entry(account)
    if desired.locked:
        # Links and changes are for pending and active accounts only; a password
        # set by the service would clear Kleidi's lock (OpenLDAP unlocks on reset).
        logger.warning("directory password refused: account %s is locked in Kleidi", account.pk)
        raise error(REFUSED)
    try:
        with service_connection() as conn:
            _make_current(conn, account)
            _modify_password(conn, account, desired.dn, password)
            _clear_lockout(conn, account, desired.dn)
    except (DirectoryUnavailable, LDAPException) as exc:  # down, lost or timed out
        _unavailable(account, exc, password)


def _unavailable(account, exc: Exception, password: str) -> None:
    reason = str(exc).replace(password, "***") if password else str(exc)
    logger.warning(
        "directory unavailable while setting the password of account %s: %s: %s",
        account.pk,
        type(exc).__name__,
        reason,
    )
    raise error("directory.unavailable") from None


def _make_current(conn, account) -> None:
    """Create or update the entry first: a welcome link may beat the worker to it.

    A refusal is tried once more, after a fresh read: the worker may have
    created the entry between this request's read and its add.
    """
    for attempt in (1, 2):
        outcome = converge.converge(conn, [account]).get(account.pk)
        if not isinstance(outcome, converge.EntryRefused):
            return
        if attempt == 2:
            logger.warning(
                "directory refused the entry of account %s before its password: %s",
                account.pk,
                outcome,
            )
            raise error(REFUSED)


def _modify_password(conn, account, dn: str, password: str) -> None:
    """RFC 3062 with the ppolicy request control, so a refusal says why."""
    if conn.extend.standard.modify_password(
        user=dn,
        old_password=None,
        # Bytes, as typed: ldap3 would SASLprep a str (a no-break space becomes a
        # space, a soft hyphen vanishes), and eduroam or mail would then check
        # other bytes than the member typed.
        new_password=password.encode("utf-8"),
        controls=[ppolicy.REQUEST],
    ):
        return
    result = conn.result or {}
    try:
        response = ppolicy.response_of(result)
    except ppolicy.MalformedControl:
        response = None
    number = response.error if response is not None else None
    logger.warning(
        "directory refused the password of account %s: LDAP %s %s, ppolicy %s",
        account.pk,
        result.get("result"),
        result.get("description"),
        (response.error_name if response is not None else "") or "none",
    )
    if number is None and result.get("result") in converge.UNAVAILABLE_RESULTS:
        # "Not now" (busy, unavailable, timeLimitExceeded...), as for the worker.
        raise error("directory.unavailable")
    raise error(POLICY_CODES.get(number, REFUSED))


def _clear_lockout(conn, account, dn: str) -> None:
    """Remove a failed-bind lockout that survived the reset (servers other than OpenLDAP).

    Only values other than Kleidi's ADMIN_LOCK, and only those values (a lock
    another writer set meanwhile stays): OpenLDAP has already cleared the
    attribute, so there this is one read and no write. The password is set by
    now, so a failure here is logged, not raised: rolling Kleidi back would
    leave the directory ahead of it.
    """
    try:
        conn.search(dn, "(objectClass=*)", BASE, attributes=[LOCK_ATTRIBUTE])
        found = [
            raw.decode("utf-8", "replace")
            for item in conn.response or []
            if item.get("type") == "searchResEntry"
            for raw in item.get("raw_attributes", {}).get(LOCK_ATTRIBUTE, [])
        ]
        stale = [value for value in found if value != ADMIN_LOCK]
        if not stale or conn.modify(dn, {LOCK_ATTRIBUTE: [(MODIFY_DELETE, stale)]}):
            return
        reason = f"LDAP {conn.result.get('result')} {conn.result.get('description')}"
    except LDAPException as exc:
        reason = type(exc).__name__
    logger.warning(
        "directory kept a lockout of account %s after its new password: %s", account.pk, reason
    )
