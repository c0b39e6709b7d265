"""Reading the student registry's feed into records (R1, R4, R6; docs/registry.md, "The feed").

A feed is the SIS view GUnet's tools read (`V_VD_SIS`), as a file (csv,
xlsx, xls, ods: the sheets' bounded reader, its encodings and guards) or as
the view itself (`sources`). Both are turned into records in one pass with
the checks a sheet row gets, under the same codes, and no database query: a
file needs no database at all.

Only the columns in COLUMNS are kept. The view's other columns (SSN, TIN,
citizenship, gender, ...) are never read from the database and are dropped
from a file's rows as they are read: Kleidi does not hold AMKA or AFM.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from kleidi.errors import error
from kleidi.people.models import AdmissionRoute
from kleidi.people.validation import clean_external_email, clean_mobile
from kleidi.registry import sources
from kleidi.registry.records import ACTIVE, GRADUATED, LEFT, Feed, FeedRecord
from kleidi.sheets.headers import HEADER_SEARCH_ROWS, header_key
from kleidi.sheets.reader import Limits, SheetError, clean_cell, read_sheet
from kleidi.sheets.validation.cells import as_text, is_placeholder, mobile_text, parse_date
from kleidi.sheets.validation.names import lookalike_params
from kleidi.sheets.validation.result import code_params, error_entry

DATABASE = "database"

# (SIS column, Kleidi field, the column must be there, other headers accepted for it)
COLUMNS = (
    ("registrationID", "registration_number", True, ("Αριθμός μητρώου", "ΑΜ", "Αρ. Μητρώου")),
    ("departmentID", "department_id", True, ("Κωδικός τμήματος", "Τμήμα", "Σχολή")),
    ("lastNameEl", "surname", True, ("Επώνυμο",)),
    ("firstNameEl", "given_name", True, ("Όνομα",)),
    ("fatherFirstNameEl", "father_name", False, ("Πατρώνυμο", "Όνομα πατρός")),
    ("motherFirstNameEl", "mother_name", False, ("Μητρώνυμο", "Όνομα μητρός")),
    ("lastNameEn", "latin_surname", False, ("Επώνυμο λατινικά",)),
    ("firstNameEn", "latin_given_name", False, ("Όνομα λατινικά",)),
    ("fatherFirstNameEn", "latin_father_name", False, ("Πατρώνυμο λατινικά",)),
    ("motherFirstNameEn", "latin_mother_name", False, ("Μητρώνυμο λατινικά",)),
    ("birthDate", "birth_date", False, ("Ημερομηνία γέννησης",)),
    ("extEmail", "external_email", True, ("Email", "Εξωτερικό email", "Email εκτός ΕΜΠ")),
    ("mobilePhone", "mobile", False, ("Κινητό τηλέφωνο", "Κινητό")),
    ("enrollmentStatus", "status", True, ("Κατάσταση φοίτησης", "Κατάσταση")),
    ("enrollmentStatusDate", "status_date", False, ("Ημερομηνία κατάστασης",)),
    ("enrollmentType", "admission_route", True, ("Τρόπος εισαγωγής", "Κατηγορία εισαγωγής")),
    ("loginName", "login_name", False, ("Όνομα χρήστη", "username")),
)
SIS_COLUMN = {name: column for column, name, _, _ in COLUMNS}
REQUIRED = tuple(column for column, _, required, _ in COLUMNS if required)

# The view's other columns (refs/registry.md): not kept, and not worth a warning.
NOT_KEPT = (
    "systemID",
    "SSN",
    "SSNCOUNTRY",
    "TIN",
    "TINCOUNTRY",
    "birthYear",
    "gender",
    "citizenship",
    "departmentEl",
    "departmentEn",
    "enrollmentTerm",
    "accountStatus",
    "attendanceType",
    "inscriptionAcYear",
)


def _index() -> dict[str, str]:
    index = {}
    for column, _, _, aliases in COLUMNS:
        for header in (column, *aliases):
            key = header_key(header)
            if index.setdefault(key, column) != column:
                raise RuntimeError(f"feed header {header!r} is ambiguous")
    return index


HEADERS = _index()
IGNORED_HEADERS = frozenset(header_key(column) for column in NOT_KEPT)

# The longest value of each field: the model's length where Kleidi stores it.
MAX_LENGTHS = {
    "registration_number": 32,
    "department_id": 16,
    "surname": 150,
    "given_name": 150,
    "father_name": 150,
    "mother_name": 150,
    "latin_surname": 150,
    "latin_given_name": 150,
    "latin_father_name": 150,
    "latin_mother_name": 150,
    "login_name": 150,
}
NAMES = (
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "latin_surname",
    "latin_given_name",
    "latin_father_name",
    "latin_mother_name",
)
# Values most records repeat (schools, statuses, given names): one string each, not
# 40,000 copies, since a feed's records stay in memory for the whole import.
SHARED = frozenset(
    {"department_id", *NAMES, "birth_date", "status", "status_date", "admission_route"}
)
REQUIRED_VALUES = ("registration_number", "department_id", "surname", "given_name", "status")

# enrollmentStatus and enrollmentType as registries write them, compared by header_key
# (case, accents, spaces and punctuation ignored). docs/registry.md has the tables.
STATUS_WORDS = {
    ACTIVE: (
        "active",
        "interim",
        "enrolled",
        "ενεργός",
        "ενεργή",
        "ενεργό",
        "ενεργός φοιτητής",
        "ενεργή φοιτήτρια",
        "εγγεγραμμένος",
        "εγγεγραμμένη",
        "προσωρινός",
        "προσωρινή",
    ),
    GRADUATED: (
        "graduated",
        "graduate",
        "διπλωματούχος",
        "πτυχιούχος",
        "απόφοιτος",
        "αποφοίτησε",
        "αποφοιτήσας",
    ),
    LEFT: (
        "deleted",
        "interrupted",
        "suspended",
        "withdrawn",
        "expelled",
        "removed",
        "inactive",
        "left",
        "transferred",
        "διαγραφή",
        "διαγραφείς",
        "διαγραμμένος",
        "διαγραμμένη",
        "διακοπή",
        "διακοπή φοίτησης",
        "αναστολή",
        "αναστολή φοίτησης",
        "ανενεργός",
        "ανενεργή",
        "μετεγγραφή σε άλλο ίδρυμα",
    ),
}
ROUTE_WORDS = {
    AdmissionRoute.NATIONAL_EXAMS.value: (
        "national_exams",
        "national exams",
        "panhellenic",
        "panhellenic exams",
        "πανελλήνιες",
        "πανελλαδικές",
        "πανελλήνιες εξετάσεις",
        "πανελλαδικές εξετάσεις",
        "εισαγωγικές εξετάσεις",
    ),
    AdmissionRoute.TRANSFER.value: (
        "transfer",
        "transferred in",
        "μετεγγραφή",
        "μεταγραφή",
    ),
    AdmissionRoute.SPECIAL.value: (
        "special",
        "special category",
        "special categories",
        "ειδική κατηγορία",
        "ειδικές κατηγορίες",
        "ειδικη κατηγορια εισαγωγης",
    ),
    AdmissionRoute.OTHER.value: (
        "other",
        "άλλο",
        "άλλος",
        "κατάταξη",
        "κατατακτήριες",
        "κατατακτήριες εξετάσεις",
    ),
}


def _words(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_key(word): value for value, words in table.items() for word in words}


STATUSES = _words(STATUS_WORDS)
ROUTES = _words(ROUTE_WORDS)

_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[^\W\d_]")
# A placeholder (a dash, «άγνωστο», «N/A») never holds a digit or an @.
_NEVER_PLACEHOLDER = re.compile(r"[\d@]")


def default_limits() -> Limits:
    return Limits(max_bytes=settings.REGISTRY_MAX_BYTES, max_rows=settings.REGISTRY_MAX_RECORDS)


def read_feed(
    source: str,
    *,
    limits: Limits | None = None,
    progress: Callable[[int], None] | None = None,
) -> Feed:
    """The whole feed from `source`: a file's path, or `database` for the registry view.

    Raises a CodedError (a SheetError for the sheet codes) for a source-level
    failure; per-record problems are in each record's `errors`. `progress`
    is told how many rows the view has sent so far (a file arrives at once).
    """
    limits = limits or default_limits()
    if source == DATABASE:
        return _read_view(limits, progress)
    return _read_file(source, limits)


def _read_file(source: str, limits: Limits) -> Feed:
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise SheetError("sheet.too_large", max_mb=limits.max_mb)
        data = path.read_bytes()
    except OSError:
        raise error("registry.file_unavailable", path=source) from None
    table = read_sheet(data, path.name, limits=limits)
    return feed_from_rows(table.rows, str(source), max_rows=limits.max_rows)


def feed_from_rows(rows: list[tuple[int, list]], source: str, *, max_rows: int) -> Feed:
    """A feed from a read sheet's rows ((row number, clean cells), the header among them)."""
    found = _find_header(rows)
    if found is None:
        raise SheetError("sheet.missing_column", column=", ".join(REQUIRED))
    position, positions, warnings = found
    data_rows = rows[position + 1 :]
    if not data_rows:
        raise SheetError("sheet.no_rows")
    if len(data_rows) > max_rows:
        raise SheetError("sheet.too_many_rows", max=max_rows)
    builder = _Builder(positions)
    for number, cells in data_rows:
        builder.add(number, cells)
    return builder.feed(source, warnings)


def _find_header(rows) -> tuple[int, dict[str, int], list[dict]] | None:
    """The first row naming two known columns: its position, column → cell index, warnings."""
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = [cell if isinstance(cell, str) else "" for cell in cells]
        positions = {}
        for index, header in enumerate(headers):
            column = HEADERS.get(header_key(header))
            if column is not None:
                positions.setdefault(column, index)
        if len(positions) < 2:
            continue
        return position, _checked(positions, headers), _warnings(headers)
    return None


def _checked(positions: dict[str, int], headers: list[str]) -> dict[str, int]:
    """The columns found; missing required ones and columns named twice are refused."""
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        raise SheetError("sheet.missing_column", column=", ".join(missing))
    seen: dict[str, int] = defaultdict(int)
    for header in headers:
        column = HEADERS.get(header_key(header))
        if column is not None:
            seen[column] += 1
    twice = [column for column, count in seen.items() if count > 1]
    if twice:
        raise SheetError("sheet.duplicate_column", column=", ".join(twice))
    return positions


def _warnings(headers: list[str]) -> list[dict]:
    """Columns neither known nor in the view's not-kept list: ignored, and said so."""
    warnings = []
    for header in headers:
        key = header_key(header)
        if header and key not in HEADERS and key not in IGNORED_HEADERS:
            warnings.append(error_entry(None, None, "sheet.unknown_column", {"column": header}))
    return warnings


def _read_view(limits: Limits, progress) -> Feed:
    def fields_for(available: list[str]) -> list[str]:
        # The view's names as it spells them (PostgreSQL folds unquoted ones to lowercase).
        by_column = {}
        for name in available:
            column = HEADERS.get(header_key(name))
            if column is not None:
                by_column.setdefault(column, name)
        missing = [column for column in REQUIRED if column not in by_column]
        if missing:
            raise SheetError("sheet.missing_column", column=", ".join(missing))
        # The natural key first: the view is read ordered by it (sources.stream_view).
        first = ["departmentID", "registrationID"]
        chosen[:] = first + [c for c, _, _, _ in COLUMNS if c in by_column and c not in first]
        return [by_column[column] for column in chosen]

    chosen: list[str] = []
    stream = sources.stream_view(fields_for, max_rows=limits.max_rows, progress=progress)
    next(stream)
    builder = _Builder({column: index for index, column in enumerate(chosen)})
    for number, row in enumerate(stream, start=1):
        builder.add(number, [clean_cell(value) for value in row])
    return builder.feed(f"{DATABASE}:{settings.REGISTRY_VIEW}", [])


class _Builder:
    """Records from rows of clean cells, in one pass; duplicates marked at the end."""

    def __init__(self, positions: dict[str, int]):
        self.columns = [column for column, _, _, _ in COLUMNS if column in positions]
        self.fields = [
            (name, positions[column]) for column, name, _, _ in COLUMNS if column in positions
        ]
        self.absent = [name for column, name, _, _ in COLUMNS if column not in positions]
        self.records: list[FeedRecord] = []
        # Memo of the words registries repeat on every row.
        self.statuses: dict[str, str | None] = {}
        self.routes: dict[str, str | None] = {}
        self.placeholders: dict[str, bool] = {}
        self.shared: dict[str, str] = {}
        self.name_faults: dict[str, tuple[str, dict] | None] = {}
        self.today = timezone.localdate()

    def add(self, number: int, cells: list) -> None:
        width = len(cells)
        raw = {name: cells[index] if index < width else "" for name, index in self.fields}
        record = FeedRecord(number=number, values={})
        values = record.values
        for name in self.absent:
            values[name] = ""
        shared = self.shared
        for name, cell in raw.items():
            text = as_text(cell)
            if self._placeholder(text):
                text = ""
            elif name in SHARED:
                text = shared.setdefault(text, text)
            values[name] = text
        self._check(record, raw)
        self.records.append(record)

    def _placeholder(self, text: str) -> bool:
        """«-», «δεν υπάρχει», «N/A»: nothing (the sheets' is_placeholder, remembered per text)."""
        if not text or len(text) > 16 or _NEVER_PLACEHOLDER.search(text):
            return False
        known = self.placeholders.get(text)
        if known is None:
            known = self.placeholders[text] = is_placeholder(text)
        return known

    def _error(self, record: FeedRecord, name: str, code: str, params=None, value=None) -> None:
        if value is None:
            value = record.values.get(name, "")
        record.errors.append(error_entry(record.number, SIS_COLUMN[name], code, params, value))

    def _check(self, record: FeedRecord, raw: dict) -> None:
        values = record.values
        for name in REQUIRED_VALUES:
            if not values[name]:
                self._error(record, name, "field.required")
        for name, limit in MAX_LENGTHS.items():
            value = values[name]
            if len(value) > limit:
                self._error(record, name, "field.too_long", {"max": limit})
                values[name] = ""
        for name in NAMES:
            if values[name]:
                self._check_name(record, name)
        values["login_name"] = values["login_name"].lower()
        self._check_email(record)
        self._check_mobile(record)
        values["birth_date"] = self._date(record, raw, "birth_date", past=True)
        values["status_date"] = self._date(record, raw, "status_date", past=False)
        values["status"] = self._word(record, "status", STATUSES, self.statuses)
        values["admission_route"] = self._word(record, "admission_route", ROUTES, self.routes)

    def _check_name(self, record: FeedRecord, name: str) -> None:
        value = record.values[name]
        if value not in self.name_faults:
            self.name_faults[value] = _name_fault(value)
        fault = self.name_faults[value]
        if fault is not None:
            self._error(record, name, *fault)

    def _check_email(self, record: FeedRecord) -> None:
        values = record.values
        try:
            values["external_email"] = clean_external_email(values["external_email"])
        except ValidationError as exc:
            code, params = code_params(exc)
            if code in ("email.required", "email.institutional"):
                # Not an error: the record waits for an external email (R1, R4).
                record.email_code = code
                record.email_params = params
            else:
                self._error(record, "external_email", code, params)
            values["external_email"] = ""

    def _check_mobile(self, record: FeedRecord) -> None:
        values = record.values
        mobile = values["mobile"]
        if not mobile:
            return
        try:
            values["mobile"] = clean_mobile(mobile_text(mobile))
        except ValidationError as exc:
            code, params = code_params(exc)
            self._error(record, "mobile", code, {**params, "value": values["mobile"]})
            values["mobile"] = ""

    def _date(self, record: FeedRecord, raw: dict, name: str, *, past: bool) -> dt.date | None:
        cell = raw.get(name, "")
        if cell == "" or record.values[name] == "":
            return None
        day = parse_date(cell)
        if day is None or (past and day > self.today):
            # A birth date in the future is a typo (or a two-digit year read as 20yy).
            self._error(record, name, "date.invalid", {"value": as_text(cell)})
            return None
        return day

    def _word(self, record: FeedRecord, name: str, words: dict, memo: dict) -> str:
        text = record.values[name]
        if name == "admission_route" and not text:
            # No route given: "other", which is held for review, never created (R4).
            return AdmissionRoute.OTHER.value
        if not text:
            return ""
        if text not in memo:
            memo[text] = words.get(header_key(text))
        value = memo[text]
        if value is None:
            code = "registry.status_invalid" if name == "status" else "registry.type_invalid"
            self._error(record, name, code, {"value": text})
            return ""
        return value

    def feed(self, source: str, warnings: list[dict]) -> Feed:
        _mark_duplicates(self.records)
        return Feed(
            source=source,
            records=self.records,
            columns=self.columns,
            read_at=timezone.now(),
            warnings=warnings,
        )


def _name_fault(value: str) -> tuple[str, dict] | None:
    """The sheets' name checks (R9, §6): look-alike Latin letters in a word; digits or no letter."""
    params = lookalike_params(value)
    if params is not None:
        return "name.lookalike", params
    if _HAS_DIGIT.search(value) or not _HAS_LETTER.search(value):
        return "name.invalid", {"value": value}
    return None


def _mark_duplicates(records: Iterable[FeedRecord]) -> None:
    """The same registration number twice in one department: row.duplicate on both (R18)."""
    seen: dict[tuple[str, str], list[FeedRecord]] = defaultdict(list)
    for record in records:
        number = record.registration_number
        if number:
            seen[(record.department_id.casefold(), number.casefold())].append(record)
    for group in seen.values():
        if len(group) < 2:
            continue
        numbers = ", ".join(str(record.number) for record in group)
        for record in group:
            value = record.registration_number
            record.errors.append(
                error_entry(
                    record.number,
                    SIS_COLUMN["registration_number"],
                    "row.duplicate",
                    {"value": value, "rows": numbers},
                    value,
                )
            )
