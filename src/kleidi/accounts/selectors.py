"""Reading accounts, and the school scope of staff (R8, §6)."""

import datetime as dt

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kleidi.accounts.models import Account, AccountKind, AccountState, StaffRole
from kleidi.people.models import School


def schools_for(staff: Account) -> QuerySet[School]:
    """The schools a staff account acts for: every school for the helpdesk."""
    if not staff.is_authenticated or not staff.is_staff:
        return School.objects.none()
    if staff.role == StaffRole.HELPDESK:
        return School.objects.all()
    return School.objects.filter(secretariat__account=staff)


def can_act_for_school(staff: Account, school: School) -> bool:
    """R8: a secretariat acts for its own school only; the helpdesk for all."""
    return schools_for(staff).filter(pk=school.pk).exists()


def is_helpdesk(staff: Account) -> bool:
    return staff.is_authenticated and staff.is_staff and staff.role == StaffRole.HELPDESK


# The dashboard's figures (issue 12 §1) and the console filters its links open
# (kleidi.console.filters) read the same conditions from here, so the number a
# link shows is the number of rows the list it opens holds. `schools` is the
# viewer's scope: None for the helpdesk (every account, staff accounts without
# a school too, as its account list shows them), else a School queryset.

# An account still in use: it can sign in, or will once its link is used.
USABLE = (AccountState.ACTIVE, AccountState.PENDING)


def in_scope(schools: QuerySet[School] | None) -> QuerySet[Account]:
    accounts = Account.objects.all()
    return accounts if schools is None else accounts.filter(school__in=schools)


def effective_state(now: dt.datetime) -> Case:
    """`Account.effective_state` in SQL (R21): active or pending past expiry is expired."""
    past_expiry = Q(state__in=USABLE, expires_at__isnull=False, expires_at__lte=now)
    return Case(
        When(past_expiry, then=Value(AccountState.EXPIRED)),
        default=F("state"),
        output_field=CharField(),
    )


def filter_effective_state(accounts: QuerySet[Account], state: str, now: dt.datetime):
    return accounts.alias(effective=effective_state(now)).filter(effective=state)


def counts_by_state(schools: QuerySet[School] | None, now: dt.datetime) -> dict[str, int]:
    """{state: n} by effective state, every state present (one query)."""
    rows = (
        in_scope(schools)
        .annotate(effective=effective_state(now))
        .values("effective")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {row["effective"]: row["n"] for row in rows}
    return {state: found.get(state, 0) for state in AccountState.values}


def counts_by_kind(schools: QuerySet[School] | None) -> dict[str, int]:
    """{kind: n}, every kind present (one query)."""
    rows = in_scope(schools).values("kind").annotate(n=Count("pk")).order_by()
    found = {row["kind"]: row["n"] for row in rows}
    return {kind: found.get(kind, 0) for kind in AccountKind.values}


def expiring_within(accounts: QuerySet[Account], days: int, now: dt.datetime):
    """Usable accounts whose expiry comes within `days` days from now."""
    return accounts.filter(
        state__in=USABLE, expires_at__gt=now, expires_at__lte=now + dt.timedelta(days=days)
    )


def expiring_counts(
    schools: QuerySet[School] | None, days: tuple[int, ...], now: dt.datetime
) -> dict[int, int]:
    """{days: n} of usable accounts expiring within each window (one query)."""
    usable = Q(state__in=USABLE, expires_at__gt=now)
    counts = in_scope(schools).aggregate(
        **{
            f"d{d}": Count("pk", filter=usable & Q(expires_at__lte=now + dt.timedelta(days=d)))
            for d in days
        }
    )
    return {d: counts[f"d{d}"] for d in days}


def month_start(day: dt.date) -> dt.datetime:
    """Midnight of the first of `day`'s month, Europe/Athens."""
    return dt.datetime(day.year, day.month, 1, tzinfo=timezone.get_default_timezone())


def next_month(start: dt.datetime) -> dt.datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)


# R14 stores the expiry of end date D as D+1 00:00 (`end_of_day`): an account counts in the
# month of its last usable moment, so an expiry exactly at a month's first midnight belongs to
# the month before (a programme ending 31/12 is a December expiry, not a January one).
LAST_MOMENT = dt.timedelta(microseconds=1)


def expiring_in_month(accounts: QuerySet[Account], start: dt.datetime, now: dt.datetime):
    """Usable accounts still to expire whose last usable moment falls in the month from `start`."""
    return accounts.filter(
        Q(expires_at__gt=now),
        Q(expires_at__gt=start),
        state__in=USABLE,
        expires_at__lte=next_month(start),
    )


def expiries_by_month(
    schools: QuerySet[School] | None, months: int, now: dt.datetime
) -> list[tuple[dt.datetime, int]]:
    """[(month start, n)] for this month and the next `months - 1` (Europe/Athens; one query)."""
    athens = timezone.get_default_timezone()
    starts = [month_start(timezone.localtime(now, athens).date())]
    while len(starts) < months:
        starts.append(next_month(starts[-1]))
    rows = (
        in_scope(schools)
        .filter(state__in=USABLE, expires_at__gt=now, expires_at__lte=next_month(starts[-1]))
        .annotate(month=TruncMonth(F("expires_at") - LAST_MOMENT, tzinfo=athens))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {
        (m.year, m.month): n
        for m, n in ((timezone.localtime(r["month"], athens), r["n"]) for r in rows)
    }
    return [(start, found.get((start.year, start.month), 0)) for start in starts]


def pending_over(accounts: QuerySet[Account], days: int, now: dt.datetime):
    """Accounts still pending (not past expiry) whose link went out more than `days` days ago."""
    return filter_effective_state(accounts, AccountState.PENDING, now).filter(
        state_changed_at__lte=now - dt.timedelta(days=days)
    )


def pending_over_count(schools: QuerySet[School] | None, days: int, now: dt.datetime) -> int:
    return pending_over(in_scope(schools), days, now).count()


def staff_accounts() -> QuerySet[Account]:
    """Every account with a staff role, its person and its schools (the console's Staff page)."""
    return (
        Account.objects.exclude(role=StaffRole.NONE)
        .select_related("person")
        .prefetch_related("memberships__school")
        .order_by("role", "username")
    )
