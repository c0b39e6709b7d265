"""Small sheets built in the tests: .xlsx through openpyxl, CSV in any encoding."""

import csv
import datetime as dt
import io

import openpyxl

from kleidi.sheets.headers import LABELS

FIELDS = [
    "username",
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "mobile",
    "external_email",
    "registration_number",
    "supervisor_name",
    "supervisor_email",
    "end_date",
]
# The template's own Greek headers, as a secretariat's sheet has them.
GREEK_HEADERS = [LABELS[name][0] for name in FIELDS]


def future(days: int = 365) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


def person_row(n: int = 1, **overrides) -> dict:
    """A valid provisioning row for a brand-new person; `n` keeps rows distinct."""
    surnames = ["Ιωάννου", "Δημητρίου", "Αντωνίου", "Μαρκόπουλος", "Σταθόπουλος", "Λαμπράκη"]
    translit = ["ioannou", "dimitriou", "antoniou", "markopoulos", "stathopoulos", "lamprakis"]
    i = (n - 1) % len(surnames)
    row = {
        "username": f"n{translit[i]}{n}" if n > 6 else f"n{translit[i]}",
        "surname": surnames[i],
        "given_name": "Νίκος",
        "father_name": "Πέτρος",
        "mother_name": "Άννα",
        "mobile": f"69{n:08d}",
        "external_email": f"student{n}@example.com",
        "registration_number": f"0350{n:04d}",
        "supervisor_name": "Καθ. Μαρία Κωνσταντίνου",
        "supervisor_email": "mkonst@ece.ntua.gr",
        "end_date": future(),
    }
    if row["username"] == "nlamprakis":
        row["username"] = "nlamprakh"
    row.update(overrides)
    return row


def table(rows: list[dict], headers: list[str] | None = None, fields: list[str] | None = None):
    fields = fields or FIELDS
    headers = headers or GREEK_HEADERS
    return [headers, *[[row.get(f, "") for f in fields] for row in rows]]


def xlsx(grid: list[list], *, workbook=None) -> bytes:
    wb = workbook or openpyxl.Workbook()
    ws = wb.active
    for values in grid:
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(grid: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for values in grid:
        writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in values])
    return out.getvalue().encode(encoding)


def renewal(rows: list[tuple]) -> bytes:
    return xlsx([["Υπαρκτό όνομα χρήστη", "Ημερομηνία λήξης"], *[list(r) for r in rows]])


def errors_at(result, row=None, column=None) -> list[str]:
    """The codes reported for one row (and column)."""
    return [
        e["code"]
        for e in result.errors
        if (row is None or e["row"] == row) and (column is None or e["column"] == column)
    ]


def outcome(result, row) -> str:
    return next(o["action"] for o in result.outcomes if o["row"] == row)
