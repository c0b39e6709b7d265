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

:func:`most_guessable` then picks the cheapest sequence of matches under
Kleidi's piece model (see its docstring and docs/greek.md §5).

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


# --------------------------------------------------------------------------
# Scoring: Kleidi's piece model

#: Sequences of more counted pieces than this are not explored: each counted
#: piece needs at least 50 guesses and multiplies the orderings, so such a
#: sequence is worth more than 10! x 50^10 (about 10^23.5) guesses and the
#: password is "very strong" whichever way.
MAX_SEQUENCE = 10

_BF = scoring.BRUTEFORCE_CARDINALITY
_BF_SINGLE = scoring.MIN_SUBMATCH_GUESSES_SINGLE_CHAR + 1
#: A separator typed again: the guesser only chooses between "the same one
#: again" and "none here".
REPEATED_SEPARATOR_GUESSES = 2


def separator_guesses(length: int, count: int) -> float:
    """Guesses for spacing out a ``length``-character guess with one separator.

    The separator is chosen once (as a single character would be) and put
    in ``count`` of the ``length + 1`` places around the characters.
    """
    return _BF_SINGLE * math.comb(length + 1, count)


def counts_as_piece(match: Match) -> bool:
    """Whether a match adds a piece (an ordering factor) to its sequence.

    Single characters and repeated blocks do not (R25): a guesser who tries
    ``aaaa bbbb`` or ``a b c d`` pays for the characters, not for the number
    of pieces they were cut into.
    """
    return match["j"] > match["i"] and match["pattern"] != "repeat"


def _single_costs(password: str) -> list[float]:
    """Guesses for each character read on its own (a one-character piece)."""
    seen: set[str] = set()
    costs = []
    for char in password:
        repeated_separator = not char.isalnum() and char in seen
        costs.append(REPEATED_SEPARATOR_GUESSES if repeated_separator else _BF_SINGLE)
        seen.add(char)
    return costs


class _Prefix:
    """Best sequences for one password prefix, by number of counted pieces."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        # c -> (g, pi, last): last is a match, ("single", k), ("bruteforce", i)
        # for a run of 2+ characters, or None for the empty start.
        self.entries: dict[int, tuple[float, float, object]] = {}

    def consider(self, pieces: int, pi: float, last: object) -> None:
        """Keep a sequence unless one with no more pieces is as good."""
        g = math.factorial(pieces) * pi
        for other_pieces, (other_g, _, _) in self.entries.items():
            if other_pieces <= pieces and other_g <= g:
                return
        self.entries[pieces] = (g, pi, last)

    def run_starts(self):
        """(pieces, pi) of sequences that a brute-force run may follow."""
        for pieces, (_, pi, last) in self.entries.items():
            if pieces < MAX_SEQUENCE and not _is_run(last):
                yield pieces, pi


def _is_run(last: object) -> bool:
    return isinstance(last, tuple) and last[0] == "bruteforce"


def _ends_in_fresh_characters(last: object, costs: list[float]) -> bool:
    """A run, or a single character that is not a repeated separator.

    Another fresh character after it belongs to a brute-force run (one
    piece): a chain of single characters must not dodge the piece count.
    """
    if not isinstance(last, tuple):
        return False
    kind, i = last
    return kind == "bruteforce" or costs[i] == _BF_SINGLE


def _advance_runs(runs: dict, prefixes: list[_Prefix], k: int) -> dict:
    """Brute-force runs of 2+ characters ending at ``k``, cheapest per count.

    ``prefixes[m]`` covers the first m characters. A run ending at k-1 grows
    by one character (x10); a new 2-character run starts after each sequence
    covering the first k-1 characters. Brute force stays linear in the length.
    """
    grown = {pieces: (pi * _BF, i) for pieces, (pi, i) in runs.items()}
    if k >= 1:
        for pieces, pi in prefixes[k - 1].run_starts():
            candidate = pi * _BF**2
            if pieces + 1 not in grown or candidate < grown[pieces + 1][0]:
                grown[pieces + 1] = (candidate, k - 1)
    return grown


def _unwind(password: str, prefixes: list[_Prefix], costs: list[float]) -> tuple[float, list]:
    final = prefixes[-1].entries
    pieces = min(final, key=lambda c: final[c][0])
    guesses = final[pieces][0]
    sequence: list[Match] = []
    end = len(password)
    while end > 0:
        last = prefixes[end].entries[pieces][2]
        if isinstance(last, tuple):
            kind, i = last
            token = password[i:end]
            last = {"pattern": "bruteforce", "token": token, "i": i, "j": end - 1}
            if kind == "single":
                last["guesses"] = costs[i]
                last["guesses_log10"] = math.log10(costs[i])
            else:
                scoring.estimate_guesses(last, password)
                pieces -= 1
        else:
            pieces -= counts_as_piece(last)
        sequence.insert(0, last)
        end = last["i"]
    return guesses, sequence


def most_guessable(password: str, matches: list[Match]) -> dict:
    """The minimum-guesses match sequence under Kleidi's piece model (R25).

    zxcvbn scores a sequence of l pieces as l! x product of guesses +
    10^4^(l-1); the additive term alone lets any four pieces reach 10^12
    (``Giorgos Papadopoulos 1``, ``aaaa bbbb cccc 1``). Kleidi keeps the
    product and the orderings but drops the fixed per-piece term, as a
    guesser trying likely guesses first would, and counts only real pieces:
    single characters and repeated blocks add their own guesses but no
    ordering, and a separator typed again costs 2 (the same again, or none);
    two fresh characters in a row are a brute-force run, one piece.
    Computed in O(n x (matches + pieces)) with running brute-force minima.
    """
    n = len(password)
    if n == 0:
        return {"password": password, "guesses": 1, "guesses_log10": 0.0, "sequence": []}
    by_end: list[list[Match]] = [[] for _ in range(n)]
    for match in matches:
        by_end[match["j"]].append(match)
    costs = _single_costs(password)
    start = _Prefix()
    start.entries[0] = (1, 1, None)
    prefixes: list[_Prefix] = [start]
    runs: dict = {}
    for k in range(n):
        here = _Prefix()
        for match in by_end[k]:
            guesses = scoring.estimate_guesses(match, password)
            added = counts_as_piece(match)
            for pieces, (_, pi, _) in list(prefixes[match["i"]].entries.items()):
                if pieces + added <= MAX_SEQUENCE:
                    here.consider(pieces + added, pi * guesses, match)
        fresh = costs[k] == _BF_SINGLE
        for pieces, (_, pi, last) in prefixes[k].entries.items():
            if not (fresh and _ends_in_fresh_characters(last, costs)):
                here.consider(pieces, pi * costs[k], ("single", k))
        runs = _advance_runs(runs, prefixes, k)
        for pieces, (pi, i) in runs.items():
            here.consider(pieces, pi, ("bruteforce", i))
        prefixes.append(here)
    guesses, sequence = _unwind(password, prefixes, costs)
    return {
        "password": password,
        "guesses": guesses,
        "guesses_log10": math.log10(guesses),
        "sequence": sequence,
    }
