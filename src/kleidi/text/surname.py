"""R10: does a username contain the surname, in ELOT 743 or a common spelling?

One regular expression per surname (cached) accepts the ELOT form and the
alternative spellings listed in DESIGN R10, instead of enumerating spellings
(which grows exponentially).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kleidi.text.elot743 import ELOT_LETTERS, ascii_letters
from kleidi.text.marked import DIA, LOWER, MARKER_SPLIT, to_marked

#: Surnames longer than this (in characters) are refused outright: no real
#: surname is that long and the compiled pattern would be needlessly large.
MAX_SURNAME_CHARS = 256

# Units of a marked, lowercase surname, tokenised as ELOT 743 reads them
# (a γ before γ/ξ/χ that does not start a pair is nasal: γγξ → nnx).
_UNIT = re.compile(
    f"μπ|ντ|γγ(?![γξχ])|γκ|γξ|γχ|(?P<nasal>γ)(?=[γξχ])|[αεη]υ(?!{DIA})|ου(?!{DIA})"
    f"|[εου]ι(?!{DIA})|.",
    re.DOTALL,
)

# Spellings accepted per unit (DESIGN R10), ELOT form included.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "μπ": ("b", "mp"),
    "ντ": ("d", "nt"),
    "γγ": ("ng", "gg"),
    "γκ": ("g", "gk", "nk"),
    "γξ": ("nx", "gx", "nks", "gks"),
    "γχ": ("nh", "nx", "gh", "gx", "nch", "gch"),
    "nasal γ": ("n", "g"),
    "αυ": ("av", "af", "au"),
    "ευ": ("ev", "ef", "eu"),
    "ηυ": ("iv", "if", "iu"),
    "ου": ("u", "ou"),
    "ει": ("i", "y", "ei"),
    "οι": ("i", "y", "oi"),
    "υι": ("i", "y", "yi"),
    "β": ("b", "v"),
    "η": ("i", "y"),
    "ι": ("i", "y"),
    "υ": ("i", "y"),
    "θ": ("th",),
    "φ": ("f", "ph"),
    "ξ": ("x", "ks"),
    "ψ": ("ps",),
    "χ": ("h", "x", "ch"),
    "ω": ("o",),
}
_PART_SPLIT = re.compile(r"[\s\-\u2010-\u2015\u2212\ufe63\uff0d_/]+")


# The same spellings as compact regular expressions: character classes and
# optional letters compile about twice as fast as alternations, and compiling
# is most of the cost of checking a surname seen for the first time.
UNIT_REGEX: dict[str, str] = {
    "μπ": "(?:b|mp)",
    "ντ": "(?:d|nt)",
    "γγ": "[ng]g",
    "γκ": "(?:g|[gn]k)",
    "γξ": "[ng](?:x|ks)",
    "γχ": "[ng](?:c?h|x)",
    "nasal γ": "[ng]",
    "αυ": "a[vfu]",
    "ευ": "e[vfu]",
    "ηυ": "i[vfu]",
    "ου": "o?u",
    "ει": "(?:e?i|y)",
    "οι": "(?:o?i|y)",
    "υι": "(?:y?i|y)",
    "β": "[bv]",
    "η": "[iy]",
    "ι": "[iy]",
    "υ": "[iy]",
    "θ": "th",
    "φ": "(?:f|ph)",
    "ξ": "(?:x|ks)",
    "ψ": "ps",
    "χ": "(?:c?h|x)",
    "ω": "o",
}


def _unit_pattern(unit: str) -> str:
    compact = UNIT_REGEX.get(unit)
    if compact is not None:
        return compact
    if unit in LOWER:
        return ELOT_LETTERS[unit]
    return re.escape(ascii_letters(unit))


@lru_cache(maxsize=16384)
def _part_pattern(part: str) -> str:
    """The pattern for one part of a name, read as :func:`transliterate` reads it."""
    pieces = MARKER_SPLIT.split(part)[::2]  # literal marker characters split words
    return "".join(
        _unit_pattern("nasal γ" if unit.lastgroup == "nasal" else unit[0])
        for piece in pieces
        for unit in _UNIT.finditer(to_marked(piece).lower())
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
