"""ELOT 743 (ISO 843) transliteration, passport practice.

The context rules (αυ/ευ/ηυ, ου, μπ, γ before γ/ξ/χ, capitals of θ/χ/ψ) are
applied with a handful of compiled regular expressions on the marked form
(:mod:`kleidi.text.marked`) and the rest is one ``str.translate``: all the
heavy lifting happens in C, so the cost is linear in the length of the input.
"""

from __future__ import annotations

import re
import unicodedata

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
