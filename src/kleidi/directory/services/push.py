"""The helpdesk's "push now": converge one account's entry in the request (R28, issue 11 §5).

It runs the queue's own convergence (`sync.converge_now`), so a push and the
worker can never disagree about what the entry should hold; the audit event
says what differed before the push, or why it did not get through. A push
that fails leaves a change row behind, so the worker keeps retrying it with
its backoff: the helpdesk's request is never lost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from kleidi.audit.services import record
from kleidi.directory import sync
from kleidi.directory.connection import DirectoryUnavailable
from kleidi.directory.converge import EntryRefused
from kleidi.directory.services.queue import queue_accounts
from kleidi.errors import error

ACTION = "directory.pushed"
REFUSAL_CHARS = 200


def push_now(account, *, actor, client_ip=None):
    """Converge `account`'s entry now; returns the `Drift` found (and fixed).

    Raises `directory.disabled` when the connector is off, `directory.unavailable`
    when no server answers, `directory.refused` when the server refused the
    change to this entry.
    """
    if not settings.LDAP_ENABLED:
        raise error("directory.disabled")
    audit = {"actor": actor, "client_ip": client_ip, "target": account, "school": account.school}
    try:
        outcome = sync.converge_now([account.pk]).get(account.pk)
    except DirectoryUnavailable:
        _failed(account, audit, {"error": "directory.unavailable"})
        raise error("directory.unavailable") from None
    if outcome is None:
        # A worker is converging it right now; it is queued once more behind that.
        raise error("directory.busy", username=account.username)
    if isinstance(outcome, EntryRefused):
        refusal = str(outcome)[:REFUSAL_CHARS]
        _failed(account, audit, {"error": "directory.refused", "result": refusal})
        raise error("directory.refused", result=refusal)
    with transaction.atomic():
        record(ACTION, details=_details(outcome), **audit)
    return outcome


def _details(drift) -> dict:
    return {
        "in_sync": drift.in_sync,
        "missing": drift.missing,
        "attributes": list(drift.attributes),
        "lock": drift.lock,
        "failure_locked": drift.failure_locked,
    }


def _failed(account, audit: dict, details: dict) -> None:
    with transaction.atomic():
        queue_accounts([account.pk], ACTION)
        record(ACTION, details=details, **audit)
