"""The given-names list as a public question: is this word a known Greek given name?"""

import unicodedata

import pytest

from kleidi.text import is_given_name


@pytest.mark.parametrize(
    "name",
    ["Γιώργος", "ΓΕΩΡΓΙΟΣ", "γιωργος", "Giorgos", "GEORGIOS", "Μαρία", "Κατερίνα", "konstantinos"],
)
def test_known_given_names_in_any_case_accent_or_elot(name):
    assert is_given_name(name)
    assert is_given_name(unicodedata.normalize("NFD", name))


@pytest.mark.parametrize(
    "name",
    ["Παπαδόπουλος", "Ρήγας", "rigas", "papadopoulos", "", "  ", "Άννα-Μαρία", "Γιώργος Ρήγας"],
)
def test_surnames_empty_and_compound_names_are_not_given_names(name):
    assert not is_given_name(name)
