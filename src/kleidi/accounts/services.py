"""The account service: the only writer of account state (R22).

Each function validates the transition, writes the change, appends its audit
event (R29) and, where the member must be told, its outbox message (R30), all
in one transaction. Views, commands, the admin and the sheets call these.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts import usernames
from kleidi.accounts.models import (
    RENEWABLE_KINDS,
    Account,
    AccountKind,
    AccountState,
    SecretariatMembership,
    StaffRole,
)
from kleidi.accounts.signals import account_changed, welcome_due
from kleidi.audit.services import build_event, record, record_many
from kleidi.errors import error
from kleidi.notifications.services import queue_message
from kleidi.people.models import Affiliation, Person, School

S = AccountState

# R22: which states each state may move to. Retired is final (R6).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.EXPIRED, S.DISABLED, S.RETIRED}),
    S.ACTIVE: frozenset({S.EXPIRED, S.DISABLED, S.RETIRED, S.PENDING}),
    S.EXPIRED: frozenset({S.ACTIVE, S.PENDING, S.DISABLED, S.RETIRED}),
    S.DISABLED: frozenset({S.ACTIVE, S.PENDING, S.EXPIRED, S.RETIRED}),
    S.RETIRED: frozenset(),
}


def end_of_day(day: dt.date) -> dt.datetime:
    """R14: an account given a date expires at the end of that day, in settings.TIME_ZONE.

    The institution's zone (Europe/Athens), never the zone a request activated.
    """
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def local_today() -> dt.date:
    """Today in the institution's zone (settings.TIME_ZONE)."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def _transition(
    account: Account,
    new_state: str,
    action: str,
    *,
    actor=None,
    client_ip=None,
    details: dict | None = None,
    extra_fields: tuple[str, ...] = (),
) -> Account:
    old_state = account.state
    if account.state == S.RETIRED:
        raise error("account.retired", username=account.username)
    if new_state != old_state and new_state not in TRANSITIONS[old_state]:
        raise error("account.transition", username=account.username, old=old_state, new=new_state)
    account.state = new_state
    account.state_changed_at = timezone.now()
    account.save(update_fields=["state", "state_changed_at", *extra_fields])
    record(
        action,
        actor=actor,
        client_ip=client_ip,
        target=account,
        school=account.school,
        details={"from": old_state, "to": new_state, **(details or {})},
    )
    account_changed.send(sender=Account, account=account, action=action)
    return account


def _locked(account: Account) -> Account:
    """Re-read the account under a row lock so concurrent changes serialise."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins.
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("person", "school")
        .get(pk=account.pk)
    )


@dataclass(frozen=True)
class NewAccount:
    """What a new account needs; `create_accounts` makes many at once."""

    username: str
    kind: str
    person: Person | None = None
    affiliation: Affiliation | None = None
    school: School | None = None
    expires_at: dt.datetime | None = None
    role: str = ""


def create_account(
    *,
    username: str,
    kind: str,
    person=None,
    affiliation=None,
    school=None,
    expires_at: dt.datetime | None = None,
    role: str = "",
    actor=None,
    client_ip: str | None = None,
    welcome: bool = True,
) -> Account:
    """Create a pending account and send its welcome (R3, R5, R7, R11)."""
    spec = NewAccount(username, kind, person, affiliation, school, expires_at, role)
    return create_accounts([spec], actor=actor, client_ip=client_ip, welcome=welcome)[0]


@transaction.atomic
def create_accounts(
    specs: list[NewAccount], *, actor=None, client_ip: str | None = None, welcome: bool = True
) -> list[Account]:
    """Create pending accounts with one INSERT each for accounts and audit events.

    Every username passes the whole policy (R5, R7, R11) first, the taken check
    in one query; then each account is audited and announced, and those whose
    person has an external email are welcomed (R3) together.
    """
    policy = usernames.username_policy()
    names = [policy.check(spec.username, spec.kind) for spec in specs]
    already = usernames.taken(names)
    seen: set[str] = set()
    for name in names:
        if name in already or name in seen:
            raise error("username.taken", value=name)
        seen.add(name)
    accounts = []
    for spec, name in zip(specs, names, strict=True):
        school = spec.school or (spec.affiliation.school if spec.affiliation else None)
        account = Account(
            username=name,
            kind=spec.kind,
            person=spec.person,
            affiliation=spec.affiliation,
            school=school,
            expires_at=spec.expires_at,
            role=spec.role,
            state=S.PENDING,
        )
        account.set_unusable_password()
        accounts.append(account)
    accounts = Account.objects.bulk_create(accounts, batch_size=500)
    record_many(
        [
            build_event(
                "account.created",
                actor=actor,
                client_ip=client_ip,
                target=account,
                school=account.school,
                details={
                    "kind": account.kind,
                    "expires_at": account.expires_at.isoformat() if account.expires_at else None,
                },
            )
            for account in accounts
        ]
    )
    for account in accounts:
        account_changed.send(sender=Account, account=account, action="account.created")
    to_welcome = [a for a in accounts if a.person is not None and a.person.external_email]
    if welcome and to_welcome:
        welcome_due.send(sender=Account, accounts=to_welcome, reason="created")
    return accounts


# The event each state's transition is audited as (R22, R29).
STATE_ACTIONS = {
    S.ACTIVE: "account.activated",
    S.EXPIRED: "account.expired",
    S.DISABLED: "account.disabled",
    S.RETIRED: "account.retired",
}


@transaction.atomic
def create_account_in_state(
    spec: NewAccount, *, state: str, password: str | None = None, actor=None
) -> Account:
    """An account that starts in `state` with a known password: the demo's seed.

    It is created pending like every account (R5, R7, R11, audited), without
    a welcome, then given its password and moved to `state` by an audited
    transition (R22), so the log tells how it came to be.
    """
    account = create_accounts([spec], actor=actor, welcome=False)[0]
    fields: tuple[str, ...] = ()
    if password is not None:
        account.set_password(password)
        account.password_changed_at = timezone.now()
        fields = ("password", "password_changed_at")
    if state == S.PENDING:
        if fields:
            account.save(update_fields=fields)
        return account
    return _transition(account, state, STATE_ACTIONS[state], actor=actor, extra_fields=fields)


@transaction.atomic
def create_helpdesk_operator(username: str, password: str | None) -> Account:
    """`kleidi createsuperuser` makes a helpdesk operator (the console's top role), audited.

    Its name passes the username policy like every other new name (R7).
    """
    account = Account(
        username=usernames.validate_new_username(username, AccountKind.STAFF),
        kind=AccountKind.STAFF,
        state=S.ACTIVE,
        role=StaffRole.HELPDESK,
    )
    account.set_password(password)
    account.save()
    record("account.created", target=account, details={"kind": "staff", "role": "helpdesk"})
    return account


def store_password(account: Account, password: str, *, now: dt.datetime) -> Account:
    """R26: the account's new password hash (hashed once), in the caller's transaction.

    The credentials service decides the password and does the rest of R26
    (links, mail, audit, directory); the account's row is written here.
    """
    account.set_password(password)
    account.password_changed_at = now
    account.save(update_fields=["password", "password_changed_at"])
    return account


def upgrade_password_hash(account: Account, password: str) -> None:
    """A right password under an outdated hasher is stored again under the current one.

    Django's `check_password` calls this at sign-in; the password did not
    change, so neither does `password_changed_at`.
    """
    account.set_password(password)
    account._password = None
    account.save(update_fields=["password"])


def record_sign_in(account: Account) -> None:
    """Django's `update_last_login`, done by the account's own writer."""
    account.last_login = timezone.now()
    account.save(update_fields=["last_login"])


@transaction.atomic
def add_membership(account: Account, school: School, *, actor=None, client_ip=None):
    """R8: a secretariat account acts for `school`; audited as `membership.added`."""
    membership = SecretariatMembership.objects.create(account=account, school=school)
    _record_membership("membership.added", account, school, actor, client_ip)
    return membership


@transaction.atomic
def remove_membership(membership: SecretariatMembership, *, actor=None, client_ip=None) -> None:
    """R8: the account no longer acts for the school; audited as `membership.removed`."""
    account, school = membership.account, membership.school
    membership.delete()
    _record_membership("membership.removed", account, school, actor, client_ip)


def _record_membership(action: str, account, school, actor, client_ip) -> None:
    details = {"school": school.code}
    record(action, actor=actor, client_ip=client_ip, target=account, school=school, details=details)


@transaction.atomic
def activate_account(account: Account, *, actor=None, client_ip=None) -> Account:
    """Pending → active once the member has set a password (R22)."""
    account = _locked(account)
    if account.state == S.ACTIVE:
        return account
    return _transition(account, S.ACTIVE, "account.activated", actor=actor, client_ip=client_ip)


@transaction.atomic
def expire_account(account: Account, *, actor=None, client_ip=None) -> Account:
    """R21: past its expiry date the account is expired (renewable)."""
    account = _locked(account)
    return _transition(account, S.EXPIRED, "account.expired", actor=actor, client_ip=client_ip)


@transaction.atomic
def disable_account(account: Account, *, actor, reason: str = "", client_ip=None) -> Account:
    """The helpdesk disables an account (reversible)."""
    account = _locked(account)
    return _transition(
        account,
        S.DISABLED,
        "account.disabled",
        actor=actor,
        client_ip=client_ip,
        details={"reason": reason} if reason else None,
    )


def _usable_state(account: Account) -> str:
    """The state an account returns to: expired if past expiry, else by its password."""
    if account.is_past_expiry:
        return S.EXPIRED
    return S.ACTIVE if account.has_usable_password() else S.PENDING


@transaction.atomic
def enable_account(account: Account, *, actor, client_ip=None) -> Account:
    """The helpdesk re-enables a disabled account."""
    account = _locked(account)
    if account.state != S.DISABLED:
        raise error(
            "account.transition", username=account.username, old=account.state, new=S.ACTIVE
        )
    return _transition(
        account, _usable_state(account), "account.enabled", actor=actor, client_ip=client_ip
    )


@transaction.atomic
def retire_account(account: Account, *, actor=None, reason: str = "", client_ip=None) -> Account:
    """R6: disabled for ever; never renewed, never reactivated."""
    account = _locked(account)
    return _transition(
        account,
        S.RETIRED,
        "account.retired",
        actor=actor,
        client_ip=client_ip,
        details={"reason": reason} if reason else None,
    )


def can_reactivate(account: Account) -> bool:
    """R6, R17: may this earlier account come back for its person?

    Undergraduate and retired accounts never do; a disabled one is the
    helpdesk's call (it enables the account first). Every caller asks here:
    the sheets' dry run and `reactivate_account`.
    """
    return account.kind != AccountKind.UNDERGRADUATE and account.state not in (
        S.RETIRED,
        S.DISABLED,
    )


@transaction.atomic
def reactivate_account(
    account: Account,
    *,
    expires_at: dt.datetime,
    affiliation=None,
    actor=None,
    client_ip=None,
) -> Account:
    """R17: an earlier postgraduate/PhD/other account of the same person comes back.

    It keeps its username, gets the new expiry and a new initialisation link.
    The old password stops working: the account is pending until the member
    sets a new one through the link (docs/lifecycle.md says why).
    """
    account = _locked(account)
    if not can_reactivate(account):
        raise error("account.not_reactivatable", value=account.username)
    account.expires_at = expires_at
    fields = ["expires_at", "password"]
    if affiliation is not None:
        account.affiliation = affiliation
        account.kind = affiliation.kind
        account.school = affiliation.school
        fields += ["affiliation", "kind", "school"]
    account.set_unusable_password()
    _transition(
        account,
        S.PENDING,
        "account.reactivated",
        actor=actor,
        client_ip=client_ip,
        details={"expires_at": expires_at.isoformat()},
        extra_fields=tuple(fields),
    )
    if account.person_id and account.person.external_email:
        welcome_due.send(sender=Account, accounts=[account], reason="reactivated")
    return account


def check_renewal(account: Account, new_expiry: dt.date, *, today: dt.date | None = None) -> None:
    """R20 checks, shared by the renewal sheet and any single renewal."""
    today = today or local_today()
    if account.kind not in RENEWABLE_KINDS:
        raise error("account.not_renewable", value=account.username)
    if account.state == S.RETIRED:
        raise error("account.retired", username=account.username)
    if new_expiry <= today:
        raise error("date.past", value=new_expiry.isoformat())
    limit = add_years(today, settings.RENEWAL_MAX_YEARS)
    if new_expiry > limit:
        raise error(
            "expiry.too_far", value=new_expiry.isoformat(), years=settings.RENEWAL_MAX_YEARS
        )


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def renew_account(account: Account, *, new_expiry: dt.date, actor=None, client_ip=None) -> Account:
    """R20: a new expiry date; an expired account is re-enabled; the member is told."""
    account = _locked(account)
    check_renewal(account, new_expiry)
    old_expiry = account.expires_at
    account.expires_at = end_of_day(new_expiry)
    account.last_expiry_reminder_days = None
    new_state = account.state
    if account.state == S.EXPIRED:
        new_state = S.ACTIVE if account.has_usable_password() else S.PENDING
    _transition(
        account,
        new_state,
        "account.renewed",
        actor=actor,
        client_ip=client_ip,
        details={
            "old_expiry": old_expiry.isoformat() if old_expiry else None,
            "new_expiry": account.expires_at.isoformat(),
        },
        extra_fields=("expires_at", "last_expiry_reminder_days"),
    )
    if account.email:
        queue_message(
            "renewal",
            to=account.email,
            account=account,
            context={"account": account, "expiry": new_expiry, "base_url": settings.BASE_URL},
        )
    return account


def expire_due_accounts(*, now: dt.datetime | None = None) -> list[str]:
    """R21 nightly: mark every account past its expiry as expired; return the usernames."""
    now = now or timezone.now()
    due = Account.objects.filter(
        state__in=[S.ACTIVE, S.PENDING], expires_at__isnull=False, expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        with transaction.atomic():
            account = _locked(Account(pk=pk))
            if account.state in (S.ACTIVE, S.PENDING) and account.expires_at <= now:
                _transition(account, S.EXPIRED, "account.expired")
                expired.append(account.username)
    return expired


def send_expiry_reminders(*, today: dt.date | None = None) -> list[tuple[str, int]]:
    """R21: remind members (and supervisors) 30 and 7 days before expiry, once each."""
    today = today or local_today()
    sent = []
    for days in sorted(settings.EXPIRY_REMINDER_DAYS, reverse=True):
        day_end = end_of_day(today + dt.timedelta(days=days))
        candidates = Account.objects.filter(
            state__in=[S.ACTIVE, S.PENDING],
            expires_at__gt=day_end - dt.timedelta(days=1),
            expires_at__lte=day_end,
        ).select_related("person", "affiliation")
        for account in candidates:
            if account.last_expiry_reminder_days is not None and (
                account.last_expiry_reminder_days <= days
            ):
                continue
            with transaction.atomic():
                _remind(account, days)
            sent.append((account.username, days))
    return sent


def _remind(account: Account, days: int) -> None:
    expiry_day = (account.expires_at - dt.timedelta(seconds=1)).astimezone(
        timezone.get_default_timezone()
    )
    context = {"account": account, "days": days, "expiry": expiry_day.date()}
    if account.email:
        queue_message("expiry_reminder", to=account.email, account=account, context=context)
    affiliation = account.affiliation
    if account.kind in RENEWABLE_KINDS and affiliation and affiliation.supervisor_email:
        queue_message(
            "expiry_reminder_supervisor",
            to=affiliation.supervisor_email,
            account=account,
            context={**context, "supervisor_name": affiliation.supervisor_name},
        )
    account.last_expiry_reminder_days = days
    account.save(update_fields=["last_expiry_reminder_days"])
    record(
        "account.expiry_reminder",
        target=account,
        school=account.school,
        details={"days": days},
    )
