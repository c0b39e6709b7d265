"""The marked form of Greek text: base letters plus the two marks ELOT 743 reads.

Every Greek letter is reduced to its base letter, followed by private markers
for the two marks that matter to ELOT 743: an accent or breathing, which
splits a vowel pair when it sits on the first vowel, and a diaeresis, which
splits it when it sits on the second. The markers are Unicode noncharacters,
which never occur in interchanged text; literal ones in the input are
protected by the callers (:func:`kleidi.text.elot743.transliterate`).
"""

from __future__ import annotations

import re
import unicodedata

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

GREEK_BLOCKS = "\u0370-\u03ff\u1f00-\u1fff"
COMBINING_RANGE = "\u0300-\u036f"


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
_COMBINING_AFTER_GREEK = re.compile(f"[{GREEK_BLOCKS}][{COMBINING_RANGE}]+")
_HAS_COMBINING = re.compile(f"[{COMBINING_RANGE}]")
HAS_GREEK = re.compile(f"[{GREEK_BLOCKS}]")
MARKER_SPLIT = re.compile(f"([{MARKS}]+)")


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
