"""Greek text helpers: ELOT 743 transcription, name matching keys, R10 checks.

Everything here is pure Python (no Django) so that the people, accounts and
sheets apps, the CLI and the benchmarks can share one implementation.

Design notes
------------
* Transliteration works on a *marked* form of the text: every Greek letter is
  reduced to its base letter, followed by private markers for the two marks
  ELOT 743 cares about (an accent or breathing, which splits a vowel pair when
  it sits on the first vowel, and a diaeresis, which splits it when it sits on
  the second).  The markers are Unicode noncharacters, which never occur in
  interchanged text; if they do occur they are protected (see
  :func:`transliterate`).
* The context rules (αυ/ευ/ηυ, ου, μπ, γ before γ/ξ/χ, capitals of θ/χ/ψ) are
  applied with a handful of compiled regular expressions and the rest is one
  ``str.translate``: all the heavy lifting happens in C, so the cost is linear
  in the length of the input and a 10 MB string takes well under a second.
* The R10 surname check compiles one regular expression per surname (cached)
  that accepts the ELOT form and the common alternative spellings listed in
  DESIGN R10, instead of enumerating spellings (which grows exponentially).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Lookalike",
    "lookalikes",
    "match_key",
    "suggest_usernames",
    "transliterate",
    "username_contains_surname",
    "username_form",
]

# --------------------------------------------------------------------------
# Letters and markers

LOWER = "αβγδεζηθικλμνξοπρσςτυφχψω"
UPPER = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
GREEK_LETTERS = LOWER + UPPER

#: Marker for an accent or breathing on the preceding Greek letter.
ACC = "\ufdd0"
#: Marker for a diaeresis on the preceding Greek letter.
DIA = "\ufdd1"
MARKS = ACC + DIA

_ACCENT_COMBINING = frozenset("\u0300\u0301\u0342\u0313\u0314")
_DIAERESIS = "\u0308"

# Letter variants that are Greek letters in all but code point.
_VARIANTS = {
    "ϐ": "β",
    "ϑ": "θ",
    "ϕ": "φ",
    "ϰ": "κ",
    "ϱ": "ρ",
    "ϲ": "σ",
    "Ϲ": "Σ",
    "ϵ": "ε",
    "ϴ": "Θ",
    "ϖ": "π",
}

_GREEK_BLOCKS = "\u0370-\u03ff\u1f00-\u1fff"
_COMBINING_RANGE = "\u0300-\u036f"


def _marked(base: str, marks: str) -> str:
    """Render a base letter followed by the ELOT-relevant markers."""
    out = _VARIANTS.get(base, base)
    if _DIAERESIS in marks:
        out += DIA
    if any(m in _ACCENT_COMBINING for m in marks):
        out += ACC
    return out


def _build_mark_table() -> dict[int, str]:
    """Map every precomposed Greek letter to its base letter plus markers."""
    table: dict[int, str] = {}
    for cp in (*range(0x0370, 0x0400), *range(0x1F00, 0x2000)):
        char = chr(cp)
        decomposed = unicodedata.normalize("NFD", char)
        base = _VARIANTS.get(decomposed[0], decomposed[0])
        if base not in GREEK_LETTERS:
            continue
        rendered = _marked(base, decomposed[1:])
        if rendered != char:
            table[cp] = rendered
    return table


_MARK_TABLE = _build_mark_table()
_COMBINING_AFTER_GREEK = re.compile(f"[{_GREEK_BLOCKS}][{_COMBINING_RANGE}]+")
_HAS_COMBINING = re.compile(f"[{_COMBINING_RANGE}]")
_HAS_GREEK = re.compile(f"[{_GREEK_BLOCKS}]")
_MARKER_SPLIT = re.compile(f"([{MARKS}]+)")


def _mark_combining(match: re.Match[str]) -> str:
    decomposed = unicodedata.normalize("NFD", match[0])
    base = _VARIANTS.get(decomposed[0], decomposed[0])
    if base not in GREEK_LETTERS:
        return match[0]
    return _marked(base, decomposed[1:])


_MONOTONIC = {chr(cp): _MARK_TABLE[cp] for cp in _MARK_TABLE if cp < 0x0400}
_RARE_GREEK = re.compile("[\u1f00-\u1fff" + "".join(_VARIANTS) + "]")


def to_marked(text: str) -> str:
    """Return ``text`` with Greek letters as base letters plus markers.

    Works for NFC and NFD input, monotonic and polytonic; iota subscripts and
    other marks ELOT 743 ignores are dropped. Non-Greek characters are kept.
    Monotonic text (the usual case) takes a faster path of plain replacements.
    """
    if _HAS_COMBINING.search(text):
        text = _COMBINING_AFTER_GREEK.sub(_mark_combining, text)
    if _RARE_GREEK.search(text):
        return text.translate(_MARK_TABLE)
    for char, rendered in _MONOTONIC.items():
        if char in text:
            text = text.replace(char, rendered)
    return text


# --------------------------------------------------------------------------
# ELOT 743 transliteration

_VOWELS = "αεηιουωΑΕΗΙΟΥΩ"
# Before these (and vowels) αυ/ευ/ηυ give av/ev/iv; otherwise af/ef/if.
_VOICED = _VOWELS + "βγδζλμνρΒΓΔΖΛΜΝΡbB"
_WORD = GREEK_LETTERS + MARKS

_UPPERS = UPPER + "A-Z"
_LOWERS = LOWER + "a-z"
_M = f"[{MARKS}]"
_NOT_WORD_AFTER = f"(?![{_WORD}])"


def _capital_digraph_rule(letter: str, latin: str) -> tuple[str, re.Pattern[str], str]:
    """Θ/Χ/Ψ inside an all-capital word: before a capital, or last after one."""
    after_capital = "|".join(f"(?<=[{_UPPERS}]{m}{letter})" for m in ("", _M, _M + _M))
    pattern = f"{letter}(?:(?={_M}?{_M}?[{_UPPERS}])|(?:{after_capital})(?!{_M}?{_M}?[{_LOWERS}]))"
    return letter, re.compile(pattern), latin


# The context rules of ELOT 743, in order: (trigger, pattern, replacement).
# Each replaces Greek letters by Latin ones with a fixed string (fast, in C);
# a rule runs only when its trigger letter occurs in the text.
_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("υ", re.compile(f"υ(?<=[οΟ]υ)(?!{DIA})"), "u"),
    ("Υ", re.compile(f"Υ(?<=[οΟ]Υ)(?!{DIA})"), "U"),
    ("υ", re.compile(f"υ(?<=[αεηΑΕΗ]υ)(?={ACC}?[{_VOICED}])"), "v"),
    ("Υ", re.compile(f"Υ(?<=[αεηΑΕΗ]Υ)(?={ACC}?[{_VOICED}])"), "V"),
    ("υ", re.compile(f"υ(?<=[αεηΑΕΗ]υ)(?!{DIA})"), "f"),
    ("Υ", re.compile(f"Υ(?<=[αεηΑΕΗ]Υ)(?!{DIA})"), "F"),
    ("μ", re.compile(f"μ(?:(?<![{_WORD}]μ)[πΠ]|[πΠ]{_NOT_WORD_AFTER})"), "b"),
    ("Μ", re.compile(f"Μ(?:(?<![{_WORD}]Μ)[πΠ]|[πΠ]{_NOT_WORD_AFTER})"), "B"),
    ("γ", re.compile("γ(?=[γξχΓΞΧ])"), "n"),
    ("Γ", re.compile("Γ(?=[γξχΓΞΧ])"), "N"),
    _capital_digraph_rule("Θ", "TH"),
    _capital_digraph_rule("Χ", "CH"),
    _capital_digraph_rule("Ψ", "PS"),
)

#: ELOT 743 for each lowercase letter taken alone (context rules aside).
ELOT_LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip
_LATIN_TABLE: dict[int, str | None] = {ord(k): v for k, v in ELOT_LETTERS.items()}
_LATIN_TABLE.update({ord(k.upper()): v.capitalize() for k, v in ELOT_LETTERS.items() if k != "ς"})
_LATIN_TABLE.update({ord(m): None for m in MARKS})


_LATIN_REPLACEMENTS = tuple((chr(cp), latin or "") for cp, latin in _LATIN_TABLE.items())
#: Above this length, per-letter ``str.replace`` beats one ``str.translate``
#: (which looks every character up in a dict).
_REPLACE_THRESHOLD = 4096


def _to_latin(text: str) -> str:
    """Replace the remaining Greek letters one for one and drop markers."""
    if len(text) < _REPLACE_THRESHOLD:
        return text.translate(_LATIN_TABLE)
    for greek, latin in _LATIN_REPLACEMENTS:
        if greek in text:
            text = text.replace(greek, latin)
    return text


def _transliterate_marked(text: str) -> str:
    for trigger, pattern, latin in _RULES:
        if trigger in text:
            text = pattern.sub(latin, text)
    return _to_latin(text)


def transliterate(text: str) -> str:
    """Transcribe Greek letters to Latin with ELOT 743 (passport practice).

    Accents are dropped; a diaeresis on the second vowel, or an accent on the
    first, splits a vowel pair. Capital θ/χ/ψ give ``TH``/``CH``/``PS`` inside
    all-capital words and ``Th``/``Ch``/``Ps`` otherwise. Every character that
    is not a Greek letter passes through unchanged.
    """
    if not _HAS_GREEK.search(text):
        return text
    if DIA in text or ACC in text:
        # The input carries our private markers: keep them as literal text.
        parts = _MARKER_SPLIT.split(text)
        return "".join(
            part if i % 2 else _transliterate_marked(to_marked(part))
            for i, part in enumerate(parts)
        )
    return _transliterate_marked(to_marked(text))


_NOT_ASCII_LOWER = re.compile("[^a-z]+")


def _ascii_letters(text: str) -> str:
    """Lowercase ASCII letters of ``text``, with Latin diacritics stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    return _NOT_ASCII_LOWER.sub("", text.lower())


def username_form(text: str) -> str:
    """The ELOT 743 transliteration reduced to lowercase ASCII letters.

    Spaces, hyphens, apostrophes, digits and any other non-letters are removed,
    because usernames (R7) admit only ASCII letters and digits.
    """
    return _ascii_letters(transliterate(text))


# --------------------------------------------------------------------------
# Matching keys

# Combining marks (accents, tonos, dialytika, breathings, iota subscript),
# format characters (zero-width, bidi controls, BOM, soft hyphen ...) and
# control characters other than whitespace.
_DROP = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]+"
)


def match_key(text: str) -> str:
    """The key under which two spellings of a name compare equal.

    NFKD, then every combining mark (tonos, dialytika, polytonic marks and
    Latin accents alike), format and control character is dropped, then the
    text is casefolded (so σ and ς agree) and Unicode whitespace, including
    NBSP, is collapsed to single spaces and trimmed.
    """
    text = _DROP.sub("", unicodedata.normalize("NFKD", text))
    text = text.casefold()
    if not text.isascii():
        text = _DROP.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(text.split())


# --------------------------------------------------------------------------
# R10: the username contains the surname

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
    return re.escape(_ascii_letters(unit))


@lru_cache(maxsize=16384)
def _part_pattern(part: str) -> str:
    """The pattern for one part of a name, read as :func:`transliterate` reads it."""
    pieces = _MARKER_SPLIT.split(part)[::2]  # literal marker characters split words
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


# --------------------------------------------------------------------------
# Username suggestions

#: How many numbered variants are tried before giving up.
MAX_NUMBERED_ATTEMPTS = 1000


def _candidates(given: str, surname: str, max_length: int):
    """Yield username candidates in the documented order, unchecked."""
    initial = given[:1]
    yield initial + surname
    yield given[: max(max_length - len(surname), 1)] + surname
    yield surname + initial
    for n in range(2, MAX_NUMBERED_ATTEMPTS + 2):
        digits = str(n)
        room = max_length - len(digits)
        base = initial + surname if len(initial + surname) <= room else surname
        yield base + digits


def suggest_usernames(
    given: str,
    surname: str,
    *,
    max_length: int,
    accept: Callable[[str], bool],
    limit: int = 5,
) -> list[str]:
    """Free, valid usernames that satisfy R10, best first.

    Order: ``gpapadopoulos``, ``giorgospapadopoulos``, ``papadopoulosg``,
    then ``gpapadopoulos2``, ``gpapadopoulos3`` ... The given name is cut
    when the result would exceed ``max_length``; the surname never is, so a
    surname whose ELOT form alone is longer (or has no letters) yields an
    empty list: such a username must be chosen by hand. ``accept`` is the
    caller's username policy (syntax, reserved names, taken names: R5, R7,
    R11), so this module needs no settings.
    """
    given_form, surname_form = username_form(given), username_form(surname)
    if not surname_form or len(surname_form) > max_length or limit <= 0:
        return []
    found: list[str] = []
    seen: set[str] = set()
    for name in _candidates(given_form, surname_form, max_length):
        if name in seen or len(name) > max_length:
            continue
        seen.add(name)
        if accept(name):
            found.append(name)
            if len(found) >= limit:
                break
    return found


# --------------------------------------------------------------------------
# Look-alike letters


#: Latin letters and the Greek letters they are confused with.
LATIN_TO_GREEK = {
    **dict(zip("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", strict=True)),
    **dict(zip("aoukivtpxyenw", "αουκιντρχγεηω", strict=True)),
}
#: Greek letters and the Latin letters they are confused with.
GREEK_TO_LATIN = {greek: latin for latin, greek in LATIN_TO_GREEK.items()}


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A word that mixes Greek and Latin letters that look alike.

    ``script`` is the script the word most likely meant (``"greek"`` or
    ``"latin"``); ``suggestion`` is the word written wholly in that script, or
    None when some foreign letter has no look-alike; ``positions`` are the
    offsets (in the text given to :func:`lookalikes`) of the foreign letters.
    """

    word: str
    start: int
    script: str
    suggestion: str | None
    positions: tuple[int, ...]


_WORD_RE = re.compile(f"(?:[^\\W\\d_][{_COMBINING_RANGE}]*)+")
_GREEK_LETTER = re.compile(f"[{_GREEK_BLOCKS}]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def _script(char: str) -> str | None:
    if _GREEK_LETTER.match(char):
        return "greek"
    if _LATIN_LETTER.match(char):
        return "latin"
    return None


def _analyse(word: str, start: int) -> Lookalike:
    scripts = [_script(c) for c in word]
    greek = scripts.count("greek")
    latin = scripts.count("latin")
    only_greek = sum(
        1 for c, s in zip(word, scripts, strict=True) if s == "greek" and c not in GREEK_TO_LATIN
    )
    only_latin = sum(
        1 for c, s in zip(word, scripts, strict=True) if s == "latin" and c not in LATIN_TO_GREEK
    )
    if bool(only_greek) != bool(only_latin):
        target = "greek" if only_greek else "latin"
    else:
        target = "greek" if greek >= latin else "latin"
    table = LATIN_TO_GREEK if target == "greek" else GREEK_TO_LATIN
    foreign = "latin" if target == "greek" else "greek"
    positions = tuple(start + i for i, s in enumerate(scripts) if s == foreign)
    converted = [table.get(c, c) if s == foreign else c for c, s in zip(word, scripts, strict=True)]
    fixable = all(word[i - start] in table for i in positions)
    return Lookalike(
        word=word,
        start=start,
        script=target,
        suggestion="".join(converted) if fixable else None,
        positions=positions,
    )


def lookalikes(text: str) -> list[Lookalike]:
    """The words of ``text`` that mix Greek and Latin letters (R9 name.lookalike).

    Words written wholly in one script are not reported.
    """
    found = []
    for match in _WORD_RE.finditer(text):
        word = match[0]
        if _GREEK_LETTER.search(word) and _LATIN_LETTER.search(word):
            found.append(_analyse(word, match.start()))
    return found
