"""Bounded-time pattern matching for zxcvbn scoring.

zxcvbn's own matchers are too slow for a strength meter that runs on every
keystroke: its dictionary matcher looks every substring up in every
dictionary, its l33t matcher repeats that for every consistent substitution
table (thousands for a password full of ``1|7@$`` ...), and its repeat matcher
recurses into those. On 100 characters that is up to several seconds.

This module produces the same kind of match records (so zxcvbn's scoring,
``most_guessable_match_sequence``, still does the arithmetic) with:

* one merged index (word → best dictionary and rank) instead of one lookup
  per dictionary, and substrings no longer than the longest word;
* l33t substitutions applied all at once, enumerating only the characters
  with more than one reading (``1``, ``|``, ``7``: at most 8 tables);
* zxcvbn's spatial, sequence, regex and date matchers as they are.

Results can differ from zxcvbn's in rare l33t corner cases (never by more
than choosing another reading of an ambiguous character).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping

from zxcvbn import matching, scoring

Match = dict

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
        self.max_length = max((len(w) for w in best), default=0)


class Lookup:
    """A :class:`RankedIndex` plus one call's user inputs."""

    def __init__(self, index: RankedIndex, user_inputs: list[str]) -> None:
        self.entries = index.entries
        self.user = matching.build_ranked_dict(user_inputs)
        self.max_length = max([index.max_length, *(len(w) for w in self.user)])

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


def _dictionary_matches(password: str, lookup: Lookup, searched: str | None = None) -> list[Match]:
    """Substrings of ``searched`` (default: the lowercased password) found."""
    searched = _lower(password) if searched is None else searched
    n, longest = len(searched), lookup.max_length
    matches = []
    for i in range(n):
        for j in range(i + 1, min(n, i + longest) + 1):
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
        *_reverse_matches(password, lookup),
        *_l33t_matches(password, lookup),
        *matching.spatial_match(password),
        *_repeat_matches(password, lookup),
        *matching.sequence_match(password),
        *matching.regex_match(password),
        *matching.date_match(password),
    ]
    return _useful(password, matches)


# --------------------------------------------------------------------------
# Scoring

#: Sequences of more matches than this are not explored: each extra match
#: multiplies the estimate by at least 10^4, so such a sequence is worth more
#: than 10^36 guesses and the password is "very strong" whichever way.
MAX_SEQUENCE = 10

_D = scoring.MIN_GUESSES_BEFORE_GROWING_SEQUENCE
_BF = scoring.BRUTEFORCE_CARDINALITY
_BF_SINGLE = scoring.MIN_SUBMATCH_GUESSES_SINGLE_CHAR + 1


class _Prefix:
    """Best sequences for one password prefix, by number of matches."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        # l -> (g, pi, last): last is a match, or ("bruteforce", i) for a run.
        self.entries: dict[int, tuple[float, float, object]] = {}

    def consider(self, length: int, pi: float, last: object) -> None:
        """Keep a length-``length`` sequence unless a shorter one is as good."""
        g = math.factorial(length) * pi + _D ** (length - 1)
        for other_length, (other_g, _, _) in self.entries.items():
            if other_length <= length and other_g <= g:
                return
        self.entries[length] = (g, pi, last)

    def extendable(self):
        """(length, pi) of sequences that a brute-force run may follow."""
        for length, (_, pi, last) in self.entries.items():
            if length < MAX_SEQUENCE and not _is_bruteforce(last):
                yield length, pi


def _is_bruteforce(last: object) -> bool:
    return isinstance(last, tuple)


def _bruteforce_guesses(length: int) -> float:
    return _BF_SINGLE if length == 1 else _BF**length


def _advance_runs(runs: dict, prefixes: list[_Prefix], k: int) -> dict:
    """Brute-force runs of 2+ characters ending at ``k``, cheapest per length.

    A run ending at k-1 grows by one character (x10); a new 2-character run
    starts after each sequence ending at k-2. This keeps brute-force linear
    in the password length instead of quadratic.
    """
    grown = {length: (pi * _BF, i) for length, (pi, i) in runs.items()}
    if k >= 2:
        for length, pi in prefixes[k - 2].extendable():
            candidate = pi * _bruteforce_guesses(2)
            if length + 1 not in grown or candidate < grown[length + 1][0]:
                grown[length + 1] = (candidate, k - 1)
    return grown


def _unwind(password: str, prefixes: list[_Prefix]) -> tuple[float, list[Match]]:
    final = prefixes[-1].entries
    length = min(final, key=lambda n: final[n][0])
    guesses = final[length][0]
    sequence: list[Match] = []
    k = len(password) - 1
    while k >= 0:
        last = prefixes[k].entries[length][2]
        if _is_bruteforce(last):
            i = last[1]
            last = {"pattern": "bruteforce", "token": password[i : k + 1], "i": i, "j": k}
            scoring.estimate_guesses(last, password)
        sequence.insert(0, last)
        k, length = last["i"] - 1, length - 1
    return guesses, sequence


def most_guessable(password: str, matches: list[Match]) -> dict:
    """zxcvbn's minimum-guesses match sequence, in O(n x (matches + L)).

    Same model as ``zxcvbn.scoring.most_guessable_match_sequence`` (l! x
    product of guesses + 10^4^(l-1), brute force between matches), computed
    with running brute-force minima and at most :data:`MAX_SEQUENCE`
    matches, so that repetitive 100-character inputs stay fast.
    """
    n = len(password)
    if n == 0:
        return {"password": password, "guesses": 1, "guesses_log10": 0.0, "sequence": []}
    by_end: list[list[Match]] = [[] for _ in range(n)]
    for match in matches:
        by_end[match["j"]].append(match)
    prefixes: list[_Prefix] = []
    runs: dict = {}
    for k in range(n):
        here = _Prefix()
        prefixes.append(here)
        for match in by_end[k]:
            guesses = scoring.estimate_guesses(match, password)
            if match["i"] == 0:
                here.consider(1, guesses, match)
                continue
            for length, (_, pi, _) in list(prefixes[match["i"] - 1].entries.items()):
                if length < MAX_SEQUENCE:
                    here.consider(length + 1, pi * guesses, match)
        here.consider(1, _bruteforce_guesses(k + 1), ("bruteforce", 0))
        if k >= 1:
            for length, pi in prefixes[k - 1].extendable():
                here.consider(length + 1, pi * _BF_SINGLE, ("bruteforce", k))
        runs = _advance_runs(runs, prefixes, k)
        for length, (pi, i) in runs.items():
            here.consider(length, pi, ("bruteforce", i))
    guesses, sequence = _unwind(password, prefixes)
    return {
        "password": password,
        "guesses": guesses,
        "guesses_log10": math.log10(guesses),
        "sequence": sequence,
    }
