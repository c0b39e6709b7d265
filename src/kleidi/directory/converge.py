"""Comparing entries with Kleidi's desired state and changing only what differs (R28).

LDAP only, no database: the queue's worker (`kleidi.directory.sync`) and
`reconcile` both call `converge`, so a drift is judged and repaired the same
way wherever it is found. An entry that is already right costs no write; one
that differs costs one add or one modify carrying every difference, so
applying the same state twice is a no-op. Values compare exactly per
attribute description (`cn;lang-el` apart from `cn`); object classes compare
case-insensitively and are only ever added, since the directory team may add
classes of its own; managed attributes Kleidi no longer wants are deleted,
every other attribute is left alone; entries are never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from django.conf import settings
from ldap3 import LEVEL, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE
from ldap3.core.exceptions import (
    LDAPCommunicationError,
    LDAPException,
    LDAPResponseTimeoutError,
    LDAPSocketOpenError,
)
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from kleidi.directory.connection import DirectoryUnavailable
from kleidi.directory.mapping import (
    ADMIN_LOCK,
    LOCK_ATTRIBUTE,
    MANAGED_ATTRIBUTES,
    DesiredEntry,
    desired_entry,
    entry_dn,
)

READ_ATTRIBUTES = (*MANAGED_ATTRIBUTES, LOCK_ATTRIBUTE)
# In `read_entries`' result: the uid is held by an entry at another DN than Kleidi's.
CONFLICT = "_conflict"
# At most this many uids in one search filter: a batch of accounts costs one search.
READ_BATCH = 100
# Result codes that say the server, not the entry, is the problem: the batch backs off
# (busy, unavailable, server down, timeout, connect error). Any other refusal is
# the entry's own, so one bad entry never holds the queue back.
UNAVAILABLE_RESULTS = frozenset({51, 52, 81, 85, 91})
# ldap3's exceptions that mean the conversation broke, not that an entry was refused.
TRANSPORT_ERRORS = (LDAPCommunicationError, LDAPResponseTimeoutError, LDAPSocketOpenError)
_CANONICAL = {name.lower(): name for name in READ_ATTRIBUTES}


class EntryRefused(Exception):
    """The directory refused a change to one entry (e.g. objectClassViolation).

    The message is the LDAP result (code, name, server text), never a value
    that could hold a secret.
    """


@dataclass(frozen=True)
class Drift:
    """How one account's entry differs from Kleidi's state (empty when in sync)."""

    account_id: int
    username: str
    dn: str
    missing: bool = False
    attributes: tuple[str, ...] = ()
    # "lock": should carry ADMIN_LOCK and does not; "unlock": carries it and should not.
    lock: str = ""
    # A lockout the directory set after failed binds: reported, not drift.
    failure_locked: bool = False

    @property
    def in_sync(self) -> bool:
        return not (self.missing or self.attributes or self.lock)

    def as_json(self) -> dict:
        return {**asdict(self), "attributes": list(self.attributes), "in_sync": self.in_sync}


def _unavailable_or_refused(conn, what: str) -> Exception:
    result = conn.result or {}
    code = result.get("result")
    text = f"{what}: {result.get('description', 'error')} ({code})"
    if result.get("message"):
        text += f": {result['message']}"
    return DirectoryUnavailable(text) if code in UNAVAILABLE_RESULTS else EntryRefused(text)


def _dn_key(dn: str) -> str:
    """A DN compared as the directory does: attribute names and values without case or spacing."""
    try:
        return ",".join(f"{name.lower()}={value.lower()}" for name, value, _ in parse_dn(dn))
    except LDAPException:
        return dn.lower()


def _decode(values) -> list[str]:
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def read_entries(conn, usernames: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """The managed attributes (and the lock) of these users' entries, by lowercased uid.

    One one-level search per `READ_BATCH` uids under the people base. Values
    are the raw strings the server holds (no schema formatting, so a time
    compares as the text it is); attribute descriptions are spelled as in
    `READ_ATTRIBUTES`.
    """
    wanted = sorted({name.lower() for name in usernames if name})
    found: dict[str, dict[str, list[str]]] = {}
    for start in range(0, len(wanted), READ_BATCH):
        batch = wanted[start : start + READ_BATCH]
        terms = "".join(f"(uid={escape_filter_chars(name)})" for name in batch)
        search = f"(|{terms})" if len(batch) > 1 else terms
        try:
            ok = conn.search(settings.LDAP_BASE_DN, search, LEVEL, attributes=list(READ_ATTRIBUTES))
        except LDAPException as exc:
            raise DirectoryUnavailable(f"search: {exc}") from exc
        if not ok and (conn.result or {}).get("result") not in (0, 32):
            # Without the current entries nothing can be compared: the batch waits.
            raise DirectoryUnavailable(str(_unavailable_or_refused(conn, "search")))
        members = set(batch)
        for item in conn.response or ():
            if item.get("type") != "searchResEntry":
                continue
            attributes: dict[str, list[str]] = {}
            for description, values in (item.get("raw_attributes") or {}).items():
                name = _CANONICAL.get(description.lower(), description)
                attributes.setdefault(name, []).extend(_decode(values))
            for uid in attributes.get("uid", ()):
                key = uid.lower()
                if key not in members:
                    continue
                if _dn_key(item.get("dn", "")) == _dn_key(entry_dn(key)):
                    found[key] = attributes
                elif key not in found:
                    # Another entry (a migrated `cn=...` one) carries this uid: it is
                    # the team's, and a second entry with the uid would make every
                    # service's uid search ambiguous, so the account waits (CONFLICT).
                    found[key] = {CONFLICT: [item.get("dn", "")]}
    return found


def _username(desired: DesiredEntry) -> str:
    return (desired.attributes.get("uid") or ("",))[0]


def compare(account_id: int, desired: DesiredEntry, current: dict | None) -> Drift:
    """What differs between the entry the directory holds (`current`) and `desired`."""
    username = _username(desired)
    if current is None or CONFLICT in current:
        return Drift(
            account_id, username, desired.dn, missing=True, lock="lock" if desired.locked else ""
        )
    differing = []
    for name in MANAGED_ATTRIBUTES:
        want = desired.attributes.get(name, ())
        have = current.get(name, ())
        if name == "objectClass":
            held = {value.lower() for value in have}
            if any(value.lower() not in held for value in want):
                differing.append(name)
        elif set(want) != set(have):
            differing.append(name)
    locks = current.get(LOCK_ATTRIBUTE, ())
    admin_locked = ADMIN_LOCK in locks
    if desired.locked and not admin_locked:
        lock = "lock"
    elif not desired.locked and admin_locked:
        lock = "unlock"
    else:
        lock = ""
    return Drift(
        account_id,
        username,
        desired.dn,
        attributes=tuple(differing),
        lock=lock,
        failure_locked=bool(locks) and not admin_locked,
    )


def _add(conn, desired: DesiredEntry) -> bool:
    attributes = {name: list(values) for name, values in desired.attributes.items() if values}
    if desired.locked:
        attributes[LOCK_ATTRIBUTE] = [ADMIN_LOCK]
    return conn.add(desired.dn, attributes=attributes)


def _changes(desired: DesiredEntry, current: dict, drift: Drift) -> dict:
    changes: dict[str, list] = {}
    for name in drift.attributes:
        want = desired.attributes.get(name, ())
        if name == "objectClass":
            held = {value.lower() for value in current.get(name, ())}
            changes[name] = [(MODIFY_ADD, [v for v in want if v.lower() not in held])]
        elif want:
            changes[name] = [(MODIFY_REPLACE, list(want))]
        else:
            changes[name] = [(MODIFY_DELETE, [])]
    if drift.lock == "lock":
        changes[LOCK_ATTRIBUTE] = [(MODIFY_REPLACE, [ADMIN_LOCK])]
    elif drift.lock == "unlock":
        # Only Kleidi's own value: a failed-bind lockout set meanwhile stays.
        changes[LOCK_ATTRIBUTE] = [(MODIFY_DELETE, [ADMIN_LOCK])]
    return changes


def apply(conn, desired: DesiredEntry, current: dict | None, drift: Drift) -> None:
    """Bring one entry to `desired`: one add, or one modify with every difference.

    Nothing is sent for an entry in sync. Raises `EntryRefused` when the
    directory refuses this entry and `DirectoryUnavailable` when it cannot answer.
    """
    if drift.in_sync:
        return
    try:
        if drift.missing or current is None:
            ok, what = _add(conn, desired), "add"
        else:
            ok, what = conn.modify(desired.dn, _changes(desired, current, drift)), "modify"
    except TRANSPORT_ERRORS as exc:
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    except LDAPException as exc:
        # Raised by ldap3 itself for this entry (a value it cannot encode, say):
        # this entry waits, the rest of the batch goes on.
        raise EntryRefused(f"{what}: {type(exc).__name__}: {exc}") from exc
    if not ok:
        raise _unavailable_or_refused(conn, what)


def converge(conn, accounts: Sequence) -> dict[int, Drift | EntryRefused]:
    """Converge these accounts' entries; per account id, the drift found before fixing it.

    Reads in batches of `READ_BATCH`; an entry the directory refuses is
    reported as its `EntryRefused` and does not stop the others;
    `DirectoryUnavailable` stops the whole call.
    """
    outcome: dict[int, Drift | EntryRefused] = {}
    accounts = list(accounts)
    for start in range(0, len(accounts), READ_BATCH):
        batch = accounts[start : start + READ_BATCH]
        current = read_entries(conn, [account.username for account in batch])
        for account in batch:
            desired = desired_entry(account)
            entry = current.get(account.username.lower())
            if entry is not None and CONFLICT in entry:
                outcome[account.pk] = EntryRefused(
                    f"uid {account.username} is held by another entry: {entry[CONFLICT][0]}"
                )
                continue
            drift = compare(account.pk, desired, entry)
            try:
                apply(conn, desired, entry, drift)
            except EntryRefused as refused:
                outcome[account.pk] = refused
            else:
                outcome[account.pk] = drift
    return outcome
