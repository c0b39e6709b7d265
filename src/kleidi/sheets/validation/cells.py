"""Reading typed values out of cells: dates (R14), the kind column, mobiles, «-» for nothing."""

from __future__ import annotations

import datetime as dt
import re

from kleidi.accounts.models import AccountKind
from kleidi.sheets import headers
from kleidi.text import match_key

POSTGRADUATE, PHD = AccountKind.POSTGRADUATE.value, AccountKind.PHD.value


def as_text(cell) -> str:
    return cell.isoformat() if isinstance(cell, dt.date) else cell


# What secretariats type for "unknown" or "none" (an unknown father's name): an empty
# cell, so an optional field stays empty and a required one is field.required.
_DASHES = re.compile("[-\u2010-\u2015\u2212]+")
_UNKNOWN = frozenset(
    match_key(word)
    for word in ("n/a", "ν/α", "δ/υ", "δεν υπάρχει", "άγνωστο", "άγνωστος", "άγνωστη", "αγνώστου")
)


def mobile_text(text: str) -> str:
    """A mobile cell's text for `clean_mobile`: a long bare number gets back its "+".

    A numeric cell lost the "+" or "00" of an international number.
    """
    if text.isdigit() and len(text) > 10 and not text.startswith("00"):
        return "+" + text
    return text


def is_placeholder(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > 16:
        return False
    return _DASHES.fullmatch(text) is not None or match_key(text) in _UNKNOWN


# A time after the date is allowed and dropped: an end date is a day (the account
# expires at its end), and Excel writes «30/09/2027 00:00» for a date-and-time cell.
_TIME = r"(?:[ T]+(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})" + _TIME)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[\s./-]*([^\W\d_]+)\.?[\s./-]*(\d{4}|\d{2})" + _TIME)

_MONTH_NAMES = (
    ("Ιανουάριος", "Ιανουαρίου", "January"),
    ("Φεβρουάριος", "Φεβρουαρίου", "February"),
    ("Μάρτιος", "Μαρτίου", "March"),
    ("Απρίλιος", "Απριλίου", "April"),
    ("Μάιος", "Μαΐου", "Μάης", "May"),
    ("Ιούνιος", "Ιουνίου", "June"),
    ("Ιούλιος", "Ιουλίου", "July"),
    ("Αύγουστος", "Αυγούστου", "August"),
    ("Σεπτέμβριος", "Σεπτεμβρίου", "September"),
    ("Οκτώβριος", "Οκτωβρίου", "October"),
    ("Νοέμβριος", "Νοεμβρίου", "November"),
    ("Δεκέμβριος", "Δεκεμβρίου", "December"),
)
_MONTH_KEYS = [tuple(match_key(name) for name in names) for names in _MONTH_NAMES]


def _month(word: str) -> int | None:
    """A month written out or cut short («Σεπτεμβρίου», «Σεπτ.», «Sep»): one month, or None."""
    key = match_key(word)
    if len(key) < 3:
        return None
    found = {n for n, keys in enumerate(_MONTH_KEYS, 1) if any(k.startswith(key) for k in keys)}
    return found.pop() if len(found) == 1 else None


def _year(text: str) -> int:
    """A two-digit year is this century's: an end date is never in the last one."""
    return int(text) + 2000 if len(text) == 2 else int(text)


def parse_date(value) -> dt.date | None:
    """A date cell or a date as typed; else None.

    `yyyy-mm-dd`, `dd/mm/yyyy` (also with `.` or `-`, and `yy` for 20yy), or the
    day, the month's name (Greek or English, whole or cut short) and the year
    («30 Σεπτεμβρίου 2027», «30-Σεπ-27»); any time after it is dropped.
    """
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        if match := _ISO.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.fullmatch(text):
            return dt.date(_year(match[3]), int(match[2]), int(match[1]))
        if (match := _DAY_MONTH_YEAR.fullmatch(text)) and (month := _month(match[2])):
            return dt.date(_year(match[3]), month, int(match[1]))
    except ValueError:
        return None
    return None


KIND_WORDS = {
    POSTGRADUATE: (
        "postgraduate",
        "postgrad",
        "master",
        "masters",
        "msc",
        "μεταπτυχιακό",
        "μεταπτυχιακός",
        "μεταπτυχιακή",
        "μεταπτυχιακος φοιτητης",
        "δπμς",
        "πμς",
    ),
    PHD: (
        "phd",
        "doctoral",
        "doctorate",
        "διδακτορικό",
        "διδακτορικός",
        "διδακτορική",
        "διδάκτορας",
        "υποψήφιος διδάκτορας",
        "υποψήφια διδάκτορας",
        "υδ",
    ),
}
_KIND_INDEX = {
    headers.header_key(word): kind for kind, words in KIND_WORDS.items() for word in words
}


def parse_kind(value: str) -> str | None:
    return _KIND_INDEX.get(headers.header_key(value))
