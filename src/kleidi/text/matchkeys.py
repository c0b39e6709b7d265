"""Matching keys: the form under which two spellings of a name compare equal (DESIGN §6)."""

from __future__ import annotations

import re
import unicodedata

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
