"""Scoring: Kleidi's piece model of how a guesser prices a password (R25).

The minimum over ways of cutting the password into pieces (the matches of
:mod:`kleidi.text.matchers`, single characters, brute-force runs) of c! times
the product of the pieces' guesses, where c counts only the real pieces; see
:func:`most_guessable` and docs/greek.md §5. Linear in the length.
"""

from __future__ import annotations

import math

from zxcvbn import scoring

#: A zxcvbn match record.
Match = dict

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
