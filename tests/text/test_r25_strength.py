"""R25: Greek-aware strength estimate."""

import pytest

from kleidi.text.strength import (
    MAX_ESTIMATED_CHARS,
    SUGGESTION_CODES,
    WARNING_CODES,
    Estimate,
    estimate,
)


@pytest.mark.parametrize(
    "password", ["Papadopoulos2024!", "Giorgos1990", "kalimera123", "agapw1234"]
)
def test_r25_greek_passwords_are_weak(password):
    assert estimate(password, []).guesses < 1e10


@pytest.mark.parametrize(
    "password", ["Παπαδόπουλος2024!", "καλημέρα123", "Giwrgos1990", "kalhmera123", "mairh2000"]
)
def test_r25_greek_script_and_greeklish_are_weak(password):
    assert estimate(password, []).guesses < 1e10


def test_r25_guide_passphrase_is_strong():
    assert estimate("agapw poly th mairh", []).guesses >= 1e12


def test_r25_troubador_is_not_strong_enough():
    assert estimate("Tr0ub4dor&3", []).guesses < 1e12


def test_r25_member_data_counts_against_the_password():
    inputs = ["Ξενοφών", "Τσακαλώτος", "xtsakalotos", "el18999", "xen.tsak@example.org"]
    plain = estimate("Tsakalotos#Xenofon", [])
    own = estimate("Tsakalotos#Xenofon", inputs)
    assert own.guesses < plain.guesses
    assert own.warning == "password.mostly_user_data"  # all of it is the member's
    assert "password.user_data" in own.feedback
    assert estimate("tsak18999!", inputs).guesses < 1e9


def test_r25_greek_name_in_latin_counts_as_user_data():
    result = estimate("Kyparissia-Vrettos", ["Κυπαρισσία", "Βρεττός"])
    assert "password.user_data" in result.feedback


def test_r25_only_first_100_characters_are_estimated():
    head = "x7#Qp" * 20
    long = estimate(head + "a" * 5000, [])
    assert long.truncated
    assert long.guesses == estimate(head, []).guesses
    assert MAX_ESTIMATED_CHARS == 100


def test_r25_estimate_shape_and_codes():
    result = estimate("Giorgos1990", [])
    assert isinstance(result, Estimate)
    assert 0 <= result.score <= 4
    assert result.log10 == pytest.approx(__import__("math").log10(result.guesses))
    assert result.warning in WARNING_CODES
    assert set(result.feedback) <= set(WARNING_CODES)
    assert set(result.suggestions) <= set(SUGGESTION_CODES)
    assert "password.name" in result.feedback
    assert "password.date" in result.feedback


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("abcdefgh", "password.sequence"),
        ("zzzzzzzzzz", "password.repeat"),
        ("zxcvbnm,./", "password.keyboard_pattern"),
        ("13/05/1987", "password.date"),
        ("password", "password.common_password"),
        ("ευχαριστώ", "password.common_word"),
        ("Κατερίνα", "password.name"),
        ("a", "password.too_guessable"),
    ],
)
def test_r25_feedback_codes(password, code):
    assert code in estimate(password, []).feedback


def test_r25_strong_password_has_no_warning_suggestions():
    result = estimate("correct horse battery staple", [])
    assert result.score == 4
    assert "password.too_guessable" not in result.feedback
    assert result.suggestions == ()


def test_r25_l33t_and_capitals_suggestions():
    result = estimate("P@ssw0rd", [])
    assert "password.suggestion.substitutions_dont_help" in result.suggestions
    assert "password.suggestion.capitals_dont_help" in result.suggestions


def test_r25_nfd_greek_password_meets_nfc_dictionaries():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "καλημέρα123")
    assert estimate(nfd, []).guesses == estimate("καλημέρα123", []).guesses
