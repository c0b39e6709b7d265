"""What validation produces: the error entries, each row's plan, the sheet's Result."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import formats, translation

from kleidi.accounts.models import Account
from kleidi.errors import message
from kleidi.language import resolve
from kleidi.people.models import Affiliation, Person

CREATE, REACTIVATE, RENEW, UPDATE, UNCHANGED, ERROR = (
    "create",
    "reactivate",
    "renew",
    "update",
    "unchanged",
    "error",
)


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
    # Rows for the helpdesk's review queue (validation.queue.review_entry); not stored.
    review: list[dict] = field(default_factory=list)
    # An apply of an upload already applied: nothing was done; the original's
    # applied_at, applied_by and changes (kleidi.sheets.runs.repeat). Not stored.
    repeat_of: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, int]:
        return dict(Counter(e["code"] for e in self.errors).most_common())

    def actions(self) -> dict[str, int]:
        return dict(Counter(o["action"] for o in self.outcomes).most_common())

    def changes(self) -> int:
        return sum(1 for o in self.outcomes if o["action"] not in (UNCHANGED, ERROR))

    def add_plan(self, plan: Plan) -> None:
        self.plans.append(plan)
        self.outcomes.append({"row": plan.row, "action": plan.action, "username": plan.username})

    def add_failed(self, row: int, username: str) -> None:
        self.outcomes.append({"row": row, "action": ERROR, "username": username})

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


# Codes whose `value` is a date Kleidi read (ISO in the stored params, for machines).
DATE_VALUE_CODES = frozenset({"date.past", "expiry.too_far"})


def render(entry: dict, language: str | None = None) -> str:
    """The entry's message in `language`; a date in it as people read dates (issue 12 §7:
    «31 Δεκεμβρίου 2020», the locale's DATE_FORMAT), while the params keep ISO."""
    params = entry.get("params") or None
    if params and entry["code"] in DATE_VALUE_CODES and "value" in params:
        params = {**params, "value": _human_date(params["value"], language)}
    return message(entry["code"], params, language)


def _human_date(value: str, language: str | None) -> str:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    with translation.override(resolve(language)):
        return formats.date_format(day, "DATE_FORMAT")


def code_params(exc: ValidationError) -> tuple[str, dict]:
    """The stable code and parameters of a service's ValidationError."""
    item = exc.error_list[0]
    return item.code or "field.required", dict(item.params or {})
