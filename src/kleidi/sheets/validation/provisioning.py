"""A postgraduate or PhD sheet (R9–R18): field checks, duplicates, bulk reads, decisions."""

from __future__ import annotations

import datetime as dt

from kleidi.people.correlation import Identity, correlate, people_by_id, registration_key
from kleidi.people.models import School
from kleidi.sheets.validation.decision import Lookups, decide
from kleidi.sheets.validation.duplicates import mark_duplicates
from kleidi.sheets.validation.fields import check_fields
from kleidi.sheets.validation.queue import follow_decisions, review_entry
from kleidi.sheets.validation.result import Result
from kleidi.sheets.validation.rows import Row, accounts_by_username, read_rows
from kleidi.sheets.validation.suggestions import suggest


def validate_provisioning(
    result: Result, data, columns, school: School, upload_kind: str, today: dt.date
) -> None:
    rows = read_rows(data, columns)
    supervisors: dict = {}
    for row in rows:
        check_fields(row, upload_kind, today, supervisors)
    mark_duplicates(rows, "username", lambda r: r.username)
    mark_duplicates(
        rows, "registration_number", lambda r: registration_key(r.values["registration_number"])
    )
    mark_duplicates(rows, "external_email", lambda r: r.values.get("external_email", "").lower())

    # Bulk database reads: accounts named by the sheet, and the correlation (R16).
    accounts = accounts_by_username({r.username for r in rows if r.username})
    identities = [_identity(row) for row in rows]
    matches = correlate(identities, school)
    sheet = Lookups(
        school=school,
        today=today,
        accounts=accounts,
        owners=people_by_id(a.person_id for a in accounts.values() if a.person_id),
        matches=matches,
        identities={i.key: i for i in identities},
        rejected=follow_decisions(rows, matches, school),
    )
    for row in rows:
        plan = decide(row, sheet)
        if plan is not None:
            result.add_plan(plan)
    suggest([r for r in rows if r.missing_surname], {r.username for r in rows})

    for row in rows:
        entry = review_entry(school, row)
        if entry is not None:
            result.review.append(entry)
        result.errors.extend(row.errors)
        if row.errors:
            result.add_failed(row.number, row.username)
    result.errors.sort(key=lambda e: e["row"] or 0)
    result.plans.sort(key=lambda p: p.row)
    result.outcomes.sort(key=lambda o: o["row"])


def _identity(row: Row) -> Identity:
    """What R16 compares: a value with an error is left out."""
    return Identity(
        key=row.number,
        registration_number=row.values.get("registration_number", ""),
        email="" if row.has_error("external_email") else row.values["external_email"],
        mobile="" if row.has_error("mobile") else row.values.get("mobile", ""),
        surname=row.values.get("surname", ""),
        given_name=row.values.get("given_name", ""),
        father_name=row.values.get("father_name", ""),
        mother_name=row.values.get("mother_name", ""),
    )
