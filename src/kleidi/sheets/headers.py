"""Which column is which (R9): Greek headers as the guide lists them, English aliases.

Matching ignores case, accents, spacing and punctuation, so «Όνομα χρήστη»,
"ONOMA XRHSTH" does not match but «ονομα  χρηστη.» and «ΌΝΟΜΑ ΧΡΉΣΤΗ» do;
a parenthesised note («Όνομα χρήστη (username)») is tried with and without
its note. Column order is free; unknown columns are reported, not fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kleidi.language import pick
from kleidi.text import match_key

PROVISIONING = "provisioning"
RENEWAL = "renewal"

# (field, Greek header of the template, English header)
PROVISIONING_COLUMNS = [
    ("username", "Όνομα χρήστη", "Username"),
    ("surname", "Επώνυμο", "Surname"),
    ("given_name", "Όνομα", "Given name"),
    ("father_name", "Πατρώνυμο", "Father's name"),
    ("mother_name", "Μητρώνυμο", "Mother's name"),
    ("address", "Διεύθυνση κατοικίας", "Address"),
    ("area", "Περιοχή", "Area"),
    ("postcode", "ΤΚ", "Postcode"),
    ("mobile", "Κινητό τηλέφωνο", "Mobile"),
    ("external_email", "Email εκτός ΕΜΠ", "External email"),
    ("registration_number", "Αριθμός Μητρώου", "Registration number"),
    ("supervisor_name", "Διευθυντής ΔΠΜΣ ή επιβλέπων", "Programme director or supervisor"),
    ("supervisor_email", "Email διευθυντή ή επιβλέποντα", "Director's or supervisor's email"),
    ("end_date", "Ημερομηνία λήξης", "End date"),
    ("kind", "Κατηγορία", "Kind"),
    ("latin_surname", "Επώνυμο με λατινικούς χαρακτήρες", "Surname in Latin letters"),
]
RENEWAL_COLUMNS = [
    ("username", "Υπαρκτό όνομα χρήστη", "Existing username"),
    ("expiry_date", "Ημερομηνία λήξης", "Expiry date"),
]
FULL_NAME = ("full_name", "Ονοματεπώνυμο", "Full name")
# The results file adds these; a re-uploaded results file has them, and they are ignored.
RESULT_COLUMNS = [("status", "Αποτέλεσμα", "Outcome"), ("errors", "Σφάλματα", "Errors")]
IGNORED = frozenset(name for name, _, _ in RESULT_COLUMNS)

LABELS = {
    name: (greek, english)
    for name, greek, english in [*PROVISIONING_COLUMNS, *RENEWAL_COLUMNS, FULL_NAME]
}

REQUIRED = {
    PROVISIONING: (
        "username",
        "mobile",
        "external_email",
        "registration_number",
        "supervisor_email",
        "end_date",
    ),
    RENEWAL: ("username", "expiry_date"),
}

ALIASES: dict[str, tuple[str, ...]] = {
    "username": (
        "Όνομα χρήστη",
        "Υπαρκτό όνομα χρήστη",
        "Όνομα λογαριασμού",
        "username",
        "user name",
        "user",
        "login",
        "account",
    ),
    "surname": ("Επώνυμο", "Επίθετο", "surname", "last name", "family name"),
    "given_name": ("Όνομα", "Μικρό όνομα", "given name", "first name", "forename"),
    "full_name": (
        "Ονοματεπώνυμο",
        "Επώνυμο Όνομα",
        "Όνομα Επώνυμο",
        "Επώνυμο και όνομα",
        "Όνομα και επώνυμο",
        "full name",
        "name",
    ),
    "father_name": (
        "Πατρώνυμο",
        "Όνομα πατρός",
        "Όνομα πατέρα",
        "father's name",
        "father name",
        "father",
    ),
    "mother_name": (
        "Μητρώνυμο",
        "Όνομα μητρός",
        "Όνομα μητέρας",
        "mother's name",
        "mother name",
        "mother",
    ),
    "address": (
        "Διεύθυνση",
        "Διεύθυνση κατοικίας",
        "Διεύθυνση κατοικίας, Περιοχή, ΤΚ",
        "Οδός",
        "address",
        "home address",
        "street",
        "address, area, postcode",
    ),
    "area": ("Περιοχή", "Πόλη", "Δήμος", "area", "city", "town"),
    "postcode": ("ΤΚ", "Ταχυδρομικός κώδικας", "postcode", "post code", "postal code", "zip"),
    "mobile": (
        "Κινητό",
        "Κινητό τηλέφωνο",
        "Τηλέφωνο κινητό",
        "Τηλέφωνο",
        "mobile",
        "mobile phone",
        "mobile number",
        "phone",
    ),
    "external_email": (
        "email",
        "mail",
        "Email εκτός ΕΜΠ",
        "εκτός ΕΜΠ mail",
        "Εξωτερικό email",
        "Διεύθυνση email",
        "Ηλεκτρονική διεύθυνση",
        "external email",
        "personal email",
    ),
    "registration_number": (
        "Αριθμός Μητρώου",
        "ΑΜ",
        "Αρ. Μητρώου",
        "registration number",
        "registration no",
        "student id",
        "student number",
    ),
    "supervisor_name": (
        "Διευθυντής ΔΠΜΣ ή επιβλέπων",
        "Διευθυντής Μεταπτυχιακού",
        "Διευθυντής ή επιβλέπων",
        "Επιβλέπων",
        "Επιβλέπων καθηγητής",
        "Επιβλέποντας καθηγητής",
        "supervisor",
        "director",
        "programme director",
        "program director",
        "director or supervisor",
    ),
    "supervisor_email": (
        "Email διευθυντή ή επιβλέποντα",
        "Email επιβλέποντα",
        "Email διευθυντή",
        "supervisor email",
        "supervisor's email",
        "director email",
        "director's email",
        "director or supervisor email",
    ),
    "end_date": (
        "Ημερομηνία λήξης",
        "Ημερομηνία λήξης του ΔΠΜΣ",
        "Λήξη",
        "Λήξη ΔΠΜΣ",
        "end date",
        "programme end date",
        "program end date",
    ),
    "expiry_date": (
        "Νέα ημερομηνία λήξης",
        "expiry date",
        "new expiry date",
        "expiry",
        "expires",
    ),
    "kind": ("Κατηγορία", "Είδος", "Ιδιότητα", "kind", "type", "category"),
    "latin_surname": (
        "Επώνυμο με λατινικούς χαρακτήρες",
        "Επώνυμο με λατινικούς",
        "Επώνυμο λατινικά",
        "Λατινικό επώνυμο",
        "latin surname",
        "surname in latin letters",
        "passport surname",
    ),
    "status": ("Αποτέλεσμα", "Κατάσταση", "status", "outcome", "result"),
    "errors": ("Σφάλματα", "Σφάλμα", "errors", "error"),
}

_NOT_ALNUM = re.compile(r"[\W_]+")
_PARENTHESES = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")


def header_key(text: str) -> str:
    """Case, accents, spacing and punctuation removed."""
    return _NOT_ALNUM.sub("", match_key(text))


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name, aliases in ALIASES.items():
        for alias in (name, *aliases):
            key = header_key(alias)
            if index.setdefault(key, name) != name:
                raise RuntimeError(f"header alias {alias!r} is ambiguous")
    return index


INDEX = _build_index()

# When no alias matches: keywords, most specific first.
_KEYWORDS = (
    (("mail",), ("επιβλεπ", "διευθυντ", "καθηγ", "supervis", "director"), "supervisor_email"),
    (("mail",), (), "external_email"),
    (("επιβλεπ", "supervis", "διευθυντ", "director"), (), "supervisor_name"),
    (("κινητ", "mobile", "τηλεφ", "phone"), (), "mobile"),
    (("μητρωου", "registration"), (), "registration_number"),
    (("ληξη", "expir"), (), "end_date"),
    (("χρηστη", "username"), (), "username"),
    (("λατινικ", "latin"), (), "latin_surname"),
)


def field_for(header: str, kind: str) -> str | None:
    """The canonical field a header names, or None."""
    if not header:
        return None
    name = _lookup(header)
    if name == "end_date" and kind == RENEWAL:
        return "expiry_date"
    if name == "expiry_date" and kind != RENEWAL:
        return "end_date"
    return name


def _lookup(header: str) -> str | None:
    key = header_key(header)
    if key in INDEX:
        return INDEX[key]
    outside = header_key(_PARENTHESES.sub(" ", header))
    if outside in INDEX:
        notes = "".join(header_key(a or b) for a, b in _PARENTHESES.findall(header))
        if INDEX[outside] == "supervisor_name" and "mail" in notes:
            return "supervisor_email"  # «Επιβλέπων (email)» beside «Επιβλέπων»
        return INDEX[outside]
    for inside in _PARENTHESES.findall(header):
        inner = header_key(inside[0] or inside[1])
        if inner in INDEX:
            return INDEX[inner]
    for needles, qualifiers, name in _KEYWORDS:
        if any(n in key for n in needles) and (not qualifiers or any(q in key for q in qualifiers)):
            return name
    return None


@dataclass
class HeaderMap:
    """Where each field is; what could not be mapped; fields named twice."""

    row: int = 0
    columns: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def missing(self, kind: str) -> list[str]:
        missing = [name for name in REQUIRED[kind] if name not in self.columns]
        if "supervisor_email" in missing and "supervisor_name" in self.columns:
            # One column for both, as the guide asks («... (να αναγράφεται και το Mail του)»):
            # its cells must hold the email, which validation checks row by row.
            missing.remove("supervisor_email")
        if kind == PROVISIONING and "full_name" not in self.columns:
            missing += [n for n in ("surname", "given_name") if n not in self.columns]
        return missing


def map_headers(cells: list, kind: str) -> HeaderMap:
    result = HeaderMap()
    for index, cell in enumerate(cells):
        header = cell if isinstance(cell, str) else ""
        if not header:
            continue
        name = field_for(header, kind)
        if name is None or (kind == RENEWAL and name not in ("username", "expiry_date", *IGNORED)):
            result.unknown.append(header)
            continue
        if name in result.columns:
            result.duplicates.append(name)
            continue
        result.columns[name] = index
    return result


HEADER_SEARCH_ROWS = 30


def find_header(rows: list[tuple[int, list]], kind: str) -> tuple[int, HeaderMap] | None:
    """The first row (index into `rows`) that maps at least two known fields."""
    for position, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = map_headers(cells, kind)
        if len(set(mapping.columns) - IGNORED) >= 2:
            mapping.row = number
            return position, mapping
    return None


def label(name: str, language: str = "el") -> str:
    return pick(LABELS.get(name, (name, name)), language)
