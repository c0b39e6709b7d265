"""Properties (hypothesis) of the Greek toolkit: R7, R10, DESIGN §6."""

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from kleidi.text.greek import (
    match_key,
    suggest_usernames,
    username_contains_surname,
    username_form,
)
from kleidi.text.names import GIVEN_NAMES, SURNAMES

MONOTONIC = "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΆΈΉΊΌΎΏΪΫ"
POLYTONIC = "ἀἁἄἅὰᾶᾳᾷἐἑἔὲἠἡἤῆῃἰἱἴῖὀὁὄὸὐὑὔῦὠὡὤῶῳῥἈἉἌἘἙἨἩἸἹὈὉὙὨὩ"
greek_text = st.text(alphabet=MONOTONIC + POLYTONIC + " -", max_size=40)
name_text = st.text(
    alphabet=MONOTONIC + POLYTONIC + "abcdeéüABC -'\u200f\ufdd0\ufdd1\u0301\u0308", max_size=30
)
# Without iota subscripts: match_key drops them (monotonic practice), while
# str.upper() turns them into a full capital iota (ᾳ → ΑΙ).
WITHOUT_SUBSCRIPT = "".join(c for c in POLYTONIC if "\u0345" not in unicodedata.normalize("NFD", c))
comparable = st.text(
    alphabet=MONOTONIC + WITHOUT_SUBSCRIPT + "abcxyzABCXYZéü  \u00a0\t", max_size=40
)
USERNAME = re.compile(r"[a-z][a-z0-9]{2,31}")


@given(greek_text)
def test_r7_username_form_of_greek_is_ascii_lowercase_letters(text):
    assert re.fullmatch("[a-z]*", username_form(text))


@given(comparable)
def test_s6_match_key_invariant_under_normalisation_and_case(text):
    key = match_key(text)
    assert match_key(unicodedata.normalize("NFD", text)) == key
    assert match_key(unicodedata.normalize("NFC", text)) == key
    assert match_key(text.upper()) == key
    assert match_key(text.lower()) == key
    assert match_key(text.replace("ς", "σ")) == key


@given(name_text)
@settings(max_examples=300)
def test_r10_username_form_always_contains_the_surname(surname):
    form = username_form(surname)
    assert username_contains_surname(form, surname) is bool(form)
    assert username_contains_surname(f"x{form}9", surname) is bool(form)


@given(name_text)
def test_r10_username_form_of_nfd_matches_nfc_surname(surname):
    form = username_form(unicodedata.normalize("NFD", surname))
    if form:
        assert username_contains_surname(form, unicodedata.normalize("NFC", surname))


@given(
    st.sampled_from(GIVEN_NAMES),
    st.lists(st.sampled_from(SURNAMES), min_size=1, max_size=3).map("-".join),
    st.sets(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=3, max_size=12)),
    st.integers(min_value=0, max_value=8),
)
def test_r10_suggestions_pass_r10_and_are_free(given_name, surname, taken, limit):
    for base in list(taken)[:3]:
        taken.add(username_form(surname) + base[:1])
    names = suggest_usernames(
        given_name,
        surname,
        max_length=32,
        accept=lambda n: USERNAME.fullmatch(n) is not None and n not in taken,
        limit=limit,
    )
    assert len(names) <= limit
    assert len(set(names)) == len(names)
    for name in names:
        assert name not in taken
        assert USERNAME.fullmatch(name)
        assert username_contains_surname(name, surname)
    if len(username_form(surname)) <= 30 and limit:
        assert names
