"""Greek-aware password strength estimate (R25), built on zxcvbn.

The web layer turns the result into a meter and a decision; this module only
estimates and explains, with stable feedback *codes* (see docs/greek.md) that
the web layer translates to Greek and English.

Why not call ``zxcvbn.zxcvbn()``: it stores the user inputs in zxcvbn's
module-global dictionary table, which races between threads of one server
process; it refuses passwords longer than 72 characters; and its matchers
take seconds on some 100-character inputs. Kleidi runs the same two steps
with its own bounded matchers (:mod:`kleidi.text.matchers`), zxcvbn's
per-match guess counts and Kleidi's piece model for the sequence (no fixed
price per piece: issue 8), with the Greek dictionaries merged into one
ranked index.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from zxcvbn import scoring, time_estimates

from kleidi.text.dictionaries import (
    MAX_INPUT_CHARS,
    MAX_USER_INPUTS,
    expand_user_inputs,
    ranked_index,
)
from kleidi.text.matchers import Lookup, omnimatch, user_data_share
from kleidi.text.pieces import most_guessable, separator_guesses

#: Only this many characters are estimated: zxcvbn's cost grows with the
#: square of the length, and more characters than this only add strength.
MAX_ESTIMATED_CHARS = 100

#: A password at least this share of whose letters and digits are the
#: member's own data is "made mostly of" it (R25): the policy refuses it
#: whatever the estimate, for that reason.
MOSTLY_USER_DATA_SHARE = 0.5

# Warning codes, most important first (the order of ``Estimate.feedback``).
MOSTLY_USER_DATA = "password.mostly_user_data"
USER_DATA = "password.user_data"
NAME = "password.name"
COMMON_PASSWORD = "password.common_password"  # noqa: S105 - a code, not a password
COMMON_PHRASE = "password.common_phrase"
COMMON_WORD = "password.common_word"
DATE = "password.date"
SEQUENCE = "password.sequence"
REPEAT = "password.repeat"
KEYBOARD = "password.keyboard_pattern"
TOO_GUESSABLE = "password.too_guessable"
WARNING_CODES = (
    MOSTLY_USER_DATA,
    USER_DATA,
    NAME,
    COMMON_PASSWORD,
    COMMON_PHRASE,
    COMMON_WORD,
    DATE,
    SEQUENCE,
    REPEAT,
    KEYBOARD,
    TOO_GUESSABLE,
)

# Suggestion codes.
ADD_WORDS = "password.suggestion.add_words"
AVOID_PERSONAL_DATA = "password.suggestion.avoid_personal_data"
AVOID_DATES = "password.suggestion.avoid_dates"
AVOID_SEQUENCES = "password.suggestion.avoid_sequences"
AVOID_REPEATS = "password.suggestion.avoid_repeats"
LONGER_KEYBOARD_PATTERN = "password.suggestion.longer_keyboard_pattern"
CAPITALS_DONT_HELP = "password.suggestion.capitals_dont_help"
SUBSTITUTIONS_DONT_HELP = "password.suggestion.substitutions_dont_help"
REVERSED_DOESNT_HELP = "password.suggestion.reversed_doesnt_help"
SUGGESTION_CODES = (
    ADD_WORDS,
    AVOID_PERSONAL_DATA,
    AVOID_DATES,
    AVOID_SEQUENCES,
    AVOID_REPEATS,
    LONGER_KEYBOARD_PATTERN,
    CAPITALS_DONT_HELP,
    SUBSTITUTIONS_DONT_HELP,
    REVERSED_DOESNT_HELP,
)

_DICTIONARY_CODES = {
    "user_inputs": USER_DATA,
    "passwords": COMMON_PASSWORD,
    "english_wikipedia": COMMON_WORD,
    "us_tv_and_film": COMMON_WORD,
    "greek_words": COMMON_WORD,
    "greek_phrases": COMMON_PHRASE,
    "surnames": NAME,
    "male_names": NAME,
    "female_names": NAME,
    "greek_names": NAME,
}
_PATTERN_CODES = {
    "sequence": SEQUENCE,
    "repeat": REPEAT,
    "spatial": KEYBOARD,
    "date": DATE,
    "regex": DATE,  # zxcvbn's only regex is "recent_year"
}
_WARNING_SUGGESTIONS = {
    MOSTLY_USER_DATA: AVOID_PERSONAL_DATA,
    USER_DATA: AVOID_PERSONAL_DATA,
    DATE: AVOID_DATES,
    SEQUENCE: AVOID_SEQUENCES,
    REPEAT: AVOID_REPEATS,
    KEYBOARD: LONGER_KEYBOARD_PATTERN,
}
#: Scores at or below this get ``password.too_guessable`` and ``add_words``.
WEAK_SCORE = 2


@dataclass(frozen=True, slots=True)
class Estimate:
    """The strength of one password.

    ``guesses`` and ``log10`` estimate how many guesses an attacker needs;
    ``score`` is zxcvbn's 0-4 scale. ``warning`` is the code of the weakness
    that matters most ("" if none); ``feedback`` lists every weakness code
    found, most important first; ``suggestions`` are advice codes.
    ``truncated`` is True when only the first 100 characters were estimated.
    ``user_data_share`` is the share (0-1) of the letters and digits that
    are the member's own data, in any order, case, script or separators.
    """

    guesses: float
    log10: float
    score: int
    warning: str
    feedback: tuple[str, ...]
    suggestions: tuple[str, ...]
    truncated: bool
    user_data_share: float = 0.0


def _prepare(password: str) -> tuple[str, bool]:
    """NFC (so NFD Greek meets the NFC dictionaries) and truncate."""
    head = unicodedata.normalize("NFC", password[: MAX_ESTIMATED_CHARS * 2])
    truncated = len(head) > MAX_ESTIMATED_CHARS or len(password) > MAX_ESTIMATED_CHARS * 2
    return head[:MAX_ESTIMATED_CHARS], truncated


@lru_cache(maxsize=256)
def _lookup(user_inputs: tuple[str, ...]) -> Lookup:
    """The lookup for one member's data, kept for the next keystroke's estimate.

    A Lookup is never changed once built, so threads may share it.
    """
    return Lookup(ranked_index(), expand_user_inputs(user_inputs))


def _without_separator(text: str) -> tuple[str, int] | None:
    """``text`` without its one separator, and how many times it was typed.

    A guesser also tries guesses with a separator put between their pieces:
    ``a b c d e f g h i`` is the sequence ``abcdefghi`` spaced out. Only for
    passwords whose characters other than letters and digits are all one
    and the same.
    """
    others = {char for char in text if not char.isalnum()}
    if len(others) != 1:
        return None
    separator = others.pop()
    stripped = text.replace(separator, "")
    return (stripped, len(text) - len(stripped)) if stripped else None


def _code(match: dict) -> str | None:
    if match["pattern"] == "dictionary":
        return _DICTIONARY_CODES.get(match["dictionary_name"], COMMON_WORD)
    return _PATTERN_CODES.get(match["pattern"])


def _match_suggestions(match: dict) -> list[str]:
    """Advice about how a dictionary word was disguised."""
    if match["pattern"] != "dictionary":
        return []
    advice = []
    token = match["token"]
    if scoring.START_UPPER.search(token) or (
        scoring.ALL_UPPER.search(token) and token.lower() != token
    ):
        advice.append(CAPITALS_DONT_HELP)
    if match.get("l33t"):
        advice.append(SUBSTITUTIONS_DONT_HELP)
    if match.get("reversed") and len(token) >= 4:
        advice.append(REVERSED_DOESNT_HELP)
    return advice


def _feedback(
    sequence: list[dict], score: int, share: float
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Warning, all weakness codes and suggestion codes for a match sequence."""
    found: dict[str, int] = {}
    if share >= MOSTLY_USER_DATA_SHARE:
        found[MOSTLY_USER_DATA] = MAX_ESTIMATED_CHARS + 1  # always the warning
    suggestions: dict[str, None] = {}
    for match in sequence:
        code = _code(match)
        if code is None:
            continue
        found[code] = max(found.get(code, 0), len(match["token"]))
        for advice in _match_suggestions(match):
            suggestions[advice] = None
    if score <= WEAK_SCORE:
        found.setdefault(TOO_GUESSABLE, 0)
        suggestions = {ADD_WORDS: None, **suggestions}
    feedback = tuple(c for c in WARNING_CODES if c in found)
    warning = ""
    if feedback:
        # The longest weak part wins; ties go to the more important code.
        warning = max(feedback, key=lambda c: (found[c], -WARNING_CODES.index(c)))
    for code in feedback:
        if code in _WARNING_SUGGESTIONS:
            suggestions[_WARNING_SUGGESTIONS[code]] = None
    return warning, feedback, tuple(suggestions)


def estimate(password: str, user_inputs: Iterable[object] = ()) -> Estimate:
    """Estimate how guessable ``password`` is, Greek-aware.

    ``user_inputs`` is the member's own data (names, username, registration
    number, email...); each is also tried in ELOT 743 and greeklish and word
    by word (the first 1,024 inputs, 400 characters of each). Only the
    first 100 characters of the password are estimated.
    When half or more of its letters and digits are that data, the warning
    is ``password.mostly_user_data``.
    """
    text, truncated = _prepare(str(password))
    if not text:
        return Estimate(1.0, 0.0, 0, TOO_GUESSABLE, (TOO_GUESSABLE,), (ADD_WORDS,), False)
    inputs = itertools.islice(user_inputs, MAX_USER_INPUTS * 4)
    lookup = _lookup(tuple(str(item)[: MAX_INPUT_CHARS * 4] for item in inputs))
    result = most_guessable(text, omnimatch(text, lookup))
    joined = _without_separator(text)
    if joined is not None:
        stripped, separators = joined
        alternative = most_guessable(stripped, omnimatch(stripped, lookup))
        alternative["guesses"] *= separator_guesses(len(stripped), separators)
        if alternative["guesses"] < result["guesses"]:
            result = alternative
    guesses = float(result["guesses"])
    score = time_estimates.guesses_to_score(guesses)
    share = user_data_share(text, lookup)
    warning, feedback, suggestions = _feedback(result["sequence"], score, share)
    return Estimate(
        guesses=guesses,
        log10=math.log10(guesses) if guesses > 0 else 0.0,
        score=score,
        warning=warning,
        feedback=feedback,
        suggestions=suggestions,
        truncated=truncated,
        user_data_share=share,
    )
