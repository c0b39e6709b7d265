"""The dry run (R9–R18, R20): every row, every rule, no writes.

`validate` turns a read table into a Result: every error as
{row, column, code, params, value} and every row's planned outcome. Field
checks are pure; the database is asked in bulk, a fixed number of queries per
sheet (per 5,000 values of a key), never per row. Apply (R19) runs the same
function again inside its transaction and executes the plans.

The modules, in the order a sheet goes through them: `rows` (a row and its
cells), `cells` (dates, kinds), `names` and `fields` (one row's own cells),
`duplicates` (R18, across rows), `decision` (R10, R15–R17 with the bulk
reads), `suggestions` (R10's free usernames), `provisioning` and `renewal`
(the two kinds of sheet), `result` (errors, plans, outcomes).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from kleidi.accounts.services import local_today
from kleidi.people.models import School
from kleidi.sheets import headers
from kleidi.sheets.headers import PROVISIONING, RENEWAL
from kleidi.sheets.reader import Table
from kleidi.sheets.validation.decision import PERSON_FIELDS
from kleidi.sheets.validation.provisioning import validate_provisioning
from kleidi.sheets.validation.renewal import validate_renewal
from kleidi.sheets.validation.result import (
    CREATE,
    ERROR,
    REACTIVATE,
    RENEW,
    UNCHANGED,
    UPDATE,
    Plan,
    Result,
    error_entry,
    render,
    shorten,
)

__all__ = [
    "CREATE",
    "ERROR",
    "PERSON_FIELDS",
    "REACTIVATE",
    "RENEW",
    "UNCHANGED",
    "UPDATE",
    "Plan",
    "Result",
    "error_entry",
    "render",
    "shorten",
    "validate",
]


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
    if not data:
        # Headers alone are a mistake (the wrong sheet, rows deleted), not "nothing to do".
        result.errors.append(error_entry(None, None, "sheet.no_rows"))
    if len(data) > settings.SHEET_MAX_ROWS:
        result.errors.append(
            error_entry(None, None, "sheet.too_many_rows", {"max": settings.SHEET_MAX_ROWS})
        )
    if result.errors:
        return result
    if sheet_kind == RENEWAL:
        validate_renewal(result, data, mapping.columns, school, today)
    else:
        validate_provisioning(result, data, mapping.columns, school, kind, today)
    return result
