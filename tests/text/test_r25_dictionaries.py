"""R25: the packaged Greek dictionaries and their greeklish spellings."""

import gzip
from importlib import resources

import pytest

from kleidi.text import username_form
from kleidi.text.dictionaries import (
    DATA_FILE,
    DICTIONARY_NAMES,
    STYLES,
    all_forms,
    expand_user_inputs,
    latin_forms,
    load,
    parse,
    serialise,
)


def test_r25_data_file_is_packaged_and_small():
    data = resources.files("kleidi.text").joinpath(DATA_FILE).read_bytes()
    assert len(data) < 2_000_000
    assert gzip.decompress(data).decode("utf-8").startswith("# Kleidi")


def test_r25_dictionaries_hold_greek_and_latin_forms():
    lists = load()
    assert tuple(lists) == DICTIONARY_NAMES
    words, names = lists["greek_words"], lists["greek_names"]
    assert len(words) > 50_000
    assert len(names) > 1_000
    for word in ("καλημέρα", "καλημερα", "kalimera", "kalhmera", "agapw", "ευχαριστώ"):
        assert word in words
    for name in ("γιώργος", "giorgos", "giwrgos", "papadopoulos", "papadopoulou", "mairh"):
        assert name in names
    assert len(set(words)) == len(words)  # zxcvbn keeps the last rank of a duplicate


def test_r25_names_ranked_by_frequency():
    names = load()["greek_names"]
    assert names.index("giorgos") < names.index("chrysanthos")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("αγαπώ", {"agapo", "agapw"}),
        ("καλημέρα", {"kalimera", "kalhmera"}),
        ("Μαίρη", {"mairi", "mairh", "meri"}),
        ("θέλω", {"thelo", "thelw", "8elw"}),
        ("ευχαριστώ", {"efcharisto", "efxaristo", "euxaristw"}),
        ("ξέρω", {"xero", "ksero", "3erw"}),
        ("ψυχή", {"psychi", "psixi", "psuxh"}),
    ],
)
def test_r25_greeklish_spellings(word, expected):
    forms = latin_forms(word)
    assert expected <= set(forms)
    assert len(forms) <= 1 + len(STYLES)
    assert forms[0] == username_form(word)  # ELOT 743 first


def test_r25_all_forms_greek_first_then_elot():
    assert all_forms("Γιώργος")[:3] == ["γιώργος", "γιωργος", "giorgos"]


def test_r25_data_format_round_trip():
    lists = {"a": ["x", "y"], "b": ["z"]}
    assert parse(serialise(lists, "header\nline two")) == lists


def test_r25_user_inputs_expanded_to_latin_and_words():
    expanded = expand_user_inputs(["Γιώργος Παπαδόπουλος", "g.papa@example.com", 2018123])
    for token in ("giorgos", "papadopoulos", "giwrgos", "γιωργος", "papa", "example", "2018123"):
        assert token in expanded


def test_r25_user_inputs_are_bounded():
    expanded = expand_user_inputs(["λέξη" * 1000] * 1000)
    assert len(expanded) <= 256
    assert all(len(token) <= 100 for token in expanded)


def test_r25_build_is_deterministic_and_matches_packaged_file(tmp_path):
    pytest.importorskip("wordfreq")
    from kleidi.text import build_dictionaries

    output = tmp_path / DATA_FILE
    build_dictionaries.write(output)
    packaged = resources.files("kleidi.text").joinpath(DATA_FILE).read_bytes()
    assert output.read_bytes() == packaged
