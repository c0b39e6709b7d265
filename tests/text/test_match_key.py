"""DESIGN §6: names compare by NFD, tonos and dialytika dropped, casefolded."""

import unicodedata

import pytest

from kleidi.text import match_key


def test_s6_match_key_ignores_case_accents_and_final_sigma():
    assert match_key("Οδυσσέας") == match_key("ΟΔΥΣΣΕΑΣ") == "οδυσσεασ"


def test_s6_match_key_ignores_dialytika_and_nfd():
    assert match_key("Ταΰγετος") == match_key(unicodedata.normalize("NFD", "ΤΑΫΓΕΤΟΣ"))


def test_s6_match_key_polytonic_equals_monotonic():
    assert match_key("Ἀθῆναι") == match_key("Αθήναι")
    assert match_key("ᾠδή") == match_key("ωδη")


@pytest.mark.parametrize(
    "spaced",
    [
        "  Άννα   Μαρία ",
        "Άννα\u00a0Μαρία",
        "Άννα\tΜαρία\n",
        "Άννα\u2003Μαρία",
        "Άν\u200bνα Μαρία\u200f",
        "\ufeffΆννα\u00adΜαρία".replace("\u00ad", " "),
    ],
)
def test_s6_match_key_collapses_whitespace_and_drops_format_characters(spaced):
    assert match_key(spaced) == "αννα μαρια"


def test_s6_match_key_drops_control_characters():
    assert match_key("Ά\x00ν\x07να") == "αννα"


def test_s6_match_key_latin_names_too():
    assert match_key("José  MÜLLER") == "jose muller"


def test_s6_match_key_drops_every_format_character():
    format_chars = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf"]
    assert match_key("α" + "".join(format_chars) + "β") == "αβ"


def test_s6_match_key_drops_marks_that_casefolding_creates():
    assert match_key("İstanbul") == match_key("istanbul") == "istanbul"
