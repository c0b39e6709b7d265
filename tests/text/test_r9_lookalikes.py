"""R9 name.lookalike / DESIGN §6: words mixing Greek and Latin look-alike letters."""

import pytest

from kleidi.text import lookalikes
from kleidi.text.lookalike import GREEK_TO_LATIN, LATIN_TO_GREEK

CAPITAL_PAIRS = list(zip("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", strict=True))
LOWERCASE_PAIRS = list(zip("aoukivtpxyenw", "αουκιντρχγεηω", strict=True))


def test_r9_lookalike_papadopoulos_with_latin_a_and_o():
    [found] = lookalikes("ΠAΠAΔOΠOΥΛOΣ")
    assert found.word == "ΠAΠAΔOΠOΥΛOΣ"
    assert found.script == "greek"
    assert found.suggestion == "ΠΑΠΑΔΟΠΟΥΛΟΣ"
    assert found.positions == (1, 3, 5, 7, 10)


def test_r9_lookalike_latin_word_with_greek_letters():
    [found] = lookalikes("Maria Pαpadopoulou")
    assert (found.word, found.start, found.script) == ("Pαpadopoulou", 6, "latin")
    assert found.suggestion == "Papadopoulou"
    assert found.positions == (7,)


@pytest.mark.parametrize(("latin", "greek"), CAPITAL_PAIRS)
def test_r9_lookalike_every_capital_pair_in_a_greek_word(latin, greek):
    word = f"ΔΔ{latin}ΛΛ"
    [found] = lookalikes(f"x {word} y")
    assert found.suggestion == f"ΔΔ{greek}ΛΛ"
    assert found.positions == (4,)


@pytest.mark.parametrize(("latin", "greek"), CAPITAL_PAIRS)
def test_r9_lookalike_every_capital_pair_in_a_latin_word(latin, greek):
    [found] = lookalikes(f"SS{greek}LL")
    assert found.script == "latin"
    assert found.suggestion == f"SS{latin}LL"


@pytest.mark.parametrize(("latin", "greek"), LOWERCASE_PAIRS)
def test_r9_lookalike_every_lowercase_pair_in_a_greek_word(latin, greek):
    [found] = lookalikes(f"λλ{latin}δδ")
    assert found.suggestion == f"λλ{greek}δδ"


@pytest.mark.parametrize(("latin", "greek"), LOWERCASE_PAIRS)
def test_r9_lookalike_every_lowercase_pair_in_a_latin_word(latin, greek):
    [found] = lookalikes(f"ss{greek}ll")
    assert found.suggestion == f"ss{latin}ll"


def test_r9_lookalike_tables_are_inverse():
    assert {v: k for k, v in LATIN_TO_GREEK.items()} == GREEK_TO_LATIN


@pytest.mark.parametrize(
    "text",
    ["ΠΑΠΑΔΟΠΟΥΛΟΣ", "Papadopoulos", "Γιώργος Papadopoulos", "", "123 😀", "Ὀδυσσεύς"],
)
def test_r9_lookalike_single_script_words_are_not_flagged(text):
    assert lookalikes(text) == []


def test_r9_lookalike_without_fix_has_no_suggestion():
    [found] = lookalikes("ΔΛΣsΦ")  # Latin s has no Greek look-alike
    assert found.script == "greek"
    assert found.suggestion is None


def test_r9_lookalike_nfd_word_stays_one_word():
    [found] = lookalikes("Κ\u0301AΛ")
    assert found.word == "Κ\u0301AΛ"


def test_r9_lookalike_majority_latin_when_no_letter_is_unique():
    [found] = lookalikes("KOTα")  # every letter has a look-alike: 3 Latin against 1 Greek
    assert (found.script, found.suggestion, found.positions) == ("latin", "KOTa", (3,))


def test_r9_lookalike_majority_latin_when_both_sides_have_unique_letters():
    [found] = lookalikes("sdlΔ")  # s, d, l and Δ have no look-alike: 3 Latin against 1 Greek
    assert (found.script, found.suggestion, found.positions) == ("latin", None, (3,))


def test_r9_lookalike_tie_goes_to_greek():
    [found] = lookalikes("ΚΟTA")
    assert (found.script, found.suggestion, found.positions) == ("greek", "ΚΟΤΑ", (2, 3))
