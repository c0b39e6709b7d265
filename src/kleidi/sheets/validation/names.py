"""People's names in a row (R9): splitting a full-name cell by evidence, checking each name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kleidi.sheets.validation.rows import MAX_LENGTHS, Row
from kleidi.text import lookalikes, match_key, username_contains_surname
from kleidi.text.names import name_keys

NAME_FIELDS = ("surname", "given_name", "father_name", "mother_name", "latin_surname")

HAS_LATIN = re.compile("[A-Za-z]")
HAS_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_HAS_DIGIT = re.compile(r"\d")


# How much each piece of evidence weighs for a candidate split (surname, given name).
# The username is R10's own (it contains the surname); the dictionaries place a
# word as a given name or a surname; capitals are how forms print surnames; the
# order inside the username (the guide's forms put the given name first) and the
# registry's surname-first convention only break ties between the others.
USERNAME_WEIGHT = 12
WORD_WEIGHT = 4
CAPITALS_WEIGHT = 4
ORDER_WEIGHT = 1
CONVENTION_WEIGHT = 1
# The best split must lead the next by more than the two weakest hints together.
MARGIN = ORDER_WEIGHT + CONVENTION_WEIGHT + 1


@dataclass(frozen=True)
class NameSplit:
    surname: str
    given_name: str
    # The evidence does not tell which part is the surname: the row is flagged.
    ambiguous: bool = False


def _is_capitals(words: list[str]) -> bool:
    return all(len(w) > 1 and w == w.upper() and w != w.lower() for w in words)


@dataclass
class _Evidence:
    """One cell's words as the dictionaries place them, and what the username contains."""

    username: str
    words: list[str]
    contains: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self):
        givens, surnames = name_keys()
        keys = {word: match_key(word) for word in self.words}
        self.given = {word for word, key in keys.items() if key in givens}
        self.surname = {word for word, key in keys.items() if key in surnames}

    def in_username(self, text: str) -> bool:
        if text not in self.contains:
            self.contains[text] = username_contains_surname(self.username, text)
        return self.contains[text]

    def score(self, surname: list[str], given: list[str], surname_first: bool, order: bool) -> int:
        """The weighed evidence that `surname` is the surname; the username's order if asked."""
        score = WORD_WEIGHT * (
            sum(w in self.given for w in given)
            - sum(w in self.given for w in surname)
            + sum(w in self.surname for w in surname)
            - sum(w in self.surname for w in given)
        )
        if _is_capitals(surname) and not _is_capitals(given):
            score += CAPITALS_WEIGHT
        elif _is_capitals(given) and not _is_capitals(surname):
            score -= CAPITALS_WEIGHT
        if surname_first:
            score += CONVENTION_WEIGHT
        if not self.username:
            return score
        surname_text, given_text = " ".join(surname), " ".join(given)
        has_surname, has_given = self.in_username(surname_text), self.in_username(given_text)
        if has_surname and not has_given:
            # Every further part of a compound surname found in order is a word placed.
            score += USERNAME_WEIGHT + WORD_WEIGHT * (len(surname) - 1)
        elif has_given and not has_surname:
            score -= USERNAME_WEIGHT
        elif has_surname and order:
            given_then_surname = self.in_username(f"{given_text} {surname_text}")
            surname_then_given = self.in_username(f"{surname_text} {given_text}")
            score += ORDER_WEIGHT * (given_then_surname - surname_then_given)
        return score


def split_full_name(full: str, username: str) -> NameSplit:
    """Split one «Ονοματεπώνυμο» cell into surname and given name, by evidence.

    «Επώνυμο, Όνομα» (a comma) says so itself. Otherwise every cut, in both
    orders, is weighed (the weights above): R10's username, the dictionaries
    of given names and surnames, capitals, the order inside the username, the
    registry's surname-first convention. A best split that does not lead the
    next clearly is `ambiguous`: the row is flagged, never guessed (before,
    «Κωνσταντίνος Ρήγας» with konstantinosrigas was stored with the given
    name as surname). The username's order costs two patterns compiled per
    candidate, so it is asked only when it could change the answer.
    """
    if "," in full:
        surname, _, given = full.partition(",")
        if surname.strip() and given.strip():
            return NameSplit(" ".join(surname.split()), " ".join(given.split()))
    words = full.split()
    if len(words) < 2:
        return NameSplit(full, "")
    candidates = [
        (surname, given, surname_first)
        for cut in range(1, len(words))
        for surname, given, surname_first in (
            (words[:cut], words[cut:], True),
            (words[cut:], words[:cut], False),
        )
    ]

    evidence = _Evidence(username, words)

    def ranked(order: bool) -> list[tuple[int, list[str], list[str]]]:
        scored = [(evidence.score(s, g, first, order), s, g) for s, g, first in candidates]
        return sorted(scored, key=lambda candidate: candidate[0], reverse=True)

    scores = ranked(order=False)
    if scores[0][0] - scores[1][0] < MARGIN + 2 * ORDER_WEIGHT:
        scores = ranked(order=True)
    best, runner_up = scores[0], scores[1]
    return NameSplit(
        " ".join(best[1]),
        " ".join(best[2]),
        ambiguous=best[0] - runner_up[0] < MARGIN,
    )


def lookalike_params(value: str) -> dict | None:
    """name.lookalike's params for the first word mixing Greek and Latin look-alike letters."""
    if not (HAS_LATIN.search(value) and HAS_GREEK.search(value)):
        return None
    for found in lookalikes(value):
        return {"value": found.word, "suggestion": found.suggestion or "?"}
    return None


def report_lookalike(row: Row, name: str, value: str, keep_value: bool) -> None:
    """A word mixing Greek and Latin look-alike letters: one error, with its corrected form."""
    params = lookalike_params(value)
    if params is None:
        return
    if keep_value:
        row.error(name, "name.lookalike", params, value)
    else:
        row.error(name, "name.lookalike", params)


def check_name(row: Row, name: str, required: bool) -> None:
    value = row.values.get(name, "")
    if not value:
        if required:
            row.error(name, "field.required")
        return
    if len(value) > MAX_LENGTHS[name]:
        row.error(name, "field.too_long", {"max": MAX_LENGTHS[name]}, value)
        return
    errors = len(row.errors)
    report_lookalike(row, name, value, keep_value=True)
    if len(row.errors) > errors:
        return
    if _HAS_DIGIT.search(value) or not any(c.isalpha() for c in value):
        row.error(name, "name.invalid", {"value": value}, value)
