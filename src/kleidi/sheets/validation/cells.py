"""Reading typed values out of cells: dates (R14) and the kind column."""

from __future__ import annotations

import datetime as dt
import re

from kleidi.accounts.models import AccountKind
from kleidi.sheets import headers

POSTGRADUATE, PHD = AccountKind.POSTGRADUATE.value, AccountKind.PHD.value

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def as_text(cell) -> str:
    return cell.isoformat() if isinstance(cell, dt.date) else cell


def parse_date(value) -> dt.date | None:
    """A date cell, `yyyy-mm-dd` or `dd/mm/yyyy` (also with `.` or `-`); else None."""
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        if match := _ISO.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.fullmatch(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
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
