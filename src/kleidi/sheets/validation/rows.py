"""One data row while it is being checked, and the sheet's rows as such."""

from __future__ import annotations

import datetime as dt

from kleidi.accounts.models import Account
from kleidi.people.models import Affiliation, Person
from kleidi.sheets.reader import MAX_CELL_CHARS
from kleidi.sheets.validation.cells import as_text
from kleidi.sheets.validation.result import error_entry

#: The longest value each text column may hold: the model field's own length
#: (other columns get the reader's cap).
MAX_LENGTHS = {
    name: model._meta.get_field(name).max_length
    for model, names in (
        (Person, ("surname", "given_name", "father_name", "mother_name", "latin_surname")),
        (Person, ("address", "area", "postcode")),
        (Affiliation, ("registration_number", "supervisor_name")),
    )
    for name in names
}


class Row:
    """One data row: its raw cells, the cleaned values, its errors."""

    __slots__ = (
        "alias",
        "end_date",
        "errors",
        "kind",
        "missing_surname",
        "number",
        "possible",
        "raw",
        "username",
        "values",
    )

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
        # R10 failed: the error, with suggestions, is added in bulk afterwards.
        self.missing_surname = False
        # R16 left the person open between these people: the row goes to the review queue.
        self.possible: tuple[int, ...] = ()

    def error(self, column, code, params=None, value=None):
        column = self.alias.get(column, column)
        if value is None:
            value = as_text(self.raw.get(column, "")) if column else ""
        self.errors.append(error_entry(self.number, column, code, params, value))

    def has_error(self, *columns) -> bool:
        columns = {self.alias.get(c, c) for c in columns}
        return any(e["column"] in columns for e in self.errors)


def read_rows(data, columns) -> list[Row]:
    """The data rows by field name; a cell the reader cut is field.too_long at once."""
    rows = []
    for number, cells in data:
        raw = {}
        long = []
        width = len(cells)
        for name, index in columns.items():
            cell = raw[name] = cells[index] if index < width else ""
            if cell.__class__ is str and len(cell) > MAX_CELL_CHARS and name not in MAX_LENGTHS:
                long.append(name)  # the reader cut it to MAX_CELL_CHARS + 1 characters
        row = Row(number, raw)
        for name in long:
            row.error(name, "field.too_long", {"max": MAX_CELL_CHARS})
        rows.append(row)
    return rows


def accounts_by_username(names: set[str]) -> dict[str, Account]:
    """The accounts a sheet names, in one query per 5,000 usernames."""
    found: dict[str, Account] = {}
    names = list(names)
    for start in range(0, len(names), 5_000):
        chunk = names[start : start + 5_000]
        queryset = Account.objects.filter(username__in=chunk).select_related(
            "person", "school", "affiliation"
        )
        found.update((account.username.lower(), account) for account in queryset)
    return found
