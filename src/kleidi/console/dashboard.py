"""The console's home: the figures of issue 12 §1, for the viewer's schools.

Each figure is one query through its domain app's selectors (no query per
row or per school), and each number carries the link of the console list
that shows exactly those rows (kleidi.console.filters). The helpdesk sees
every school; a secretariat its own schools, and only the figures its
permissions open (the outbox and registry imports are the helpdesk's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kleidi.accounts import selectors as accounts
from kleidi.accounts.models import AccountKind, AccountState
from kleidi.console import charts
from kleidi.console.filters import EXPIRY_WINDOWS, month_label
from kleidi.directory import selectors as directory
from kleidi.notifications import selectors as outbox
from kleidi.notifications.models import OutboxStatus
from kleidi.registry import selectors as registry
from kleidi.sheets import selectors as sheets

MONTHS = 24
PENDING_DAYS = 7


@dataclass(frozen=True)
class Number:
    label: str
    value: int
    href: str = ""


@dataclass
class Dashboard:
    scope: str
    states: list[Number]
    states_chart: str
    kinds: list[Number]
    kinds_chart: str
    months: list[Number]
    months_chart: str
    expiring: list[Number]
    pending: Number
    outbox: list[Number] | None = None
    oldest_waiting: dt.datetime | None = None
    uploads: list | None = None
    runs: list | None = None
    directory: dict | None = None


def accounts_url(**query) -> str:
    return f"{reverse('admin:accounts_account_changelist')}?{urlencode(query)}"


def build(user, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    helpdesk = accounts.is_helpdesk(user)
    schools = None if helpdesk else accounts.schools_for(user)

    by_state = accounts.counts_by_state(schools, now)
    states = [
        Number(AccountState(s).label, n, accounts_url(effective_state=s))
        for s, n in by_state.items()
    ]
    by_kind = accounts.counts_by_kind(schools)
    kinds = [
        Number(AccountKind(k).label, n, accounts_url(kind__exact=k)) for k, n in by_kind.items()
    ]
    per_month = accounts.expiries_by_month(schools, MONTHS, now)
    months = [
        Number(month_label(start), n, accounts_url(expires_month=f"{start:%Y-%m}"))
        for start, n in per_month
    ]
    expiring = [
        Number(_("expiring within %(days)d days") % {"days": d}, n, accounts_url(expires_within=d))
        for d, n in accounts.expiring_counts(schools, EXPIRY_WINDOWS, now).items()
    ]
    pending = Number(
        _("pending for more than %(days)d days") % {"days": PENDING_DAYS},
        accounts.pending_over_count(schools, PENDING_DAYS, now),
        accounts_url(state__exact=AccountState.PENDING, pending_over=PENDING_DAYS),
    )
    board = Dashboard(
        scope=_("all schools")
        if helpdesk
        else ", ".join(school.code for school in accounts.schools_for(user)),
        states=states,
        states_chart=charts.horizontal(
            "chart-states",
            _("Accounts by state"),
            [
                charts.Bar(n.label, n.value, tone=f"state-{s}")
                for n, s in zip(states, by_state, strict=True)
            ],
        ),
        kinds=kinds,
        kinds_chart=charts.horizontal(
            "chart-kinds", _("Accounts by kind"), [charts.Bar(n.label, n.value) for n in kinds]
        ),
        months=months,
        months_chart=charts.vertical(
            "chart-months",
            _("Expiries per month, the next %(months)d months") % {"months": MONTHS},
            [
                charts.Bar(
                    formats.date_format(start, "b"),
                    n,
                    sublabel=f"{start:%Y}" if start.month == 1 or i == 0 else "",
                )
                for i, (start, n) in enumerate(per_month)
            ],
        ),
        expiring=expiring,
        pending=pending,
    )
    if user.has_perm("notifications.view_outboxmessage"):
        counts = outbox.unsent_counts()
        url = reverse("admin:notifications_outboxmessage_changelist")
        labels = {
            OutboxStatus.PENDING: _("messages waiting to be sent"),
            OutboxStatus.SENDING: _("messages being sent"),
            OutboxStatus.FAILED: _("messages failed"),
        }
        board.outbox = [
            Number(labels[s], counts[s], f"{url}?{urlencode({'status__exact': s})}")
            for s in outbox.UNSENT
        ]
        board.oldest_waiting = counts["oldest_waiting"]
    if user.has_perm("sheets.view_sheetupload"):
        board.uploads = sheets.recent_uploads(schools)
    if user.has_perm("registry.view_registryrun"):
        board.runs = registry.recent_runs()
    if settings.LDAP_ENABLED:
        board.directory = _directory(schools, helpdesk, now)
    return board


def _directory(schools, helpdesk: bool, now: dt.datetime) -> dict:
    labels = {
        directory.FAILING: _("failing"),
        directory.PENDING: _("changes pending"),
        directory.NEVER: _("never synced"),
        directory.IN_SYNC: _("in sync"),
    }
    counts = directory.state_counts(accounts.in_scope(schools))
    section = {
        "states": [
            Number(labels[key], counts[key], accounts_url(directory=key))
            for key in (directory.FAILING, directory.PENDING, directory.NEVER, directory.IN_SYNC)
        ]
    }
    if helpdesk:
        backlog = directory.backlog(now)
        section["changes"] = backlog["pending_changes"]
        section["oldest"] = (
            dt.datetime.fromisoformat(backlog["oldest_pending_at"])
            if backlog["oldest_pending_at"]
            else None
        )
        section["reconcile"] = _drift(backlog["reconcile"])
    return section


def _drift(run: dict | None) -> dict | None:
    """The latest reconcile's findings: what the directory holds that Kleidi does not say."""
    if run is None:
        return None
    labels = {
        "missing": _("entries missing"),
        "attribute_drift": _("attributes differ"),
        "lock_drift": _("lock differs"),
        "unknown_entries": _("entries Kleidi does not know"),
        "fixed": _("fixed"),
        "errors": _("errors"),
    }
    counts = run["counts"]
    return {
        "finished_at": dt.datetime.fromisoformat(run["finished_at"]),
        "fix": run["fix"],
        "accounts": counts.get("accounts", 0),
        "findings": [Number(label, counts.get(key, 0)) for key, label in labels.items()],
    }
