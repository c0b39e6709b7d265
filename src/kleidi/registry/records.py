"""What a read feed is: records with cleaned values, per-field errors and the source's name.

The reader (`kleidi.registry.feed`) builds these from a file or the
registry's database view; the import (`kleidi.registry.services`) classifies
them. Values are keyed by Kleidi's field names (docs/registry.md maps each to
its SIS column).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Kleidi's name for each value a record carries (docs/registry.md, "The feed").
FIELDS = (
    "registration_number",
    "department_id",
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "latin_surname",
    "latin_given_name",
    "latin_father_name",
    "latin_mother_name",
    "birth_date",
    "external_email",
    "mobile",
    "status",
    "status_date",
    "admission_route",
    "login_name",
)

# enrollmentStatus, as the reader normalises it.
ACTIVE = "active"  # active or interim: a student now
GRADUATED = "graduated"  # διπλωματούχος (R6)
LEFT = "left"  # διαγραφή or διακοπή: no longer a student, not graduated
STATUSES = (ACTIVE, GRADUATED, LEFT)


@dataclass
class FeedRecord:
    """One student as the registry sends them.

    `number` is the record's place in the source: the sheet row for a file (so
    a secretariat finds it in the spreadsheet), the 1-based position for the
    database view. `values` holds every name in FIELDS: text cleaned and NFC,
    `birth_date` and `status_date` a date or None, `external_email` lowercased
    or "", `mobile` E.164 or "", `status` one of STATUSES, `admission_route`
    an `AdmissionRoute` value, `login_name` lowercased or "". `errors` are
    `kleidi.sheets.validation.error_entry(number, sis_column, code, ...)`
    entries; `email_code` is "email.required" or "email.institutional" when the
    record must wait for an external email (R1, R4), which is not an error;
    `email_params` its message's parameters (the refused address).
    """

    number: int
    values: dict[str, object]
    errors: list[dict] = field(default_factory=list)
    email_code: str = ""
    email_params: dict = field(default_factory=dict)

    @property
    def registration_number(self) -> str:
        return str(self.values.get("registration_number") or "")

    @property
    def department_id(self) -> str:
        return str(self.values.get("department_id") or "")

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Feed:
    """A whole read: what it came from (for the report and audit) and its records."""

    source: str
    records: list[FeedRecord]
    # The SIS columns the source had (docs/registry.md), in COLUMNS' order.
    columns: list[str] = field(default_factory=list)
    read_at: dt.datetime | None = None
    # Source-level notes that are not errors: `sheet.unknown_column` entries (ignored columns).
    warnings: list[dict] = field(default_factory=list)
