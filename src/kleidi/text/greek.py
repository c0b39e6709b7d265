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


def to_marked(text: str) -> str:
    """Return ``text`` with Greek letters as base letters plus markers.

    Works for NFC and NFD input, monotonic and polytonic; iota subscripts and
    other marks ELOT 743 ignores are dropped. Non-Greek characters are kept.
    """
    if _HAS_COMBINING.search(text):
        text = _COMBINING_AFTER_GREEK.sub(_mark_combining, text)
    return text.translate(_MARK_TABLE)


# --------------------------------------------------------------------------
# ELOT 743 transliteration

_VOWELS = "αεηιουωΑΕΗΙΟΥΩ"
# Before these (and vowels) αυ/ευ/ηυ give av/ev/iv; otherwise af/ef/if.
_VOICED = _VOWELS + "βγδζλμνρΒΓΔΖΛΜΝΡbB"
_WORD = GREEK_LETTERS + MARKS

_UPSILON_PAIR = re.compile(f"([αεηοΑΕΗΟ])([υΥ])(?!{DIA})")
_MP = re.compile(f"(?<![{_WORD}])([μΜ])[πΠ]|([μΜ])[πΠ](?![{_WORD}])")
_NASAL_GAMMA_LOWER = re.compile("γ(?=[γξχΓΞΧ])")
_NASAL_GAMMA_UPPER = re.compile("Γ(?=[γξχΓΞΧ])")
_UPPERS = UPPER + "A-Z"
_LOWERS = LOWER + "a-z"
_M = f"[{MARKS}]"
_CAPITAL_DIGRAPH = re.compile(
    f"[ΘΧΨ](?={_M}?{_M}?[{_UPPERS}])"
    f"|(?:(?<=[{_UPPERS}])|(?<=[{_UPPERS}]{_M})|(?<=[{_UPPERS}]{_M}{_M}))"
    f"[ΘΧΨ](?!{_M}?{_M}?[{_LOWERS}])"
)
_CAPITAL_DIGRAPH_TEXT = {"Θ": "TH", "Χ": "CH", "Ψ": "PS"}

ELOT_LETTERS = dict(
    zip(
        LOWER,
        ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r"]
        + ["s", "s", "t", "y", "f", "ch", "ps", "o"],
        strict=True,
    )
)
_LATIN_TABLE: dict[int, str | None] = {ord(k): v for k, v in ELOT_LETTERS.items()}
_LATIN_TABLE.update({ord(k.upper()): v.capitalize() for k, v in ELOT_LETTERS.items() if k != "ς"})
_LATIN_TABLE.update({ord(m): None for m in MARKS})


def _upsilon_pair(match: re.Match[str]) -> str:
    """ου → ou; αυ/ευ/ηυ → v before voiced sounds, f otherwise."""
    first, upsilon = match[1], match[2]
    if first in "οΟ":
        latin = "u"
    else:
        text, pos = match.string, match.end()
        if pos < len(text) and text[pos] == ACC:
            pos += 1
        latin = "v" if pos < len(text) and text[pos] in _VOICED else "f"
    return first + (latin.upper() if upsilon == "Υ" else latin)


def _mp(match: re.Match[str]) -> str:
    mu = match[1] or match[2]
    return "B" if mu == "Μ" else "b"


def _capital_digraph(match: re.Match[str]) -> str:
    return _CAPITAL_DIGRAPH_TEXT[match[0]]


def _transliterate_marked(text: str) -> str:
    if "υ" in text or "Υ" in text:
        text = _UPSILON_PAIR.sub(_upsilon_pair, text)
    if "π" in text or "Π" in text:
        text = _MP.sub(_mp, text)
    if "γ" in text:
        text = _NASAL_GAMMA_LOWER.sub("n", text)
    if "Γ" in text:
        text = _NASAL_GAMMA_UPPER.sub("N", text)
    if "Θ" in text or "Χ" in text or "Ψ" in text:
        text = _CAPITAL_DIGRAPH.sub(_capital_digraph, text)
    return text.translate(_LATIN_TABLE)


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

_UNIT = re.compile(
    f"μπ|ντ|γγ|γκ|γξ|γχ|[αεη]υ(?!{DIA})|ου(?!{DIA})|[εου]ι(?!{DIA})|.",
    re.DOTALL,
)

# Spellings accepted per unit (DESIGN R10), ELOT form included, shortest first.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "μπ": ("b", "mp"),
    "ντ": ("d", "nt"),
    "γγ": ("ng", "gg"),
    "γκ": ("g", "gk", "nk"),
    "γξ": ("nx", "gx", "nks", "gks"),
    "γχ": ("nh", "nx", "gh", "gx", "nch", "gch"),
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


def _unit_pattern(unit: str) -> str:
    spellings = _SPELLINGS.get(unit)
    if spellings is None:
        if unit in LOWER:
            spellings = (ELOT_LETTERS[unit],)
        else:
            letters = _ascii_letters(unit)
            return re.escape(letters)
    if len(spellings) == 1:
        return spellings[0]
    return "(?:" + "|".join(spellings) + ")"


def _part_pattern(part: str) -> str:
    marked = to_marked(part).lower()
    return "".join(_unit_pattern(unit) for unit in _UNIT.findall(marked))


def _name_patterns(name: str) -> list[str]:
    """One pattern per part of a (possibly compound) name, empty parts dropped."""
    return [p for p in (_part_pattern(part) for part in _PART_SPLIT.split(name)) if p]


@lru_cache(maxsize=4096)
def _surname_regex(surname: str, latin_surname: str) -> re.Pattern[str] | None:
    """Compile the single R10 pattern for a surname (and its Latin spelling).

    Each part is wrapped in an atomic group behind a lazy gap, so the search
    never backtracks into an earlier part and stays linear in the username.
    """
    branches = []
    for name in (surname, latin_surname):
        parts = _name_patterns(name)
        if parts:
            branches.append("".join(f"(?>.*?{p})" for p in parts))
    if not branches:
        return None
    return re.compile("(?:" + "|".join(branches) + ")", re.DOTALL)


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
    pattern = _surname_regex(surname, latin_surname)
    if pattern is None:
        return False
    return pattern.match(username.lower()) is not None


# --------------------------------------------------------------------------
# Username suggestions

USERNAME_MIN = 3
USERNAME_MAX = 32
_USERNAME_SYNTAX = re.compile("[a-z][a-z0-9]{2,31}")
#: How many numbered variants are tried before giving up.
MAX_NUMBERED_ATTEMPTS = 1000


def _candidates(given: str, surname: str):
    """Yield username candidates in the documented order, unchecked."""
    initial = given[:1]
    yield initial + surname
    yield given[: max(USERNAME_MAX - len(surname), 1)] + surname
    yield surname + initial
    for n in range(2, MAX_NUMBERED_ATTEMPTS + 2):
        digits = str(n)
        room = USERNAME_MAX - len(digits)
        base = initial + surname if len(initial + surname) <= room else surname
        yield base + digits


def suggest_usernames(
    given: str, surname: str, is_taken: Callable[[str], bool], limit: int = 5
) -> list[str]:
    """Free, valid usernames that satisfy R10, best first.

    Order: ``gpapadopoulos``, ``giorgospapadopoulos``, ``papadopoulosg``,
    then ``gpapadopoulos2``, ``gpapadopoulos3`` ... The given name is cut
    when the result would exceed 32 characters; the surname never is, so a
    surname whose ELOT form alone is longer than 32 characters (or has no
    letters) yields an empty list: such a username must be chosen by hand.
    ``is_taken`` may also reject reserved names (R5, R11).
    """
    given_form, surname_form = username_form(given), username_form(surname)
    if not surname_form or len(surname_form) > USERNAME_MAX or limit <= 0:
        return []
    found: list[str] = []
    seen: set[str] = set()
    for name in _candidates(given_form, surname_form):
        if name in seen or not _USERNAME_SYNTAX.fullmatch(name):
            continue
        seen.add(name)
        if not is_taken(name):
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
