"""R10: does a username contain the surname, in ELOT 743 or a common spelling?

One regular expression per surname (cached) accepts the ELOT form and the
alternative spellings listed in DESIGN R10, instead of enumerating spellings
(which grows exponentially).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kleidi.text.elot743 import (
    ELOT_UNITS,
    LETTERS,
    NASAL,
    PAIRS,
    ascii_letters,
    letter_by_letter,
    unit_regex,
)
from kleidi.text.marked import ACC, DIA, MARKER_SPLIT, MARKS, to_marked

#: Surnames longer than this (in characters) are refused outright: no real
#: surname is that long and the compiled pattern would be needlessly large.
MAX_SURNAME_CHARS = 256

#: Units R10 reads together although ELOT 743 does not: γι before a vowel
#: (Γιάννης: Giannis, Yannis, Yiannis; Άγιος: Agios, Ayios).
R10_UNITS = {"γι": f"γι(?!{DIA})(?={ACC}?[αεηιουω])"}

#: Spellings R10 accepts besides ELOT 743's own (DESIGN R10, docs/greek.md §2),
#: per unit (a letter, a pair, the nasal γ, a unit of R10_UNITS): the ones
#: older passports and English usage have. A pair not listed is read letter
#: by letter.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "μπ": (),
    "ντ": ("d",),
    "γγ": ("gg",),
    "γκ": ("g", "nk"),
    "γξ": ("gx", "nks", "gks"),
    "γχ": ("nh", "nx", "gh", "gx", "gch"),
    NASAL: ("g",),
    "γι": ("y", "yi"),
    "αυ": ("au",),
    "ευ": ("eu",),
    "ηυ": ("iu",),
    "ου": ("u",),
    "ει": ("i", "y"),
    "οι": ("i", "y", "e", "oe"),
    "υι": ("i", "y"),
    "β": ("b",),
    "η": ("y", "e"),
    "ι": ("y",),
    "κ": ("c",),
    "υ": ("i",),
    "φ": ("ph",),
    "ξ": ("ks",),
    "χ": ("h", "x"),
}

_UNITS, _UNIT_GROUPS = unit_regex(R10_UNITS)
_PART_SPLIT = re.compile(r"[\s\-\u2010-\u2015\u2212\ufe63\uff0d_/]+")
_ATOM = re.compile(r"[a-z]|\[[a-z]+\]|\(\?:.*\)")


def spellings(unit: str) -> frozenset[str]:
    """Every spelling R10 accepts for a unit: ELOT 743's and the alternatives."""
    elot = {elot_unit.spelling for elot_unit in ELOT_UNITS if elot_unit.name == unit}
    if unit in LETTERS or unit in R10_UNITS:
        elot.add(letter_by_letter(unit))
    return frozenset(elot | set(ALTERNATIVES.get(unit, ())))


def compact_regex(words: frozenset[str]) -> str:
    """A small regular expression matching exactly ``words`` (lowercase letters).

    A trie whose heads with the same tails share a character class
    (``a[fuv]``, ``(?:[gn](?:ch|[hx]))``): classes compile faster than
    alternations, and compiling is most of the cost of checking a surname
    seen for the first time.
    """
    tails: dict[str, set[str]] = {}
    for word in words:
        if word:
            tails.setdefault(word[0], set()).add(word[1:])
    heads: dict[frozenset[str], list[str]] = {}
    for head, rest in sorted(tails.items()):
        heads.setdefault(frozenset(rest), []).append(head)
    branches = sorted(
        (chars[0] if len(chars) == 1 else f"[{''.join(chars)}]") + compact_regex(rest)
        for rest, chars in heads.items()
    )
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if "" not in words or not branches:
        return body if branches else ""
    return f"{body}?" if _ATOM.fullmatch(body) else f"(?:{body})?"


@lru_cache(maxsize=256)
def _unit_pattern(unit: str) -> str:
    if unit in ALTERNATIVES or unit in LETTERS:
        return compact_regex(spellings(unit))
    if unit in PAIRS:
        return "".join(_unit_pattern(letter) for letter in unit)
    return re.escape(ascii_letters(unit))


@lru_cache(maxsize=16384)
def _part_pattern(part: str) -> str:
    """The pattern for one part of a name, read as :func:`transliterate` reads it."""
    pieces = MARKER_SPLIT.split(part)[::2]  # literal marker characters split words
    return "".join(
        _unit_pattern(_UNIT_GROUPS[unit.lastgroup][0] or unit[0])
        for piece in pieces
        for unit in _UNITS.finditer(to_marked(piece).lower())
        if unit[0] not in MARKS
    )


def _name_patterns(name: str) -> list[str]:
    """One pattern per part of a (possibly compound) name, empty parts dropped."""
    return [p for p in (_part_pattern(part) for part in _PART_SPLIT.split(name)) if p]


@lru_cache(maxsize=4096)
def _surname_regex(surname: str, latin_surname: str) -> tuple[re.Pattern[str], bool] | None:
    """Compile the single R10 pattern for a surname (and its Latin spelling).

    Returns the pattern and whether it is anchored. A one-part surname is a
    plain pattern used with ``search``. For a compound surname each part is
    wrapped in an atomic group behind a lazy gap and the pattern is anchored
    (``match``): the parts must appear in order, and the search never
    backtracks into an earlier part, so it stays linear in the username.
    """
    branches = [parts for parts in map(_name_patterns, (surname, latin_surname)) if parts]
    if not branches:
        return None
    if all(len(parts) == 1 for parts in branches):
        return re.compile("|".join(parts[0] for parts in branches)), False
    ordered = ("".join(f"(?>.*?{p})" for p in parts) for parts in branches)
    return re.compile("|".join(ordered), re.DOTALL), True


def username_contains_surname(
    username: str, surname: str, latin_surname: str | None = None
) -> bool:
    """R10: does ``username`` contain the full surname?

    Accepts the ELOT 743 form and the alternative spellings of DESIGN R10;
    every part of a compound surname (hyphen or space) must appear, in order;
    ``latin_surname`` (a passport spelling from the sheet) is accepted too.
    A surname without letters, or longer than :data:`MAX_SURNAME_CHARS`,
    gives False.
    """
    latin_surname = latin_surname or ""
    if len(surname) > MAX_SURNAME_CHARS or len(latin_surname) > MAX_SURNAME_CHARS:
        return False
    compiled = _surname_regex(surname, latin_surname)
    if compiled is None:
        return False
    pattern, anchored = compiled
    username = username.lower()
    found = pattern.match(username) if anchored else pattern.search(username)
    return found is not None
