"""ELOT 743 (ISO 843) transliteration, passport practice, and its one table.

:data:`LETTERS` and :data:`PAIRS` are the standard's table; everything that
reads Greek as ELOT 743 does derives from them through :func:`unit_regex`:
:func:`transliterate`, the R10 surname check (:mod:`kleidi.text.surname`)
and the greeklish spellings of the strength dictionaries
(:mod:`kleidi.text.dictionaries`).

Every context (word boundaries, the letter after αυ, capitals around θ/χ/ψ)
is judged on the Greek input, in one pass: the regular expression's
lookarounds see the marked form (:mod:`kleidi.text.marked`), never a partly
transliterated one. The letters outside pairs are mapped by one
``str.translate``, so the cost stays linear in the length of the input.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from kleidi.text.marked import (
    ACC,
    DIA,
    GREEK_LETTERS,
    HAS_GREEK,
    LOWER,
    MARKER_SPLIT,
    MARKS,
    UPPER,
    to_marked,
)

#: ELOT 743 for each lowercase letter taken alone.
LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip

#: A pair of :data:`PAIRS` with two spellings takes the first in this context.
BEFORE_VOICED = "before a vowel or β γ δ ζ λ μ ν ρ"
AT_WORD_EDGE = "at the start or the end of a word"

#: The pairs of ELOT 743's table: one spelling, or (in context, elsewhere).
#: A vowel pair is read as two letters when an accent sits on its first
#: letter or a diaeresis on its second.
PAIRS: dict[str, str | tuple[str, str, str]] = {
    "αι": "ai",
    "ει": "ei",
    "οι": "oi",
    "υι": "yi",
    "ου": "ou",
    "αυ": ("av", "af", BEFORE_VOICED),
    "ευ": ("ev", "ef", BEFORE_VOICED),
    "ηυ": ("iv", "if", BEFORE_VOICED),
    "μπ": ("b", "mp", AT_WORD_EDGE),
    "ντ": "nt",
    "γγ": "ng",
    "γκ": "gk",
    "γξ": "nx",
    "γχ": "nch",
}

#: γ before γ, ξ or χ is nasal (γγξ → nnx): the unit ``NASAL``, spelled n.
NASAL = "nasal γ"
NASAL_SPELLING = "n"
_NASAL_BEFORE = "γξχ"

_VOWELS = "αεηιουω"
_VOICED = _VOWELS + "βγδζλμνρ"
_WORD = GREEK_LETTERS + MARKS
_UPPERS = UPPER + "A-Z"
_LOWERS = LOWER + "a-z"


def _either_case(letters: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in letters)


_CONTEXTS = {
    BEFORE_VOICED: ("", f"(?={ACC}?[{_VOICED}{_VOICED.upper()}])"),
    AT_WORD_EDGE: (f"(?<![{_WORD}])", ""),
}
_AT_WORD_END = f"(?![{_WORD}])"
_NASAL_CLASS = f"[{_NASAL_BEFORE}{_NASAL_BEFORE.upper()}]"


@dataclass(frozen=True, slots=True)
class Unit:
    """One reading of ELOT 743's table: letters, their spelling, and where it holds.

    ``before`` and ``after`` are zero-width regular expressions judged on the
    marked Greek text around the letters (either case).
    """

    name: str
    spelling: str
    letters: str
    before: str = ""
    after: str = ""

    @property
    def regex(self) -> str:
        return self.before + self._letters_regex() + self.after

    def _letters_regex(self) -> str:
        if len(self.letters) == 1:
            return _either_case(self.letters)
        # A diaeresis on the second letter splits a pair; so does an accent
        # on the first (its marker then sits between the two letters).
        nasal = f"(?!{_NASAL_CLASS})" if self.letters[1] == "γ" else ""
        return f"{_either_case(self.letters)}(?!{DIA}){nasal}"

    def transliteration_regex(self) -> tuple[str, str, str]:
        """(regex, letters consumed, their Latin): only the letters that change.

        The other letter of a pair is left to the one-for-one table and its
        context becomes a lookaround, so the scan stops on few letters.
        """
        pieces = _pieces(self)
        if len(self.letters) == 1:
            return self.regex, self.letters, pieces[0]
        first, second = (_either_case(c) for c in self.letters)
        tail = self._letters_regex()[len(first) + len(second) :]
        if pieces[0] == LETTERS[self.letters[0]]:
            regex = f"(?<={self.before}{first}){second}{tail}{self.after}"
            return regex, self.letters[1], pieces[1]
        if pieces[1] == LETTERS[self.letters[1]]:
            regex = f"{self.before}{first}(?={second}{tail}{self.after})"
            return regex, self.letters[0], pieces[0]
        return self.regex, self.letters, pieces[0] + pieces[1]


def _pieces(unit: Unit) -> tuple[str, ...]:
    """The spelling cut into one piece per letter of the unit, for its case."""
    if len(unit.letters) == 1:
        return (unit.spelling,)
    first, second = LETTERS[unit.letters[0]], LETTERS[unit.letters[1]]
    if unit.spelling.endswith(second):
        return unit.spelling[: -len(second)], second
    if unit.spelling.startswith(first):
        return first, unit.spelling[len(first) :]
    return unit.spelling, ""


def _elot_units() -> tuple[Unit, ...]:
    """Every pair of :data:`PAIRS` in each of its contexts, then the nasal γ."""
    units = []
    for pair, spelling in PAIRS.items():
        if isinstance(spelling, str):
            units.append(Unit(pair, spelling, pair))
            continue
        in_context, elsewhere, context = spelling
        before, after = _CONTEXTS[context]
        if context == AT_WORD_EDGE:
            units.append(Unit(pair, in_context, pair, before=before))
            units.append(Unit(pair, in_context, pair, after=_AT_WORD_END))
        else:
            units.append(Unit(pair, in_context, pair, before, after))
        units.append(Unit(pair, elsewhere, pair))
    units.append(Unit(NASAL, NASAL_SPELLING, "γ", after=f"(?={_NASAL_CLASS})"))
    return tuple(units)


#: ELOT 743's table as units, in the order they are tried.
ELOT_UNITS = _elot_units()


def letter_by_letter(letters: str) -> str:
    """Letters spelled one by one, with no pair read together."""
    return "".join(LETTERS.get(c, "") for c in letters.lower())


def unit_regex(
    extra: Mapping[str, str] | None = None,
) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """One regular expression reading a word unit by unit, as ELOT 743 does.

    Returns the pattern and, per named group, the unit's name and its ELOT
    spelling there; any other character is a unit of its own (group
    ``one``). ``extra`` adds units of the caller's own (name → regex, tried
    first; spelled letter by letter).
    """
    groups: dict[str, tuple[str, str]] = {}
    branches = []
    units = [(name, letter_by_letter(name), regex) for name, regex in (extra or {}).items()]
    units += [(unit.name, unit.spelling, unit.regex) for unit in ELOT_UNITS]
    for name, spelling, regex in units:
        group = f"u{len(groups)}"
        groups[group] = (name, spelling)
        branches.append(f"(?P<{group}>{regex})")
    groups["one"] = ("", "")
    branches.append("(?P<one>.)")
    return re.compile("|".join(branches), re.DOTALL), groups


# --------------------------------------------------------------------------
# Transliteration


def _transliteration() -> tuple[re.Pattern[str], dict[tuple[str, str], str]]:
    """The one-pass pattern for the letters whose spelling depends on context.

    Returns it with the Latin for each (group, letters) it can match.
    """
    replacements: dict[tuple[str, str], str] = {}
    branches = []
    consumed: set[str] = set()
    for unit in ELOT_UNITS:
        if unit.spelling == letter_by_letter(unit.letters):
            continue
        regex, letters, latin = unit.transliteration_regex()
        group = f"u{len(branches)}"
        branches.append(f"(?P<{group}>{regex})")
        consumed.update(letters[0], letters[0].upper())
        for found in itertools.product(*({c, c.upper()} for c in letters)):
            # The case follows the first letter: ΜΠ and Μπ give B.
            replacements[group, "".join(found)] = latin.upper() if found[0].isupper() else latin
    # Capital θ/χ/ψ: TH inside an all-capital word (before a capital, or
    # ending a word after one), Th elsewhere.
    m = f"[{MARKS}]"
    after_capital = "|".join(f"(?<=[{_UPPERS}]{marks}.)" for marks in ("", m, m + m))
    capitals = f"[{''.join(_CAPITAL_DIGRAPHS)}]"
    contexts = (
        (f"(?={m}?{m}?[{_UPPERS}])|(?:{after_capital})(?!{m}?{m}?[{_LOWERS}])", str.upper),
        ("", str.capitalize),
    )
    for context, case in contexts:
        group = f"u{len(branches)}"
        branches.append(f"(?P<{group}>{capitals}(?:{context}))")
        for letter, latin in _CAPITAL_DIGRAPHS.items():
            consumed.add(letter)
            replacements[group, letter] = case(latin)
    pattern = f"(?=[{''.join(sorted(consumed))}])(?:{'|'.join(branches)})"
    return re.compile(pattern), replacements


_CAPITAL_DIGRAPHS = {c.upper(): LETTERS[c] for c in "θχψ"}
_TRANSLITERATION, _REPLACEMENTS = _transliteration()


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS[match.lastgroup, match[0]]


_LATIN_TABLE: dict[int, str | None] = {ord(k): v for k, v in LETTERS.items()}
_LATIN_TABLE.update({ord(k.upper()): v.capitalize() for k, v in LETTERS.items() if k != "ς"})
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
    return _to_latin(_TRANSLITERATION.sub(_replace, text))


def transliterate(text: str) -> str:
    """Transcribe Greek letters to Latin with ELOT 743 (passport practice).

    Accents are dropped; a diaeresis on the second vowel, or an accent on the
    first, splits a vowel pair. Capital θ/χ/ψ give ``TH``/``CH``/``PS`` inside
    all-capital words and ``Th``/``Ch``/``Ps`` otherwise. Every character that
    is not a Greek letter passes through unchanged.
    """
    if not HAS_GREEK.search(text):
        return text
    if DIA in text or ACC in text:
        # The input carries our private markers: keep them as literal text.
        parts = MARKER_SPLIT.split(text)
        return "".join(
            part if i % 2 else _transliterate_marked(to_marked(part))
            for i, part in enumerate(parts)
        )
    return _transliterate_marked(to_marked(text))


_NOT_ASCII_LOWER = re.compile("[^a-z]+")


def ascii_letters(text: str) -> str:
    """Lowercase ASCII letters of ``text``, with Latin diacritics stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    return _NOT_ASCII_LOWER.sub("", text.lower())


def username_form(text: str) -> str:
    """The ELOT 743 transliteration reduced to lowercase ASCII letters.

    Spaces, hyphens, apostrophes, digits and any other non-letters are removed,
    because usernames (R7) admit only ASCII letters and digits.
    """
    return ascii_letters(transliterate(text))
