"""People's names in a row (R9): splitting a full-name cell, checking each name."""

from __future__ import annotations

import re

from kleidi.sheets.validation.rows import MAX_LENGTHS, Row
from kleidi.text import lookalikes, username_contains_surname

NAME_FIELDS = ("surname", "given_name", "father_name", "mother_name", "latin_surname")

HAS_LATIN = re.compile("[A-Za-z]")
HAS_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_HAS_DIGIT = re.compile(r"\d")


def split_full_name(full: str, username: str) -> tuple[str, str]:
    """Split «Επώνυμο Όνομα» or «Όνομα Επώνυμο»: the username (R10) tells which is which.

    Without a hint the surname comes first, as in the registry.
    """
    words = full.split()
    if len(words) < 2:
        return full, ""
    best = None
    for cut in range(1, len(words)):
        for surname, given in (
            (words[:cut], words[cut:]),
            (words[cut:], words[:cut]),
        ):
            surname_text = " ".join(surname)
            better = best is None or len(surname_text) > len(best[0])
            if username and better and username_contains_surname(username, surname_text):
                best = (surname_text, " ".join(given))
    if best:
        return best
    return words[0], " ".join(words[1:])


def report_lookalike(row: Row, name: str, value: str, keep_value: bool) -> None:
    """A word mixing Greek and Latin look-alike letters: one error, with its corrected form."""
    if not (HAS_LATIN.search(value) and HAS_GREEK.search(value)):
        return
    for found in lookalikes(value):
        params = {"value": found.word, "suggestion": found.suggestion or "?"}
        if keep_value:
            row.error(name, "name.lookalike", params, value)
        else:
            row.error(name, "name.lookalike", params)
        return


def check_name(row: Row, name: str, required: bool) -> None:
    value = row.values.get(name, "")
    if not value:
        if required:
            row.error(name, "field.required")
        return
    if len(value) > MAX_LENGTHS[name]:
        row.error(name, "field.too_long", {"max": MAX_LENGTHS[name]}, value)
        return
    errors = len(row.errors)
    report_lookalike(row, name, value, keep_value=True)
    if len(row.errors) > errors:
        return
    if _HAS_DIGIT.search(value) or not any(c.isalpha() for c in value):
        row.error(name, "name.invalid", {"value": value}, value)
