"""The account list's filters that the dashboard's numbers link to (issue 12 §1).

Each filter reads the same condition as the figure in `kleidi.accounts.selectors`,
so a number on the dashboard is the number of rows of the list it opens.
A filter shows in the sidebar only with a value it knows; a value it does not
know (a hand-edited URL) leaves the list unfiltered, as Django's own filters do.
"""

import datetime as dt

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kleidi.accounts import selectors
from kleidi.accounts.models import AccountState

EXPIRY_WINDOWS = (7, 30, 90)
PENDING_OVER = (7, 30)


def _days(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_month(value) -> dt.datetime | None:
    """`YYYY-MM` to the month's first midnight in Europe/Athens, or None."""
    try:
        day = dt.date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return None
    return selectors.month_start(day)


def month_label(start: dt.datetime) -> str:
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


class EffectiveStateFilter(admin.SimpleListFilter):
    """R21: an active or pending account past its expiry is listed as expired."""

    title = _("state (expiry counted)")
    parameter_name = "effective_state"

    def lookups(self, request, model_admin):
        return AccountState.choices

    def queryset(self, request, queryset):
        if self.value() not in AccountState.values:
            return queryset
        return selectors.filter_effective_state(queryset, self.value(), timezone.now())


class ExpiresWithinFilter(admin.SimpleListFilter):
    title = _("expires within")
    parameter_name = "expires_within"

    def lookups(self, request, model_admin):
        return [
            (str(d), ngettext("%(days)d day", "%(days)d days", d) % {"days": d})
            for d in EXPIRY_WINDOWS
        ]

    def queryset(self, request, queryset):
        days = _days(self.value())
        if days not in EXPIRY_WINDOWS:
            return queryset
        return selectors.expiring_within(queryset, days, timezone.now())


class ExpiresInMonthFilter(admin.SimpleListFilter):
    """Usable accounts expiring in one month (`?expires_month=2027-06`), the dashboard's bars."""

    title = _("expires in the month")
    parameter_name = "expires_month"

    def lookups(self, request, model_admin):
        start = parse_month(self.value())
        return [] if start is None else [(self.value(), month_label(start))]

    def queryset(self, request, queryset):
        start = parse_month(self.value())
        if start is None:
            return queryset
        return selectors.expiring_in_month(queryset, start, timezone.now())


class PendingOverFilter(admin.SimpleListFilter):
    """Still pending (no password yet, not past expiry) since more than N days."""

    title = _("pending for more than")
    parameter_name = "pending_over"

    def lookups(self, request, model_admin):
        return [
            (str(d), ngettext("%(days)d day", "%(days)d days", d) % {"days": d})
            for d in PENDING_OVER
        ]

    def queryset(self, request, queryset):
        days = _days(self.value())
        if days not in PENDING_OVER:
            return queryset
        return selectors.pending_over(queryset, days, timezone.now())
