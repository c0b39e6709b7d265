"""The review queue's side of a sheet's validation (R16's possible duplicates).

A row whose person R16 leaves open between existing people is filed for the
helpdesk (`kleidi.sheets.services.validate_upload` files what `review_entry`
describes). The next validation follows the decision, asked in one query per
sheet: "a new person" lets the row create one; "this candidate" makes that
person the row's person, and R16's normal path (R15, R17, undeclared
accounts) goes on from there; a rejection keeps the row refused, saying why.
A decision covers the row as it was decided: the key names the row (its
registration number, else its email) and the fingerprint its identity and
candidates, so a row whose data changed is asked about again.
"""

from __future__ import annotations

from kleidi.people.correlation import Match, registration_key
from kleidi.people.models import School
from kleidi.review.selectors import decisions
from kleidi.review.services import fingerprint
from kleidi.sheets.validation.rows import Row
from kleidi.text import match_key

SOURCE = "sheet"
REASON = "possible_duplicate"
# What a decision is about: the values R16 correlates, and the surname spelling.
IDENTITY_FIELDS = (
    "registration_number",
    "external_email",
    "mobile",
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "latin_surname",
)


def review_key(school: School, row: Row) -> str:
    """`<school>:<registration number>`, else `<school>:<email>`, else the names' keys."""
    number = registration_key(str(row.values.get("registration_number") or ""))
    if number:
        return f"{school.code}:{number}"
    email = str(row.values.get("external_email") or "").lower()
    if email:
        return f"{school.code}:{email}"
    names = (row.values.get(n) or "" for n in ("surname", "given_name", "father_name"))
    return f"{school.code}:" + match_key(" ".join(names))


def row_fingerprint(row: Row, candidates) -> str:
    identity = {name: str(row.values.get(name) or "") for name in IDENTITY_FIELDS}
    return fingerprint(identity, candidates)


def follow_decisions(rows: list[Row], matches: dict[int, Match], school: School) -> dict[int, str]:
    """Apply the helpdesk's decisions to the matches; {row number: reason} of rejected rows.

    One query for the whole sheet. Only rows R16 left open are looked up.
    """
    open_rows = {
        review_key(school, row): row
        for row in rows
        if matches[row.number].person is None and matches[row.number].possible
    }
    fingerprints = {
        key: row_fingerprint(row, [p.pk for p in matches[row.number].possible])
        for key, row in open_rows.items()
    }
    rejected = {}
    for key, item in decisions(SOURCE, school, fingerprints).items():
        row = open_rows[key]
        match = matches[row.number]
        if item.state == "rejected":
            rejected[row.number] = item.decision_reason
        elif item.person_id is None:
            _new_person(row, match, school)
        else:
            person = next(p for p in match.possible if p.pk == item.person_id)
            affiliation = _affiliation(person, row, school)
            matches[row.number] = Match(person=person, affiliation=affiliation)
    return rejected


def _new_person(row: Row, match: Match, school: School) -> None:
    """The helpdesk said "a new person": unless a candidate holds the row's registration number."""
    for person in match.possible:
        if _affiliation(person, row, school) is not None:
            row.error(
                "registration_number",
                "person.review_conflict",
                {"value": row.values.get("registration_number", ""), "existing": f"#{person.pk}"},
            )
            break
    match.possible = []


def _affiliation(person, row: Row, school: School):
    """The person's affiliation in the school with the row's registration number, if any."""
    number = registration_key(str(row.values.get("registration_number") or ""))
    if not number:
        return None
    for affiliation in person.affiliations.all():
        if affiliation.school_id == school.pk and (
            registration_key(affiliation.registration_number) == number
        ):
            return affiliation
    return None


def review_entry(school: School, row: Row) -> dict | None:
    """What to file for a row whose only problem is a possible duplicate, else None.

    A row with other errors waits until the secretariat corrects them, so the
    helpdesk decides on the data that will be applied.
    """
    if not row.possible or any(e["code"] != "person.possible_duplicate" for e in row.errors):
        return None
    record = {name: _json(value) for name, value in row.values.items()}
    record.update(row=row.number, kind=row.kind)
    return {
        "key": review_key(school, row),
        "record": record,
        "candidates": row.possible,
        "fingerprint": row_fingerprint(row, row.possible),
    }


def _json(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
