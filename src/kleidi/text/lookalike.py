"""Look-alike letters: words that mix Greek and Latin letters (R9 ``name.lookalike``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kleidi.text.marked import COMBINING_RANGE, GREEK_BLOCKS

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


_WORD_RE = re.compile(f"(?:[^\\W\\d_][{COMBINING_RANGE}]*)+")
_GREEK_LETTER = re.compile(f"[{GREEK_BLOCKS}]")
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
