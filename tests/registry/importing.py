"""Generated feeds for the import's tests: FeedRecords as the reader builds them.

Until the feed reader lands these tests build `Feed` and `FeedRecord`
directly (kleidi.registry.records): the values cleaned, as the reader
promises them.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from kleidi.people.models import AdmissionRoute, School
from kleidi.people.services import create_school
from kleidi.registry.records import ACTIVE, Feed, FeedRecord

GIVEN = ["Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Κώστας", "Αθηνά", "Δημήτρης", "Σοφία"]
SURNAMES = ["Παπαδόπουλος", "Κωνσταντίνου", "Γεωργίου", "Νικολάου", "Ιωάννου", "Αλεξίου"]


def make_school(code: str = "ece", prefix: str = "el", registry_id: str = "") -> School:
    return create_school(
        {
            "code": code,
            "name_el": f"Σχολή {code}",
            "name_en": f"School {code}",
            "undergraduate_prefix": prefix,
            "registry_id": registry_id,
        }
    )


def number(n: int, school_digits: str = "031") -> str:
    """A registration number as NTUA gives them: school, year, sequence (03118123)."""
    return f"{school_digits}{18 + n // 1000:02d}{n % 1000:03d}"


SYLLABLES = ["κα", "λο", "μη", "να", "πε", "ρι", "σο", "τα", "φυ", "χω"]


def surname(n: int) -> str:
    """A distinct Greek surname for every n (so correlation never confuses two students)."""
    tail = "".join(SYLLABLES[int(d)] for d in str(n))
    return f"{SURNAMES[n % len(SURNAMES)]}-{tail.capitalize()}"


def values(n: int, department: str = "ece", **overrides) -> dict:
    """Record n's values: a distinct, valid, active national-exams student."""
    base = {
        "registration_number": number(n),
        "department_id": department,
        "surname": surname(n),
        "given_name": GIVEN[n % len(GIVEN)],
        "father_name": "Ιωάννης",
        "mother_name": "Ελένη",
        "latin_surname": "",
        "latin_given_name": "",
        "latin_father_name": "",
        "latin_mother_name": "",
        "birth_date": dt.date(2000, 1, 1) + dt.timedelta(days=n),
        "external_email": f"student{n}@example.com",
        "mobile": f"+30697{n:07d}",
        "status": ACTIVE,
        "status_date": dt.date(2024, 9, 1),
        "admission_route": AdmissionRoute.NATIONAL_EXAMS.value,
        "login_name": "",
    }
    base.update(overrides)
    return base


def rec(n: int, *, number_in_feed: int | None = None, errors=None, email_code="", **overrides):
    return FeedRecord(
        number=number_in_feed if number_in_feed is not None else n + 2,
        values=values(n, **overrides),
        errors=list(errors or []),
        email_code=email_code,
    )


def feed(records, source: str = "registry.csv") -> Feed:
    return Feed(source=source, records=list(records))


def students(count: int, start: int = 0, **overrides) -> list[FeedRecord]:
    return [rec(n, **overrides) for n in range(start, start + count)]


class Writes:
    """Counts INSERT/UPDATE/DELETE statements per table while active (connection wrapper)."""

    def __init__(self):
        self.tables: dict[str, int] = {}

    def __call__(self, execute, sql, params, many, context):
        words = sql.split(None, 3)
        head = words[0].upper() if words else ""
        if head in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if head in ("INSERT", "DELETE") else words[1]
            table = table.strip('"`').lower()
            self.tables[table] = self.tables.get(table, 0) + 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)
