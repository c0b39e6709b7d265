"""Every record of a feed in one situation, before anything changes (docs/registry.md).

`classify` reads the database in a handful of bulk queries per run, never
one per record: the schools; the undergraduate affiliations of the schools
in scope with their people's fields (one query); their accounts (one query);
the correlation of the records nobody knows yet (`people.correlation`, a
fixed number of queries per school); the usernames (`registry.usernames`,
two queries). A known student whose feed values equal what Kleidi holds is
`unchanged` after plain comparisons, so an unchanged re-run of 40,000
records costs those few queries and no writes.

It writes nothing: `services.preview_feed` reports its result,
`services.import_feed` hands it to `apply`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.errors import message
from kleidi.people.correlation import Identity, correlate, registration_key
from kleidi.people.models import (
    AdmissionRoute,
    Affiliation,
    AffiliationKind,
    AffiliationStatus,
    School,
)
from kleidi.registry import usernames
from kleidi.registry.records import ACTIVE, GRADUATED, LEFT, Feed, FeedRecord
from kleidi.sheets.validation.result import error_entry, render
from kleidi.text import match_key

CREATE = "create"
UPDATE = "update"
GRADUATE = "graduate"
UNCHANGED = "unchanged"
WAITING_EMAIL = "waiting_email"
HELD = "held"
DISPUTED = "disputed"
MISSING = "missing"
ERROR = "error"
SITUATIONS = (
    CREATE,
    UPDATE,
    GRADUATE,
    UNCHANGED,
    WAITING_EMAIL,
    HELD,
    DISPUTED,
    MISSING,
    ERROR,
)
REVIEWED = (HELD, DISPUTED)

# The SIS column (docs/registry.md, "The feed") of the values the import itself checks.
COLUMNS = {
    "registration_number": "registrationID",
    "department_id": "departmentID",
    "login_name": "loginName",
}
# Person fields the feed keeps up to date (R2), compared one by one.
PERSON_FIELDS = (
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "latin_surname",
    "mobile",
    "external_email",
)
# Blank in the feed means "not recorded there": it never erases what Kleidi holds.
_KNOWN = (
    "pk",
    "school_id",
    "registration_number",
    "status",
    "person_id",
    *(f"person__{name}" for name in PERSON_FIELDS),
    "person__surname_key",
    "person__given_name_key",
)
_ACCOUNT_STATES_IN_USE = (AccountState.PENDING, AccountState.ACTIVE, AccountState.EXPIRED)

Progress = Callable[[int, int], None]


@dataclass
class Known:
    """A known undergraduate affiliation with its person's fields, as one query reads it."""

    affiliation_id: int
    school_id: int
    registration_number: str
    status: str
    person_id: int
    person: dict[str, str]
    surname_key: str
    given_name_key: str
    account: tuple[int, str, str] | None = None  # (pk, username, state)


@dataclass
class Outcome:
    """What the import does (or did) with one record, or with one missing student."""

    situation: str
    record: FeedRecord | None = None
    school: School | None = None
    school_code: str = ""
    registration_number: str = ""
    username: str = ""
    changes: dict[str, dict] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    reason: dict | None = None  # {"code", "params"}: why held, disputed or waiting
    retire_on: dt.date | None = None
    # The plan apply carries out.
    known: Known | None = None
    person_id: int | None = None  # a correlated person (create) or the known one
    person_changes: dict[str, str] = field(default_factory=dict)
    candidates: list[int] = field(default_factory=list)
    graduate: bool = False  # the affiliation is to be declared graduated
    retire: bool = False  # the account is to be retired now

    @property
    def review(self) -> bool:
        return self.situation in REVIEWED

    def reason_json(self) -> dict | None:
        if self.reason is None:
            return None
        return {
            "code": self.reason["code"],
            "message": message(self.reason["code"], self.reason["params"]),
            "params": self.reason["params"],
        }

    def as_json(self) -> dict:
        return {
            "record": self.record.number if self.record is not None else None,
            "school": self.school_code,
            "registration_number": self.registration_number,
            "situation": self.situation,
            "username": self.username,
            "changes": self.changes,
            "errors": [
                {
                    "field": entry["column"],
                    "code": entry["code"],
                    "message": render(entry),
                    "value": entry["value"],
                    "params": entry["params"],
                }
                for entry in self.errors
            ],
            "review": self.review,
            "reason": self.reason_json(),
            "retire_on": self.retire_on.isoformat() if self.retire_on else None,
        }


@dataclass
class Classified:
    """Every outcome (feed records in order, then the missing), and the missing share."""

    outcomes: list[Outcome]
    records: int
    known_active: int
    schools: list[School]

    @property
    def missing(self) -> int:
        return sum(1 for o in self.outcomes if o.situation == MISSING)


def json_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def record_json(record: FeedRecord) -> dict:
    """The record's cleaned values, JSON-ready (for the review queue and its handler)."""
    return {name: json_value(value) for name, value in record.values.items()}


def find_school(schools: list[School]) -> Callable[[str], School | None]:
    """departmentID → School: its `registry_id`, else its `code` (docs/registry.md)."""
    by_registry = {s.registry_id.strip().lower(): s for s in schools if s.registry_id}
    by_code = {s.code.lower(): s for s in schools}

    def lookup(department: str) -> School | None:
        key = (department or "").strip().lower()
        if not key:
            return None
        return by_registry.get(key) or by_code.get(key)

    return lookup


def load_known(schools: list[School]) -> dict[tuple[int, str], Known]:
    """The undergraduate affiliations of the schools in scope, by (school, registration key).

    Two queries whatever the number of students.
    """
    known: dict[tuple[int, str], Known] = {}
    by_affiliation: dict[int, Known] = {}
    rows = (
        Affiliation.objects.filter(kind=AffiliationKind.UNDERGRADUATE, school__in=schools)
        .exclude(registration_number="")
        .values_list(*_KNOWN)
    )
    width = len(PERSON_FIELDS)
    for row in rows.iterator(chunk_size=5_000):
        pk, school_id, number, status, person_id = row[:5]
        item = Known(
            affiliation_id=pk,
            school_id=school_id,
            registration_number=number,
            status=status,
            person_id=person_id,
            person=dict(zip(PERSON_FIELDS, row[5 : 5 + width], strict=True)),
            surname_key=row[5 + width],
            given_name_key=row[6 + width],
        )
        known[(school_id, registration_key(number))] = item
        by_affiliation[pk] = item
    accounts = (
        Account.objects.filter(kind=AccountKind.UNDERGRADUATE, school__in=schools)
        .exclude(affiliation=None)
        .values_list("affiliation_id", "pk", "username", "state")
        .order_by("pk")
    )
    for affiliation_id, pk, username, state in accounts.iterator(chunk_size=5_000):
        item = by_affiliation.get(affiliation_id)
        # The newest account of an affiliation is the one in use.
        if item is not None:
            item.account = (pk, username, state)
    return known


def classify(
    feed: Feed,
    *,
    today: dt.date,
    schools: list[School] | None = None,
    progress: Progress | None = None,
) -> Classified:
    """Put every record of the feed (in scope) and every missing student in one situation."""
    every_school = list(School.objects.all())
    scope = list(schools) if schools else every_school
    scope_ids = {s.pk for s in scope}
    lookup = find_school(every_school)
    known = load_known(scope)
    grace = dt.timedelta(days=settings.REGISTRY_GRADUATION_GRACE_DAYS)

    outcomes: list[Outcome] = []
    seen: dict[tuple[int, str], list[Outcome]] = defaultdict(list)
    unknown: list[Outcome] = []
    total = len(feed.records)
    step = max(1, total // 100)
    for index, record in enumerate(feed.records, 1):
        school = lookup(record.department_id)
        if schools and (school is None or school.pk not in scope_ids):
            continue  # a per-school run: other schools' records are not its business
        outcome = Outcome(
            situation=ERROR,
            record=record,
            school=school,
            school_code=school.code if school else record.department_id,
            registration_number=record.registration_number,
            errors=list(record.errors),
        )
        outcomes.append(outcome)
        if school is None:
            outcome.errors.append(
                error_entry(
                    record.number,
                    COLUMNS["department_id"],
                    "registry.unknown_school",
                    {"department": record.department_id},
                    record.department_id,
                )
            )
        if school is not None and record.registration_number:
            key = (school.pk, registration_key(record.registration_number))
            seen[key].append(outcome)
        if not outcome.errors:
            item = known.get((school.pk, registration_key(record.registration_number)))
            if item is None:
                unknown.append(outcome)
            else:
                _classify_known(outcome, record, item, today=today, grace=grace)
        if progress and (index % step == 0 or index == total):
            progress(index, total)

    _duplicates(seen)
    _classify_unknown([o for o in unknown if not o.errors])
    _usernames([o for o in outcomes if o.situation == CREATE], every_school)

    feed_keys = set(seen)
    known_active = 0
    missing: list[Outcome] = []
    by_school = {s.pk: s for s in scope}
    for key, item in known.items():
        if item.status != AffiliationStatus.ACTIVE:
            continue
        known_active += 1
        if key not in feed_keys:
            school = by_school[item.school_id]
            missing.append(
                Outcome(
                    situation=MISSING,
                    school=school,
                    school_code=school.code,
                    registration_number=item.registration_number,
                    username=item.account[1] if item.account else "",
                    known=item,
                    person_id=item.person_id,
                )
            )
    missing.sort(key=lambda o: (o.school_code, o.registration_number))
    return Classified(
        outcomes=outcomes + missing,
        records=len(outcomes),
        known_active=known_active,
        schools=scope,
    )


def _duplicates(seen: dict[tuple[int, str], list[Outcome]]) -> None:
    """R18 as the sheets say it: one registration number twice in a feed errs on both."""
    for group in seen.values():
        if len(group) < 2:
            continue
        rows = ", ".join(str(o.record.number) for o in group)
        for outcome in group:
            if any(e["code"] == "row.duplicate" for e in outcome.errors):
                continue
            outcome.errors.append(
                error_entry(
                    outcome.record.number,
                    COLUMNS["registration_number"],
                    "row.duplicate",
                    {"value": outcome.registration_number, "rows": rows},
                    outcome.registration_number,
                )
            )
            _to_error(outcome)


def _to_error(outcome: Outcome) -> None:
    outcome.situation = ERROR
    outcome.username = ""
    outcome.changes, outcome.person_changes, outcome.reason = {}, {}, None
    outcome.graduate = outcome.retire = False
    outcome.retire_on = None


def _names_differ(record: FeedRecord, item: Known) -> bool:
    """Other names: neither the surname nor the given name agree (accents and case aside)."""
    if (
        record.values.get("surname") == item.person["surname"]
        or record.values.get("given_name") == item.person["given_name"]
    ):
        return False
    return (
        match_key(str(record.values.get("surname") or "")) != item.surname_key
        and match_key(str(record.values.get("given_name") or "")) != item.given_name_key
    )


def person_changes(record: FeedRecord, current: dict[str, str]) -> dict[str, str]:
    """The person fields whose feed value differs from Kleidi's (blank never erases)."""
    changes = {}
    for name in PERSON_FIELDS:
        value = record.values.get(name) or ""
        if name == "external_email" and record.email_code:
            continue
        if value and value != current[name]:
            changes[name] = value
    return changes


def _classify_known(
    outcome: Outcome, record: FeedRecord, item: Known, *, today: dt.date, grace: dt.timedelta
) -> None:
    outcome.known = item
    outcome.person_id = item.person_id
    outcome.candidates = [item.person_id]  # the one person a review may link the record to
    account = item.account
    outcome.username = account[1] if account else ""
    status = record.values.get("status")
    if _names_differ(record, item):
        outcome.situation = DISPUTED
        outcome.reason = {
            "code": "registry.names_differ",
            "params": {
                "registration_number": item.registration_number,
                "person": f"{item.person['surname']} {item.person['given_name']}",
            },
        }
        return
    if status == GRADUATED:
        _classify_graduate(outcome, record, item, today=today, grace=grace)
        return
    if status == LEFT:
        in_use = item.status == AffiliationStatus.ACTIVE and (
            account is not None and account[2] in _ACCOUNT_STATES_IN_USE
        )
        if in_use:
            outcome.situation = HELD
            outcome.reason = {"code": "registry.left", "params": {"username": account[1]}}
        else:
            outcome.situation = UNCHANGED
        return
    # ACTIVE
    if item.status == AffiliationStatus.GRADUATED:
        outcome.situation = HELD
        outcome.reason = {"code": "registry.graduated_active", "params": {}}
        return
    changes = person_changes(record, item.person)
    if account is None:
        # Known affiliation without an account: it is created now, if it may be.
        _classify_new(outcome, record)
        outcome.person_changes = changes
        return
    if changes:
        outcome.situation = UPDATE
        outcome.person_changes = changes
        outcome.changes = {
            name: {"before": item.person[name], "after": value} for name, value in changes.items()
        }
    else:
        outcome.situation = UNCHANGED


def _classify_graduate(
    outcome: Outcome, record: FeedRecord, item: Known, *, today: dt.date, grace: dt.timedelta
) -> None:
    """R6: graduated at once; the account retired once status_date + grace ≤ today."""
    on = record.values.get("status_date") or today
    account = item.account
    retire_on = on + grace
    live = account is not None and account[2] != AccountState.RETIRED
    changes = {}
    if item.status != AffiliationStatus.GRADUATED:
        outcome.graduate = True
        changes["status"] = {"before": item.status, "after": AffiliationStatus.GRADUATED.value}
        changes["end_date"] = {"before": None, "after": on.isoformat()}
    if live:
        outcome.retire_on = retire_on
        if retire_on <= today:
            outcome.retire = True
            changes["account"] = {"before": account[2], "after": AccountState.RETIRED.value}
    outcome.changes = changes
    outcome.situation = GRADUATE if (outcome.graduate or outcome.retire) else UNCHANGED


def _classify_new(outcome: Outcome, record: FeedRecord) -> None:
    """An active record Kleidi cannot create yet, or a `create` (usernames come later)."""
    if record.email_code:
        outcome.situation = WAITING_EMAIL
        outcome.reason = {"code": record.email_code, "params": dict(record.email_params)}
    elif record.values.get("admission_route") != AdmissionRoute.NATIONAL_EXAMS:
        outcome.situation = HELD
        outcome.reason = {
            "code": "registry.admission_route",
            "params": {"route": _route_label(record.values.get("admission_route"))},
        }
    else:
        outcome.situation = CREATE


def _route_label(route) -> str:
    """The admission route as the member's language names it («μετεγγραφή»), for the reason."""
    if route in AdmissionRoute.values:
        return str(AdmissionRoute(route).label)
    return str(route or "")


def _classify_unknown(outcomes: list[Outcome]) -> None:
    """Records nobody knows by registration number: correlate them (R16), then decide."""
    active = []
    for outcome in outcomes:
        status = outcome.record.values.get("status")
        if status != ACTIVE:
            outcome.situation = UNCHANGED  # a leaver Kleidi never knew: nothing to do
            continue
        _classify_new(outcome, outcome.record)
        if outcome.situation in (CREATE, HELD):
            active.append(outcome)
    by_school: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in active:
        by_school[outcome.school.pk].append(outcome)
    for group in by_school.values():
        identities = [_identity(i, o.record) for i, o in enumerate(group)]
        matches = correlate(identities, group[0].school)
        for i, outcome in enumerate(group):
            _weigh(outcome, matches[i])


def _identity(key: int, record: FeedRecord) -> Identity:
    v = record.values
    return Identity(
        key=key,
        registration_number=record.registration_number,
        email="" if record.email_code else str(v.get("external_email") or ""),
        mobile=str(v.get("mobile") or ""),
        surname=str(v.get("surname") or ""),
        given_name=str(v.get("given_name") or ""),
        father_name=str(v.get("father_name") or ""),
        mother_name=str(v.get("mother_name") or ""),
    )


def _weigh(outcome: Outcome, match) -> None:
    """R16's answer for one record: disputed, held beside a live account, or linked."""
    if match.possible or match.affiliation is not None:
        outcome.situation = DISPUTED
        outcome.reason = {"code": "registry.several_people", "params": {}}
        people = ([match.person] if match.person else []) + list(match.possible)
        outcome.candidates = list(dict.fromkeys(p.pk for p in people))
        return
    person = match.person
    if person is None:
        return
    outcome.candidates = [person.pk]
    live = [
        a
        for a in person.accounts.all()
        if a.kind == AccountKind.UNDERGRADUATE and a.state != AccountState.RETIRED
    ]
    if live:
        outcome.situation = HELD
        outcome.reason = {
            "code": "registry.other_undergraduate",
            "params": {"username": live[0].username},
        }
        return
    if outcome.situation == CREATE:
        outcome.person_id = person.pk
        current = {name: getattr(person, name) for name in PERSON_FIELDS}
        outcome.person_changes = person_changes(outcome.record, current)


def _usernames(creates: list[Outcome], every_school: list[School]) -> None:
    """R5: the new accounts' names, in record order (registry.usernames)."""
    wanted = [
        usernames.Wanted(
            key=i,
            prefix=o.school.undergraduate_prefix,
            registration_number=o.registration_number,
            login_name=str(o.record.values.get("login_name") or ""),
        )
        for i, o in enumerate(creates)
    ]
    names = usernames.assign(wanted, prefixes=[s.undergraduate_prefix for s in every_school])
    for i, outcome in enumerate(creates):
        name = names[i]
        if isinstance(name, usernames.Refused):
            outcome.errors.append(
                error_entry(
                    outcome.record.number,
                    COLUMNS["login_name"],
                    name.code,
                    name.params,
                    str(outcome.record.values.get("login_name") or ""),
                )
            )
            _to_error(outcome)
        else:
            outcome.username = name
