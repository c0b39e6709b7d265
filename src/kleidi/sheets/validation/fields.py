"""The checks of one row's own cells (R7, R9, R11, R1, R12, R13, R14): no database."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from kleidi.accounts import usernames
from kleidi.people.validation import (
    clean_external_email,
    clean_mobile,
    split_address,
    split_supervisor,
)
from kleidi.sheets.validation.cells import (
    as_text,
    is_placeholder,
    mobile_text,
    parse_date,
    parse_kind,
)
from kleidi.sheets.validation.names import (
    NAME_FIELDS,
    check_name,
    report_lookalike,
    split_full_name,
)
from kleidi.sheets.validation.result import code_params
from kleidi.sheets.validation.rows import MAX_LENGTHS, Row


def check_fields(row: Row, upload_kind: str, today: dt.date, supervisors: dict) -> None:
    """Fill `row.values` with the cleaned cells and report what is wrong in them.

    `supervisors` caches R13's answer per address across the sheet's rows.
    """
    raw = row.raw
    values = row.values
    for name, cell in raw.items():
        text = as_text(cell)
        values[name] = "" if is_placeholder(text) else text
    username = usernames.normalise(values.get("username", ""))
    values["username"] = username
    row.username = username

    if not values.get("surname") and not values.get("given_name") and values.get("full_name"):
        split = split_full_name(values["full_name"], username)
        values["surname"], values["given_name"] = split.surname, split.given_name
        row.alias.update(surname="full_name", given_name="full_name")
        if split.ambiguous:
            row.error("full_name", "name.order_ambiguous", {"value": values["full_name"]})
    if "area" not in raw and "postcode" not in raw and values.get("address"):
        values["address"], values["area"], values["postcode"] = split_address(values["address"])
        row.alias.update(area="address", postcode="address")
    _check_kind(row, upload_kind)
    _check_username(row, username, row.kind or upload_kind)
    _check_supervisor(row, supervisors)

    for name in NAME_FIELDS:
        if not row.has_error(name):
            check_name(row, name, required=name in ("surname", "given_name"))
    for name in ("address", "area", "postcode", "registration_number", "supervisor_name"):
        value = values.get(name, "")
        if value and len(value) > MAX_LENGTHS[name]:
            row.error(name, "field.too_long", {"max": MAX_LENGTHS[name]}, value)
    supervisor = values.get("supervisor_name", "")
    if supervisor:
        report_lookalike(row, "supervisor_name", supervisor, keep_value=False)
    if not values.get("registration_number"):
        row.error("registration_number", "field.required")

    _check_mobile(row)
    try:
        values["external_email"] = clean_external_email(values.get("external_email", ""))
    except ValidationError as exc:
        code, params = code_params(exc)
        row.error("external_email", code, params)
    _check_end_date(row, today)


def _check_kind(row: Row, upload_kind: str) -> None:
    kind_text = row.values.get("kind", "")
    if kind_text:
        row.kind = parse_kind(kind_text) or ""
        if not row.kind:
            row.error("kind", "kind.invalid", {"value": kind_text})
    else:
        row.kind = upload_kind


def _check_username(row: Row, username: str, kind: str) -> None:
    """R7, R11: the account service's own policy, so the dry run refuses what it would."""
    if not username:
        row.error("username", "field.required")
        return
    try:
        usernames.username_policy().check(username, kind)
    except ValidationError as exc:
        code, params = code_params(exc)
        row.error("username", code, params)


def _check_mobile(row: Row) -> None:
    values = row.values
    mobile = values.get("mobile", "")
    if not mobile:
        row.error("mobile", "field.required")
        return
    try:
        values["mobile"] = clean_mobile(mobile_text(mobile))
    except ValidationError as exc:
        code, params = code_params(exc)
        row.error("mobile", code, {**params, "value": values["mobile"]})


def _check_supervisor(row: Row, supervisors: dict) -> None:
    """R13: the director's or supervisor's email, and the name if the same cell holds it.

    The guide asks for both in one column («... (να αναγράφεται και το Mail του)»),
    which a header may map to either field; with no email column at all the
    name column is that cell (its errors point at it).
    """
    values = row.values
    if "supervisor_email" not in row.raw and "supervisor_name" in row.raw:
        row.alias["supervisor_email"] = "supervisor_name"
        cell, named = values.get("supervisor_name", ""), ""
    else:
        cell, named = values.get("supervisor_email", ""), values.get("supervisor_name", "")
    if not cell:
        row.error("supervisor_email", "field.required")
        return
    # A handful of directors and supervisors recur on every row: check each once.
    checked = supervisors.get(cell)
    if checked is None:
        try:
            checked = (split_supervisor(cell), None)
        except ValidationError as exc:
            checked = (None, code_params(exc))
        supervisors[cell] = checked
    if checked[1] is not None:
        row.error("supervisor_email", *checked[1])
        return
    name, email = checked[0]
    values["supervisor_email"] = email
    values["supervisor_name"] = named or name


def _check_end_date(row: Row, today: dt.date) -> None:
    cell = row.raw.get("end_date", "")
    if cell == "":
        row.error("end_date", "field.required")
        return
    day = parse_date(cell)
    if day is None:
        row.error("end_date", "date.invalid", {"value": as_text(cell)})
    elif day <= today:
        row.error("end_date", "date.past", {"value": day.isoformat()})
    else:
        row.end_date = day
        row.values["end_date"] = day.isoformat()
