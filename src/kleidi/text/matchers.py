"""Bounded-time pattern matching and Kleidi's piece model of scoring (R25).

zxcvbn's own matchers are too slow for a strength meter that runs on every
keystroke: its dictionary matcher looks every substring up in every
dictionary, its l33t matcher repeats that for every consistent substitution
table (thousands for a password full of ``1|7@$`` ...), and its repeat matcher
recurses into those. On 100 characters that is up to several seconds.

This module produces the same kind of match records (zxcvbn's
``estimate_guesses`` still prices each match) with:

* one merged index (word → best dictionary and rank) instead of one lookup
  per dictionary, and substrings no longer than the longest word that
  begins with their first two characters;
* l33t substitutions applied all at once, enumerating only the characters
  with more than one reading (``1``, ``|``, ``7``: at most 8 tables);
* zxcvbn's spatial, sequence, regex and date matchers as they are;
* the member's data across separators, and phrases across any separators.

:func:`kleidi.text.pieces.most_guessable` then picks the cheapest sequence of matches under
Kleidi's piece model (see its docstring and docs/greek.md §5).

Results can differ from zxcvbn's in rare l33t corner cases (never by more
than choosing another reading of an ambiguous character).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from zxcvbn import matching, scoring

from kleidi.text.pieces import Match, most_guessable

_REPEAT_GREEDY = re.compile(r"(.+)\1+", re.DOTALL)
_REPEAT_LAZY = re.compile(r"(.+?)\1+", re.DOTALL)
_REPEAT_LAZY_ANCHORED = re.compile(r"(.+?)\1+", re.DOTALL)


class RankedIndex:
    """All ranked dictionaries merged into one lookup table.

    A word present in several dictionaries keeps only its best (lowest) rank:
    that is the only entry zxcvbn's scoring would ever choose for it.
    """

    def __init__(self, dictionaries: Mapping[str, Mapping[str, int]]) -> None:
        best: dict[str, tuple[str, int]] = {}
        for name, ranks in dictionaries.items():
            for word, rank in ranks.items():
                known = best.get(word)
                if known is None or rank < known[1]:
                    best[word] = (name, rank)
        self.entries = best
        self.longest_from = longest_from(best)


def longest_from(words) -> dict[str, int]:
    """The longest word beginning with each first two characters (one, for
    one-character words): the matcher looks no further from a position.
    """
    longest: dict[str, int] = {}
    for word in words:
        key = word[:2]
        if len(word) > longest.get(key, 0):
            longest[key] = len(word)
    return longest


#: Member data shorter than this (in letters and digits) is not looked for
#: across separators nor counted in :func:`user_data_share`: two letters
#: such as ``el`` occur in too many ordinary words.
MIN_SQUEEZED_USER_TOKEN = 3


class Lookup:
    """A :class:`RankedIndex` plus one call's user inputs."""

    def __init__(self, index: RankedIndex, user_inputs: list[str]) -> None:
        self.entries = index.entries
        self.user = matching.build_ranked_dict(user_inputs)
        self._index_longest = index.longest_from
        self._user_longest = longest_from(self.user)
        squeezed: dict[str, int] = {}
        for word, rank in self.user.items():
            letters = squeeze(word)[0]
            if len(letters) >= MIN_SQUEEZED_USER_TOKEN and rank < squeezed.get(letters, rank + 1):
                squeezed[letters] = rank
        #: The member's data as letters and digits only (``6912345678``).
        self.user_squeezed = squeezed

    def reach(self, text: str, i: int) -> int:
        """How many characters from ``text[i]`` can still be a known word."""
        pair, first = text[i : i + 2], text[i]
        return max(
            self._index_longest.get(pair, 0),
            self._index_longest.get(first, 0),
            self._user_longest.get(pair, 0),
            self._user_longest.get(first, 0),
        )

    def get(self, word: str) -> tuple[str, int] | None:
        hit = self.entries.get(word)
        user_rank = self.user.get(word)
        if user_rank is not None and (hit is None or user_rank < hit[1]):
            return ("user_inputs", user_rank)
        return hit


def _lower(text: str) -> str:
    """Lowercase without changing the length (indices must stay valid)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def squeeze(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text``, lowercased, with their positions.

    ``+30 691 234 5678``, ``691-234-5678`` and ``Giorgos.Papadopoulos``
    squeeze to what the member's data squeezes to.
    """
    lowered = _lower(text)
    positions = [i for i, char in enumerate(lowered) if char.isalnum()]
    return "".join(lowered[i] for i in positions), positions


def _occurrences(text: str, word: str):
    start = text.find(word)
    while start >= 0:
        yield start
        start = text.find(word, start + 1)


def _user_matches_across_separators(password: str, lookup: Lookup) -> list[Match]:
    """The member's data typed with separators inside (``69 1234 5678``)."""
    squeezed, positions = squeeze(password)
    matches = []
    for word, rank in lookup.user_squeezed.items():
        for start in _occurrences(squeezed, word):
            i, j = positions[start], positions[start + len(word) - 1]
            if j - i == len(word) - 1:
                continue  # no separator inside: the dictionary pass finds it
            matches.append(
                {
                    "pattern": "dictionary",
                    "i": i,
                    "j": j,
                    "token": password[i : j + 1],
                    "matched_word": word,
                    "rank": rank,
                    "dictionary_name": "user_inputs",
                    "reversed": False,
                    "l33t": False,
                }
            )
    return matches


def user_data_share(password: str, lookup: Lookup) -> float:
    """The share of the password's letters and digits that are member data.

    Counted on the letters and digits alone, so separators, order and case
    do not hide it, and also after undoing look-alike symbols (``P@p@``).
    """
    lowered = _lower(password)
    alnum = {i for i, char in enumerate(lowered) if char.isalnum()}
    if not alnum:
        return 0.0
    readings = [lowered] + [
        lowered.translate(str.maketrans(reading)) for reading in _l33t_readings(lowered)
    ]
    covered: set[int] = set()
    for text in readings:
        squeezed, positions = squeeze(text)
        for word in lookup.user_squeezed:
            for start in _occurrences(squeezed, word):
                covered.update(positions[start : start + len(word)])
    return len(covered & alnum) / len(alnum)


#: Characters read as word separators when looking for phrases, so that
#: ``s'agapw-para-poly`` meets the entry ``s agapw para poly``.
_PHRASE_SEPARATORS = re.compile(r"[\s\-_.,;:/'’`]")


def _phrase_matches(password: str, lookup: Lookup) -> list[Match]:
    """Phrases (entries with spaces) typed with other or several separators.

    Each run of separators is read as one space, so ``S'agapw-para  poly``
    meets the entry ``s agapw para poly``.
    """
    lowered = _lower(password)
    spaced, positions = [], []
    for i, char in enumerate(lowered):
        if _PHRASE_SEPARATORS.fullmatch(char):
            if spaced and spaced[-1] != " ":
                spaced.append(" ")
                positions.append(i)
        else:
            spaced.append(char)
            positions.append(i)
    text = "".join(spaced)
    if text == lowered:
        return []
    n = len(text)
    matches = []
    for i in range(n):
        for j in range(i + 3, min(n, i + lookup.reach(text, i)) + 1):
            word = text[i:j]
            hit = lookup.get(word) if " " in word else None
            if hit is not None:
                start, end = positions[i], positions[j - 1]
                matches.append(
                    {
                        "pattern": "dictionary",
                        "i": start,
                        "j": end,
                        "token": password[start : end + 1],
                        "matched_word": word,
                        "rank": hit[1],
                        "dictionary_name": hit[0],
                        "reversed": False,
                        "l33t": False,
                    }
                )
    return matches


def _dictionary_matches(password: str, lookup: Lookup, searched: str | None = None) -> list[Match]:
    """Substrings of ``searched`` (default: the lowercased password) found."""
    searched = _lower(password) if searched is None else searched
    n = len(searched)
    matches = []
    for i in range(n):
        for j in range(i + 1, min(n, i + lookup.reach(searched, i)) + 1):
            hit = lookup.get(searched[i:j])
            if hit is not None:
                matches.append(
                    {
                        "pattern": "dictionary",
                        "i": i,
                        "j": j - 1,
                        "token": password[i:j],
                        "matched_word": searched[i:j],
                        "rank": hit[1],
                        "dictionary_name": hit[0],
                        "reversed": False,
                        "l33t": False,
                    }
                )
    return matches


def _reverse_matches(password: str, lookup: Lookup) -> list[Match]:
    """Dictionary words typed backwards."""
    reversed_password = password[::-1]
    n = len(password)
    matches = []
    for match in _dictionary_matches(reversed_password, lookup):
        i, j = n - 1 - match["j"], n - 1 - match["i"]
        if i == j:
            continue
        match.update(i=i, j=j, token=match["token"][::-1], reversed=True)
        matches.append(match)
    return matches


def _l33t_readings(password: str) -> list[dict[str, str]]:
    """Substitution tables for the l33t characters present in ``password``."""
    options: dict[str, list[str]] = {}
    for letter, subs in matching.L33T_TABLE.items():
        for sub in subs:
            if sub in password:
                options.setdefault(sub, []).append(letter)
    if not options:
        return []
    chars = list(options)
    return [
        dict(zip(chars, letters, strict=True))
        for letters in itertools.product(*(options[c] for c in chars))
    ]


def _l33t_matches(password: str, lookup: Lookup) -> list[Match]:
    """Dictionary words with letters replaced by look-alike symbols."""
    lowered = _lower(password)
    matches: dict[tuple[int, int, str], Match] = {}
    for reading in _l33t_readings(lowered):
        subbed = lowered.translate(str.maketrans(reading))
        for match in _dictionary_matches(password, lookup, subbed):
            token = match["token"]
            key = (match["i"], match["j"], match["matched_word"])
            if len(token) <= 1 or token.lower() == match["matched_word"] or key in matches:
                continue
            sub = {k: v for k, v in reading.items() if k in token}
            match.update(
                l33t=True,
                sub=sub,
                sub_display=", ".join(f"{k} -> {v}" for k, v in sub.items()),
            )
            matches[key] = match
    return list(matches.values())


def _repeat_matches(password: str, lookup: Lookup) -> list[Match]:
    """Repeated blocks (``abcabc``), each scored from its base block."""
    matches = []
    last = 0
    while last < len(password):
        greedy = _REPEAT_GREEDY.search(password, last)
        if not greedy:
            break
        lazy = _REPEAT_LAZY.search(password, last)
        if len(greedy[0]) > len(lazy[0]):
            match, base = greedy, _REPEAT_LAZY_ANCHORED.fullmatch(greedy[0])[1]
        else:
            match, base = lazy, lazy[1]
        analysis = most_guessable(base, omnimatch(base, lookup))
        matches.append(
            {
                "pattern": "repeat",
                "i": match.start(),
                "j": match.end() - 1,
                "token": match[0],
                "base_token": base,
                "base_guesses": analysis["guesses"],
                "base_matches": analysis["sequence"],
                "repeat_count": len(match[0]) / len(base),
            }
        )
        last = match.end()
    return matches


def _useful(password: str, matches: list[Match]) -> list[Match]:
    """Drop matches that can never be part of the cheapest sequence.

    zxcvbn's scoring costs O(matches x sequence lengths); for a given span
    only the match with the fewest guesses can win, and a match needing at
    least as many guesses as brute force over its span never wins (a longer
    brute-force run is always cheaper). Pruning keeps repetitive inputs fast.
    """
    best: dict[tuple[int, int], Match] = {}
    for match in matches:
        guesses = scoring.estimate_guesses(match, password)
        span = (match["i"], match["j"])
        if guesses >= scoring.BRUTEFORCE_CARDINALITY ** (span[1] - span[0] + 1):
            continue
        known = best.get(span)
        if known is None or guesses < known["guesses"]:
            best[span] = match
    return sorted(best.values(), key=lambda m: (m["i"], m["j"]))


def omnimatch(password: str, lookup: Lookup) -> list[Match]:
    """The matches zxcvbn's scoring needs, sorted by position."""
    matches = [
        *_dictionary_matches(password, lookup),
        *_phrase_matches(password, lookup),
        *_user_matches_across_separators(password, lookup),
        *_reverse_matches(password, lookup),
        *_l33t_matches(password, lookup),
        *matching.spatial_match(password),
        *_repeat_matches(password, lookup),
        *matching.sequence_match(password),
        *matching.regex_match(password),
        *matching.date_match(password),
    ]
    return _useful(password, matches)
