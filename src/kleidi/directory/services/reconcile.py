"""Reconcile: compare every account with its directory entry, report drift, fix it (R28).

The queue converges what Kleidi changed; reconcile finds what changed behind
its back (an operator's `ldapmodify`, a restored backup, an entry deleted by
hand) and entries Kleidi does not know. It walks the accounts in username
order, a chunk at a time: the chunk's entries are read with the queue's own
`converge.read_entries` (batched uid filters) and compared with
`converge.compare`, and `--fix` hands the drifted accounts to
`sync.converge_now`, the queue's convergence, so both paths write the same
entries. Each chunk's findings and the cursor (the last username done) are
saved in one transaction: a run killed at any point continues from there.

Then one paged one-level search of the people base lists the directory's
entries, a page at a time, to count them and to find those whose uid is no
account's. Kleidi's entries are exactly `uid=<username>,<base>`
(`mapping.entry_dn`), so one level is where they are; what the directory team
keeps in sub-trees is theirs and not looked at. Unknown entries are reported,
never deleted, with or without `--fix`.

Memory stays bounded by the chunk and the page: no entry's attributes outlive
its chunk, and the scan keeps only the unknown entries' DNs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from ldap3 import LEVEL
from ldap3.core.exceptions import LDAPException

from kleidi.accounts.models import Account
from kleidi.audit.services import record
from kleidi.bulk import insert_values
from kleidi.directory.connection import DirectoryUnavailable, service_connection
from kleidi.directory.converge import Drift, EntryRefused, compare, read_entries
from kleidi.directory.mapping import accounts_for_directory, desired_entry
from kleidi.directory.models import ReconcileFinding, ReconcileRun
from kleidi.directory.sync import converge_now
from kleidi.errors import error

COUNTS = (
    "accounts",
    "entries",
    "in_sync",
    "missing",
    "attribute_drift",
    "lock_drift",
    "unknown_entries",
    "failure_locked",
    "fixed",
    "errors",
)
PAGED_RESULTS = "1.2.840.113556.1.4.319"
NO_SUCH_OBJECT = 32

Progress = Callable[[int, int], None]


def reconcile(
    *,
    fix: bool = False,
    restart: bool = False,
    chunk_size: int | None = None,
    pause: float = 0.0,
    progress: Progress | None = None,
) -> ReconcileRun:
    """Run (or continue) a reconcile to its end and return the finished run.

    Raises `directory.disabled` when the directory is off and
    `DirectoryUnavailable` when it cannot be reached, before anything is
    written, or mid-run, leaving the run to be continued by the next call.
    `pause` seconds between chunks spare a directory that is busy in the day.
    """
    if not settings.LDAP_ENABLED:
        raise error("directory.disabled")
    size = chunk_size or settings.LDAP_SYNC_BATCH
    with service_connection() as conn:
        run = _run(fix=fix, restart=restart)
        total = accounts_for_directory().count()
        done = run.counts.get("accounts", 0)
        for accounts in _chunks(run.cursor, size):
            _chunk(conn, run, accounts)
            done += len(accounts)
            if progress is not None:
                progress(done, total)
            if pause:
                time.sleep(pause)
        entries, unknown = _scan(conn)
    return _finish(run, entries, unknown)


def report(run: ReconcileRun) -> dict:
    """The run's report (docs/directory.md, "Reconcile", "The JSON report")."""
    counts = {name: run.counts.get(name, 0) for name in COUNTS}
    return {
        "ok": True,
        "fix": run.fix,
        "resumed": run.resumed > 0,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "counts": counts,
        "findings": [_finding_json(f) for f in _findings(run)],
        "unknown_entries": list(run.unknown_entries),
    }


def in_sync(run: ReconcileRun) -> bool:
    """Nothing left to do: no drift, or every drift fixed (a failed-bind lockout is not drift)."""
    counts = run.counts
    drifted = counts.get("accounts", 0) - counts.get("in_sync", 0)
    if counts.get("errors", 0):
        return False
    return drifted == 0 or (run.fix and counts.get("fixed", 0) >= drifted)


# -- the run --------------------------------------------------------------------------
def _run(*, fix: bool, restart: bool) -> ReconcileRun:
    """The unfinished run to continue, or a new one.

    An unfinished run is continued only by a run of the same kind (with or
    without --fix); --restart, or the other kind, discards it.
    """
    with transaction.atomic():
        unfinished = ReconcileRun.objects.filter(finished_at__isnull=True).order_by("-pk").first()
        if unfinished is not None and not restart and unfinished.fix == fix:
            unfinished.resumed += 1
            unfinished.save(update_fields=["resumed"])
            return unfinished
        ReconcileRun.objects.filter(finished_at__isnull=True).delete()
        return ReconcileRun.objects.create(fix=fix, counts={name: 0 for name in COUNTS})


def _chunks(cursor: str, size: int) -> Iterator[list[Account]]:
    while True:
        accounts = list(
            accounts_for_directory().filter(username__gt=cursor).order_by("username")[:size]
        )
        if not accounts:
            return
        yield accounts
        cursor = accounts[-1].username


def _chunk(conn, run: ReconcileRun, accounts: list[Account]) -> None:
    """Compare one chunk, fix it with --fix, and save its findings with the cursor."""
    current = read_entries(conn, [account.username for account in accounts])
    drifts = [
        compare(account.pk, desired_entry(account), current.get(account.username.lower()))
        for account in accounts
    ]
    found = [d for d in drifts if not d.in_sync or d.failure_locked]
    outcomes: dict[int, Drift | EntryRefused] = {}
    if run.fix:
        drifted = [d.account_id for d in found if not d.in_sync]
        if drifted:
            outcomes = converge_now(drifted, conn=conn)
    counts = dict(run.counts)
    counts["accounts"] += len(accounts)
    rows = []
    for drift in drifts:
        counts["in_sync"] += drift.in_sync
        counts["missing"] += drift.missing
        counts["attribute_drift"] += bool(drift.attributes) and not drift.missing
        counts["lock_drift"] += bool(drift.lock) and not drift.missing
        counts["failure_locked"] += drift.failure_locked
    for drift in found:
        outcome = outcomes.get(drift.account_id)
        fixed = isinstance(outcome, Drift)
        refusal = str(outcome) if isinstance(outcome, EntryRefused) else ""
        counts["fixed"] += fixed
        counts["errors"] += bool(refusal)
        rows.append(
            (
                run.pk,
                drift.account_id,
                drift.username,
                drift.dn,
                drift.missing,
                list(drift.attributes),
                drift.lock,
                drift.failure_locked,
                fixed,
                refusal,
            )
        )
    with transaction.atomic():
        _advance(run, cursor=accounts[-1].username, counts=counts)
        insert_values(
            ReconcileFinding,
            [
                "run_id",
                "account_id",
                "username",
                "dn",
                "missing",
                "attributes",
                "lock",
                "failure_locked",
                "fixed",
                "error",
            ],
            rows,
        )


def _advance(run: ReconcileRun, *, cursor: str, **fields) -> None:
    """Save the run's progress, unless another reconcile moved it meanwhile.

    The update is conditional on the cursor this process last saved: of two
    reconciles working on one run (an operator's beside the timer's), the
    second to save finds it changed, and stops with `directory.reconcile_running`
    with its chunk rolled back, so nothing is counted twice.
    """
    saved = ReconcileRun.objects.filter(
        pk=run.pk, cursor=run.cursor, finished_at__isnull=True
    ).update(cursor=cursor, **fields)
    if saved != 1:
        raise error("directory.reconcile_running")
    run.cursor = cursor
    for name, value in fields.items():
        setattr(run, name, value)


def _scan(conn) -> tuple[int, list[str]]:
    """Page through the people base's entries: how many, and the DNs of unknown ones."""
    entries, unknown = 0, []
    cookie = None
    base = settings.LDAP_BASE_DN
    while True:
        try:
            ok = conn.search(
                base,
                "(objectClass=*)",
                LEVEL,
                attributes=["uid"],
                paged_size=settings.LDAP_PAGE_SIZE,
                paged_cookie=cookie,
            )
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        result = conn.result
        if not ok and result.get("result") not in (0, NO_SUCH_OBJECT):
            raise DirectoryUnavailable(f"search refused: {result.get('description')}")
        page = [
            (entry["dn"], entry.get("attributes", {}).get("uid") or [])
            for entry in conn.response or []
            if entry.get("type") == "searchResEntry"
        ]
        entries += len(page)
        unknown += _unknown(page)
        control = (result.get("controls") or {}).get(PAGED_RESULTS) or {}
        cookie = (control.get("value") or {}).get("cookie")
        if not cookie:
            return entries, unknown


def _unknown(page: list[tuple[str, list[str]]]) -> list[str]:
    """The DNs in one page whose uid is no Kleidi username (or that have no uid)."""
    uids = {str(uid).lower() for _, values in page for uid in values}
    known = {
        username.lower()
        for username in Account.objects.filter(username__in=uids).values_list("username", flat=True)
    }
    return [dn for dn, values in page if not any(str(v).lower() in known for v in values)]


def _finish(run: ReconcileRun, entries: int, unknown: list[str]) -> ReconcileRun:
    with transaction.atomic():
        counts = {**run.counts, "entries": entries, "unknown_entries": len(unknown)}
        _advance(
            run,
            cursor=run.cursor,
            counts=counts,
            unknown_entries=unknown,
            finished_at=timezone.now(),
        )
        record(
            "directory.reconciled",
            details={"run": run.pk, "fix": run.fix, "resumed": run.resumed, **run.counts},
        )
    return run


def _findings(run: ReconcileRun):
    return ReconcileFinding.objects.filter(run=run).order_by("username").iterator(chunk_size=2000)


def _finding_json(finding: ReconcileFinding) -> dict:
    return {
        "username": finding.username,
        "dn": finding.dn,
        "missing": finding.missing,
        "attributes": list(finding.attributes),
        "lock": finding.lock,
        "failure_locked": finding.failure_locked,
        "fixed": finding.fixed,
        "error": finding.error,
    }
