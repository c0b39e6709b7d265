"""Bad input never raises: empty, emoji, controls, bidi marks, 10 MB (bench/greek.py times it)."""

import pytest

from kleidi.text.greek import (
    lookalikes,
    match_key,
    suggest_usernames,
    transliterate,
    username_contains_surname,
    username_form,
)
from kleidi.text.strength import estimate

NASTY = [
    "",
    " ",
    "😀👩‍👩‍👧",
    "\x00\x01\x1b\x7f\x9f",
    "\u200f\u202eΑθήνα\u202c\u200e",
    "\ufdd0\ufdd1",
    "\u0301\u0308 leading marks",
    "Α\u0301\u0301\u0308\u0345",
    "\ud7ff\ue000\uffff",
    "\U0010ffff",
    "\n\r\t\v\f",
    "مرحبا שלום",
]


@pytest.mark.parametrize("text", NASTY)
def test_bad_input_never_raises(text):
    assert isinstance(transliterate(text), str)
    assert isinstance(match_key(text), str)
    assert username_form(text).isascii()
    assert isinstance(username_contains_surname(text, text), bool)
    assert isinstance(username_contains_surname("abc", text, text), bool)
    assert isinstance(lookalikes(text), list)
    assert isinstance(suggest_usernames(text, text, max_length=32, accept=lambda name: True), list)
    assert 0 <= estimate(text, [text, text]).score <= 4


def test_bad_input_defined_results():
    assert transliterate("") == ""
    assert match_key("\u200f \x00 ") == ""
    assert username_form("😀") == ""
    assert username_contains_surname("", "") is False
    assert estimate("", []).guesses == 1
    assert estimate("", []).warning == "password.too_guessable"


TEN_MB = ("Παπαδόπουλος Ευάγγελος \u200f\x00😀 ΘΕΟΔΩΡΟΣ μπ " * 250_000)[:10_000_000]


@pytest.mark.slow
@pytest.mark.parametrize(
    "function",
    [
        transliterate,
        match_key,
        username_form,
        lambda text: username_contains_surname(text, "Παπα-Κωνσταντίνου"),
        lambda text: username_contains_surname("papadopoulos", text),
        lambda text: estimate(text, [text]),
        lookalikes,
    ],
    ids=[
        "transliterate",
        "match_key",
        "username_form",
        "contains_username",
        "contains_surname",
        "estimate",
        "lookalikes",
    ],
)
def test_bad_input_ten_megabytes_never_raises(function):
    # How long it takes (linear: 1 MB against 10 MB) is measured by bench/greek.py.
    assert function(TEN_MB) is not None


def test_bad_input_ten_megabytes_transliterates_correctly():
    result = transliterate(TEN_MB)
    assert result.startswith("Papadopoulos Evangelos \u200f\x00😀 THEODOROS b ")
