"""A renewal sheet (R20): existing usernames of the school and new expiry dates."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from kleidi.accounts import usernames
from kleidi.accounts.models import AccountState
from kleidi.accounts.services import check_renewal, end_of_day
from kleidi.people.models import School
from kleidi.sheets.validation.cells import as_text, parse_date
from kleidi.sheets.validation.duplicates import mark_duplicates
from kleidi.sheets.validation.result import RENEW, UNCHANGED, Plan, Result, code_params
from kleidi.sheets.validation.rows import accounts_by_username, read_rows


def validate_renewal(result: Result, data, columns, school: School, today: dt.date) -> None:
    rows = read_rows(data, columns)
    for row in rows:
        row.username = usernames.normalise(as_text(row.raw.get("username", "")))
        if not row.username:
            row.error("username", "field.required")
        cell = row.raw.get("expiry_date", "")
        if cell == "":
            row.error("expiry_date", "field.required")
        else:
            row.end_date = parse_date(cell)
            if row.end_date is None:
                row.error("expiry_date", "date.invalid", {"value": as_text(cell)})
    mark_duplicates(rows, "username", lambda r: r.username)
    accounts = accounts_by_username({r.username for r in rows if r.username})
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
                code, params = code_params(exc)
                column = "expiry_date" if code in ("date.past", "expiry.too_far") else "username"
                row.error(column, code, params)
        result.errors.extend(row.errors)
        if row.errors:
            result.add_failed(row.number, row.username)
            continue
        unchanged = account.expires_at == end_of_day(row.end_date) and (
            account.effective_state != AccountState.EXPIRED
        )
        result.add_plan(
            Plan(
                row=row.number,
                action=UNCHANGED if unchanged else RENEW,
                username=row.username,
                kind=account.kind,
                values={"username": row.username, "expiry_date": row.end_date.isoformat()},
                end_date=row.end_date,
                person=account.person,
                account=account,
            )
        )
