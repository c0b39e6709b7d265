"""The dry run (R9–R18, R20): every row, every rule, no writes.

`validate` turns a read table into a Result: every error as
{row, column, code, params, value} and every row's planned outcome. Field
checks are pure; the database is asked in bulk, a fixed number of queries per
sheet (per 5,000 values of a key), never per row. Apply (R19) runs the same
function again inside its transaction and executes the plans.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from kleidi.accounts import usernames
from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.accounts.services import check_renewal, end_of_day, local_today
from kleidi.errors import message
from kleidi.people.correlation import Identity, correlate, people_by_id, registration_key
from kleidi.people.correlation import same_names as names_match
from kleidi.people.models import Affiliation, AffiliationStatus, Person, School
from kleidi.people.services import AUDITED_FIELDS
from kleidi.people.validation import clean_external_email, clean_mobile, clean_supervisor_email
from kleidi.sheets import headers
from kleidi.sheets.headers import PROVISIONING, RENEWAL
from kleidi.sheets.reader import MAX_CELL_CHARS, Table
from kleidi.text.greek import (
    lookalikes,
    suggest_usernames,
    username_contains_surname,
)

POSTGRADUATE, PHD = AccountKind.POSTGRADUATE.value, AccountKind.PHD.value
SHEET_KINDS = (POSTGRADUATE, PHD, "renewal")

CREATE, REACTIVATE, RENEW, UPDATE, UNCHANGED, ERROR = (
    "create",
    "reactivate",
    "renew",
    "update",
    "unchanged",
    "error",
)

NAME_FIELDS = ("surname", "given_name", "father_name", "mother_name", "latin_surname")
# The longest value each text column may hold: the model field's own length.
MAX_LENGTHS = {
    name: model._meta.get_field(name).max_length
    for model, names in (
        (Person, (*NAME_FIELDS, "address", "area", "postcode")),
        (Affiliation, ("registration_number", "supervisor_name")),
    )
    for name in names
}
# The person's data a sheet row carries: the fields the people service audits.
PERSON_FIELDS = AUDITED_FIELDS


@dataclass
class Plan:
    """What applying one error-free row will do."""

    row: int
    action: str
    username: str
    kind: str
    values: dict[str, str]
    end_date: dt.date
    person: Person | None = None
    account: Account | None = None
    affiliation: Affiliation | None = None
    person_changes: dict[str, str] = field(default_factory=dict)
    affiliation_changes: dict[str, object] = field(default_factory=dict)


@dataclass
class Result:
    kind: str
    rows: int = 0
    header_row: int | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, int]:
        return dict(Counter(e["code"] for e in self.errors).most_common())

    def actions(self) -> dict[str, int]:
        return dict(Counter(o["action"] for o in self.outcomes).most_common())

    def changes(self) -> int:
        return sum(1 for o in self.outcomes if o["action"] not in (UNCHANGED, ERROR))

    def as_dict(self) -> dict:
        """The stored form (messages are rendered when shown, in the reader's language)."""
        return {
            "kind": self.kind,
            "rows": self.rows,
            "header_row": self.header_row,
            "errors": self.errors,
            "warnings": self.warnings,
            "outcomes": self.outcomes,
        }


# An error keeps at most this much of the value it is about (and of each parameter):
# enough to find the cell, never a whole oversized cell in the stored result.
MAX_ERROR_VALUE = 200


def shorten(text: str) -> str:
    return text if len(text) <= MAX_ERROR_VALUE else text[: MAX_ERROR_VALUE - 1] + "…"


def error_entry(row, column, code, params=None, value="") -> dict:
    return {
        "row": row,
        "column": column,
        "code": code,
        "params": {k: shorten(str(v)) for k, v in (params or {}).items()},
        "value": shorten(value if isinstance(value, str) else str(value)),
    }


def render(entry: dict, language: str | None = None) -> str:
    return message(entry["code"], entry.get("params") or None, language)


def _code_params(exc: ValidationError) -> tuple[str, dict]:
    item = exc.error_list[0]
    params = getattr(item.message, "params", None) or item.params or {}
    return item.code or "field.required", dict(params)


# --------------------------------------------------------------------------
# Cell parsing

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date(value) -> dt.date | None:
    """A date cell, `yyyy-mm-dd` or `dd/mm/yyyy` (also with `.` or `-`); else None."""
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        if match := _ISO.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.fullmatch(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


KIND_WORDS = {
    POSTGRADUATE: (
        "postgraduate",
        "postgrad",
        "master",
        "masters",
        "msc",
        "μεταπτυχιακό",
        "μεταπτυχιακός",
        "μεταπτυχιακή",
        "μεταπτυχιακος φοιτητης",
        "δπμς",
        "πμς",
    ),
    PHD: (
        "phd",
        "doctoral",
        "doctorate",
        "διδακτορικό",
        "διδακτορικός",
        "διδακτορική",
        "διδάκτορας",
        "υποψήφιος διδάκτορας",
        "υποψήφια διδάκτορας",
        "υδ",
    ),
}
_KIND_INDEX = {
    headers.header_key(word): kind for kind, words in KIND_WORDS.items() for word in words
}


def parse_kind(value: str) -> str | None:
    return _KIND_INDEX.get(headers.header_key(value))


_HAS_LATIN = re.compile("[A-Za-z]")
_HAS_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_HAS_DIGIT = re.compile(r"\d")


def _as_text(cell) -> str:
    return cell.isoformat() if isinstance(cell, dt.date) else cell


def split_full_name(full: str, username: str) -> tuple[str, str]:
    """Split «Επώνυμο Όνομα» or «Όνομα Επώνυμο»: the username (R10) tells which is which.

    Without a hint the surname comes first, as in the registry.
    """
    words = full.split()
    if len(words) < 2:
        return full, ""
    best = None
    for cut in range(1, len(words)):
        for surname, given in (
            (words[:cut], words[cut:]),
            (words[cut:], words[:cut]),
        ):
            surname_text = " ".join(surname)
            better = best is None or len(surname_text) > len(best[0])
            if username and better and username_contains_surname(username, surname_text):
                best = (surname_text, " ".join(given))
    if best:
        return best
    return words[0], " ".join(words[1:])


# --------------------------------------------------------------------------
# The entry point


def validate(
    table: Table,
    *,
    school: School,
    kind: str,
    today: dt.date | None = None,
) -> Result:
    """R19's dry run over a whole sheet; writes nothing."""
    today = today or local_today()
    sheet_kind = RENEWAL if kind == "renewal" else PROVISIONING
    result = Result(kind=kind)
    found = headers.find_header(table.rows, sheet_kind)
    if found is None:
        result.rows = len(table.rows)
        for name in headers.HeaderMap().missing(sheet_kind):
            result.errors.append(
                error_entry(None, None, "sheet.missing_column", {"column": headers.label(name)})
            )
        return result
    position, mapping = found
    result.header_row = mapping.row
    data = table.rows[position + 1 :]
    result.rows = len(data)
    for header in mapping.unknown:
        result.warnings.append(error_entry(None, None, "sheet.unknown_column", {"column": header}))
    for name in mapping.missing(sheet_kind):
        result.errors.append(
            error_entry(None, None, "sheet.missing_column", {"column": headers.label(name)})
        )
    for name in mapping.duplicates:
        result.errors.append(
            error_entry(None, None, "sheet.duplicate_column", {"column": headers.label(name)})
        )
    if len(data) > _max_rows():
        result.errors.append(error_entry(None, None, "sheet.too_many_rows", {"max": _max_rows()}))
    if result.errors:
        return result
    if sheet_kind == RENEWAL:
        _validate_renewal(result, data, mapping.columns, school, today)
    else:
        _validate_provisioning(result, data, mapping.columns, school, kind, today)
    return result


def _max_rows() -> int:
    from django.conf import settings

    return settings.SHEET_MAX_ROWS


class _Row:
    """One data row while it is being checked."""

    __slots__ = ("alias", "end_date", "errors", "kind", "number", "raw", "username", "values")

    def __init__(self, number: int, raw: dict[str, object]):
        self.number = number
        self.raw = raw
        self.values: dict[str, str] = {}
        self.errors: list[dict] = []
        self.kind = ""
        self.end_date: dt.date | None = None
        self.username = ""
        # Errors about names split from a full-name column point at that column.
        self.alias: dict[str, str] = {}

    def error(self, column, code, params=None, value=None):
        column = self.alias.get(column, column)
        if value is None:
            value = _as_text(self.raw.get(column, "")) if column else ""
        self.errors.append(error_entry(self.number, column, code, params, value))

    def has_error(self, *columns) -> bool:
        columns = {self.alias.get(c, c) for c in columns}
        return any(e["column"] in columns for e in self.errors)


def _rows(data, columns) -> list[_Row]:
    rows = []
    for number, cells in data:
        raw = {}
        long = []
        width = len(cells)
        for name, index in columns.items():
            cell = raw[name] = cells[index] if index < width else ""
            if cell.__class__ is str and len(cell) > MAX_CELL_CHARS and name not in MAX_LENGTHS:
                long.append(name)  # the reader cut it to MAX_CELL_CHARS + 1 characters
        row = _Row(number, raw)
        for name in long:
            row.error(name, "field.too_long", {"max": MAX_CELL_CHARS})
        rows.append(row)
    return rows


def _duplicates(rows: list[_Row], column: str, key) -> None:
    """R18: the same value in two rows is an error on both."""
    seen: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value:
            seen[value].append(row)
    for group in seen.values():
        if len(group) < 2:
            continue
        numbers = ", ".join(str(r.number) for r in group)
        for row in group:
            shown = _as_text(row.raw.get(column, "")) or row.values.get(column, "")
            row.error(column, "row.duplicate", {"value": shown, "rows": numbers}, shown)


def _accounts_by_username(names: set[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    names = list(names)
    for start in range(0, len(names), 5_000):
        chunk = names[start : start + 5_000]
        queryset = Account.objects.filter(username__in=chunk).select_related(
            "person", "school", "affiliation"
        )
        found.update((account.username.lower(), account) for account in queryset)
    return found


# --------------------------------------------------------------------------
# Provisioning (R9–R18)


def _check_name(row: _Row, name: str, required: bool) -> None:
    value = row.values.get(name, "")
    if not value:
        if required:
            row.error(name, "field.required")
        return
    if len(value) > MAX_LENGTHS[name]:
        row.error(name, "field.too_long", {"max": MAX_LENGTHS[name]}, value)
        return
    if _HAS_LATIN.search(value) and _HAS_GREEK.search(value):
        for found in lookalikes(value):
            row.error(
                name,
                "name.lookalike",
                {"value": found.word, "suggestion": found.suggestion or "?"},
                value,
            )
            return
    if _HAS_DIGIT.search(value) or not any(c.isalpha() for c in value):
        row.error(name, "name.invalid", {"value": value}, value)


def _field_checks(row: _Row, upload_kind: str, today: dt.date, supervisors: dict) -> None:
    raw = row.raw
    values = row.values
    for name, cell in raw.items():
        values[name] = _as_text(cell)
    username = usernames.normalise(values.get("username", ""))
    values["username"] = username
    row.username = username

    if not values.get("surname") and not values.get("given_name") and values.get("full_name"):
        values["surname"], values["given_name"] = split_full_name(values["full_name"], username)
        row.alias = {"surname": "full_name", "given_name": "full_name"}
    kind_text = values.get("kind", "")
    if kind_text:
        row.kind = parse_kind(kind_text) or ""
        if not row.kind:
            row.error("kind", "kind.invalid", {"value": kind_text})
    else:
        row.kind = upload_kind

    if not username:
        row.error("username", "field.required")
    else:
        try:
            usernames.check_syntax(username)
        except ValidationError as exc:
            code, params = _code_params(exc)
            row.error("username", code, params)
        else:
            if usernames.is_undergraduate_pattern(username):
                row.error("username", "username.undergraduate_pattern", {"value": username})

    for name in NAME_FIELDS:
        _check_name(row, name, required=name in ("surname", "given_name"))
    for name in ("address", "area", "postcode", "registration_number", "supervisor_name"):
        value = values.get(name, "")
        if value and len(value) > MAX_LENGTHS[name]:
            row.error(name, "field.too_long", {"max": MAX_LENGTHS[name]}, value)
    supervisor = values.get("supervisor_name", "")
    if supervisor and _HAS_LATIN.search(supervisor) and _HAS_GREEK.search(supervisor):
        for found in lookalikes(supervisor):
            row.error(
                "supervisor_name",
                "name.lookalike",
                {"value": found.word, "suggestion": found.suggestion or "?"},
            )
            break
    if not values.get("registration_number"):
        row.error("registration_number", "field.required")

    mobile = values.get("mobile", "")
    if not mobile:
        row.error("mobile", "field.required")
    else:
        if mobile.isdigit() and len(mobile) > 10 and not mobile.startswith("00"):
            # A numeric cell lost the "+" or "00" of an international number.
            mobile = "+" + mobile
        try:
            values["mobile"] = clean_mobile(mobile)
        except ValidationError as exc:
            code, params = _code_params(exc)
            row.error("mobile", code, {**params, "value": values["mobile"]})

    try:
        values["external_email"] = clean_external_email(values.get("external_email", ""))
    except ValidationError as exc:
        code, params = _code_params(exc)
        row.error("external_email", code, params)

    supervisor_email = values.get("supervisor_email", "")
    if not supervisor_email:
        row.error("supervisor_email", "field.required")
    else:
        # A handful of directors and supervisors recur on every row: check each once.
        checked = supervisors.get(supervisor_email)
        if checked is None:
            try:
                checked = (clean_supervisor_email(supervisor_email), None)
            except ValidationError as exc:
                checked = (None, _code_params(exc))
            supervisors[supervisor_email] = checked
        if checked[1] is None:
            values["supervisor_email"] = checked[0]
        else:
            row.error("supervisor_email", *checked[1])

    cell = raw.get("end_date", "")
    if cell == "":
        row.error("end_date", "field.required")
    else:
        day = parse_date(cell)
        if day is None:
            row.error("end_date", "date.invalid", {"value": _as_text(cell)})
        elif day <= today:
            row.error("end_date", "date.past", {"value": day.isoformat()})
        else:
            row.end_date = day
            values["end_date"] = day.isoformat()


def _validate_provisioning(result, data, columns, school, upload_kind, today) -> None:
    rows = _rows(data, columns)
    supervisors: dict = {}
    for row in rows:
        _field_checks(row, upload_kind, today, supervisors)
    _duplicates(rows, "username", lambda r: r.username)
    _duplicates(
        rows, "registration_number", lambda r: registration_key(r.values["registration_number"])
    )
    _duplicates(rows, "external_email", lambda r: r.values.get("external_email", "").lower())

    # Bulk database reads: accounts named by the sheet, and the correlation (R16).
    accounts = _accounts_by_username({r.username for r in rows if r.username})
    identities = [
        Identity(
            key=row.number,
            registration_number=row.values.get("registration_number", ""),
            email="" if row.has_error("external_email") else row.values["external_email"],
            mobile="" if row.has_error("mobile") else row.values.get("mobile", ""),
            surname=row.values.get("surname", ""),
            given_name=row.values.get("given_name", ""),
            father_name=row.values.get("father_name", ""),
            mother_name=row.values.get("mother_name", ""),
        )
        for row in rows
    ]
    matches = correlate(identities, school)
    owners = people_by_id(a.person_id for a in accounts.values() if a.person_id)
    identity_of = {i.key: i for i in identities}

    need_suggestions: list[_Row] = []
    for row in rows:
        _decide(
            row,
            result,
            school,
            today,
            accounts,
            owners,
            matches[row.number],
            identity_of[row.number],
            need_suggestions,
        )
    _suggest(need_suggestions, {r.username for r in rows})

    for row in rows:
        result.errors.extend(row.errors)
        if row.errors:
            result.outcomes.append({"row": row.number, "action": ERROR, "username": row.username})
    result.errors.sort(key=lambda e: e["row"] or 0)
    result.plans.sort(key=lambda p: p.row)
    result.outcomes.sort(key=lambda o: o["row"])


def _decide(row, result, school, today, accounts, owners, match, identity, need_suggestions):
    """R10, R15, R16, R17 for one row, given the bulk reads."""
    account = accounts.get(row.username) if row.username else None
    person = match.person
    if account is not None:
        owner = owners.get(account.person_id) if account.person_id else None
        same = owner is not None and (
            (person is not None and person.pk == owner.pk)
            or (person is None and names_match(identity, owner))
        )
        if not same:
            row.error("username", "username.taken", {"value": row.username})
            return
        person = owner
    elif person is None and match.possible:
        existing = ", ".join(f"#{p.pk}" for p in match.possible[:3])
        row.error("surname", "person.possible_duplicate", {"existing": existing})

    missing_surname = False
    if row.username and account is None and not row.has_error("username", "surname"):
        surname = row.values.get("surname", "")
        if surname and not username_contains_surname(
            row.username, surname, row.values.get("latin_surname") or None
        ):
            # R10 only binds new usernames; the error (with suggestions) is added in bulk.
            need_suggestions.append(row)
            missing_surname = True

    if person is not None:
        affiliations = list(person.affiliations.all())
        if any(a.is_ungraduated_undergraduate for a in affiliations):
            row.error("surname", "person.not_graduated")
        if account is None:
            others = [
                a.username
                for a in person.accounts.all()
                if a.kind != AccountKind.UNDERGRADUATE and a.state != AccountState.RETIRED
            ]
            if others:
                row.error("username", "person.undeclared_account", {"existing": ", ".join(others)})

    affiliation = match.affiliation
    if affiliation is not None and person is not None and affiliation.person_id != person.pk:
        row.error(
            "registration_number",
            "person.possible_duplicate",
            {"existing": f"#{affiliation.person_id}"},
        )
        return
    if affiliation is not None and affiliation.kind not in (POSTGRADUATE, PHD):
        row.error(
            "registration_number",
            "registration.in_use",
            {"value": row.values.get("registration_number", "")},
        )
        return
    if account is not None and (
        account.kind == AccountKind.UNDERGRADUATE
        or account.state in (AccountState.RETIRED, AccountState.DISABLED)
    ):
        # R6, R17: retired accounts never come back; a disabled one is the helpdesk's call.
        row.error("username", "account.not_reactivatable", {"value": account.username})
        return
    if row.errors or missing_surname or row.end_date is None or not row.kind:
        return

    if affiliation is None and account is not None and account.affiliation_id:
        current = account.affiliation
        if (
            current
            and current.school_id == school.pk
            and registration_key(current.registration_number)
            == registration_key(row.values["registration_number"])
        ):
            affiliation = current
    plan = Plan(
        row=row.number,
        action=CREATE,
        username=row.username,
        kind=row.kind,
        values=row.values,
        end_date=row.end_date,
        person=person,
        account=account,
        affiliation=affiliation,
    )
    if person is not None:
        plan.person_changes = {
            name: row.values[name]
            for name in PERSON_FIELDS
            if row.values.get(name) and row.values[name] != getattr(person, name)
        }
    plan.affiliation_changes = _affiliation_changes(affiliation, row)
    if account is not None:
        expires_at = end_of_day(row.end_date)
        usable = account.state in (AccountState.ACTIVE, AccountState.PENDING) and (
            account.effective_state != AccountState.EXPIRED
        )
        if usable and account.kind == row.kind and account.school_id == school.pk:
            affiliation_same = affiliation is not None and not plan.affiliation_changes
            if account.expires_at != expires_at:
                try:
                    check_renewal(account, row.end_date, today=today)
                except ValidationError as exc:
                    code, params = _code_params(exc)
                    row.error("end_date", code, params)
                    return
                plan.action = RENEW
            elif plan.person_changes or not affiliation_same:
                plan.action = UPDATE
            else:
                plan.action = UNCHANGED
        else:
            plan.action = REACTIVATE
    result.plans.append(plan)
    result.outcomes.append({"row": row.number, "action": plan.action, "username": row.username})


def _affiliation_changes(affiliation: Affiliation | None, row: _Row) -> dict[str, object]:
    wanted = {
        "kind": row.kind,
        "status": AffiliationStatus.ACTIVE.value,
        "end_date": row.end_date,
        "supervisor_name": row.values.get("supervisor_name", ""),
        "supervisor_email": row.values.get("supervisor_email", ""),
    }
    if affiliation is None:
        return wanted
    return {k: v for k, v in wanted.items() if v and getattr(affiliation, k) != v}


def _suggest(rows: list[_Row], in_sheet: set[str]) -> None:
    """R10's free suggestions, with one bulk query for every candidate of every row."""
    if not rows:
        return
    candidates: dict[int, list[str]] = {}
    wanted: set[str] = set()
    for row in rows:
        names = suggest_usernames(
            row.values.get("given_name", ""), row.values["surname"], lambda _n: False, limit=8
        )
        candidates[row.number] = names
        wanted.update(names)
    taken = usernames.taken(wanted) | in_sheet

    def is_taken(name: str) -> bool:
        return name in taken or usernames.is_undergraduate_pattern(name)

    for row in rows:
        suggestions = suggest_usernames(
            row.values.get("given_name", ""), row.values["surname"], is_taken, limit=3
        )
        row.error(
            "username",
            "username.missing_surname",
            {
                "value": row.username,
                "surname": row.values["surname"],
                "suggestions": ", ".join(suggestions) or "—",
            },
        )


# --------------------------------------------------------------------------
# Renewal (R20)


def _validate_renewal(result, data, columns, school, today) -> None:
    rows = _rows(data, columns)
    for row in rows:
        row.username = usernames.normalise(_as_text(row.raw.get("username", "")))
        if not row.username:
            row.error("username", "field.required")
        cell = row.raw.get("expiry_date", "")
        if cell == "":
            row.error("expiry_date", "field.required")
        else:
            row.end_date = parse_date(cell)
            if row.end_date is None:
                row.error("expiry_date", "date.invalid", {"value": _as_text(cell)})
    _duplicates(rows, "username", lambda r: r.username)
    accounts = _accounts_by_username({r.username for r in rows if r.username})
    for row in rows:
        account = accounts.get(row.username) if row.username else None
        if row.username and account is None:
            row.error("username", "username.unknown", {"value": row.username})
        elif account is not None and account.school_id != school.pk:
            row.error("username", "permission.school")
        elif account is not None and row.end_date is not None:
            try:
                check_renewal(account, row.end_date, today=today)
            except ValidationError as exc:
                code, params = _code_params(exc)
                column = "expiry_date" if code in ("date.past", "expiry.too_far") else "username"
                row.error(column, code, params)
        result.errors.extend(row.errors)
        if row.errors:
            result.outcomes.append({"row": row.number, "action": ERROR, "username": row.username})
            continue
        unchanged = account.expires_at == end_of_day(row.end_date) and (
            account.effective_state != AccountState.EXPIRED
        )
        plan = Plan(
            row=row.number,
            action=UNCHANGED if unchanged else RENEW,
            username=row.username,
            kind=account.kind,
            values={"username": row.username, "expiry_date": row.end_date.isoformat()},
            end_date=row.end_date,
            person=account.person,
            account=account,
        )
        result.plans.append(plan)
        result.outcomes.append({"row": row.number, "action": plan.action, "username": row.username})
