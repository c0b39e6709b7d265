"""The password page (issue 12 §8): one reason and one tip, errors tied to their fields.

The browser half (the toggle, the locked confirmation, the live region, the
focus) is in tests/e2e/test_credentials.py.
"""

import re

import pytest
from django.utils import translation

from kleidi.credentials.feedback import advice
from kleidi.credentials.validators import check_password_policy
from tests.credentials.test_password import STRONG, meter, submit

JARGON = re.compile(r"10\^|\^|spatial|zxcvbn|guesses|δοκιμές|entropy|εντροπ|pattern|μοτίβο", re.I)

# Typical weak passwords a member types, and the reason the page gives first.
TYPICAL = [
    ("123456", "password.too_short"),
    ("Tr0ub4dor&3", "password.too_short"),
    ("Papadopoulos2024!", "password.name"),
    ("maria1985maria1985", "password.repeat"),
    ("password123456789", "password.common_password"),
    ("kalimera kalispera", "password.common_word"),
    ("hjkl;'nm,./uiop[", "password.keyboard_pattern"),
    ("1qaz2wsx3edc4rfv", "password.common"),
]


@pytest.mark.parametrize(("password", "reason"), TYPICAL, ids=[p for p, _ in TYPICAL])
@pytest.mark.parametrize("language", ["el", "en"])
def test_i12_feedback_is_one_reason_and_one_tip_in_plain_words(password, reason, language):
    with translation.override(language):
        found = advice(check_password_policy(password))
    assert found.reason_code == reason
    assert found.tip_code.startswith("password.suggestion.")
    lines = found.as_list()
    assert len(lines) == 2
    for line in lines:
        assert not JARGON.search(line["message"]), line
    if language == "el":
        assert re.search("[α-ω]", found.reason + found.tip)


def test_i12_an_accepted_password_gets_no_advice():
    assert advice(check_password_policy(STRONG)) is None


def test_i12_the_meter_answers_at_most_one_reason_and_one_tip(client):
    for password, _ in TYPICAL:
        _, data = meter(client, password)
        assert 1 <= len(data["feedback"]) <= 2
        assert not any(JARGON.search(f["message"]) for f in data["feedback"])
    _, data = meter(client, STRONG)
    assert data["feedback"] == []


def test_i12_too_weak_message_has_no_guess_count():
    from kleidi.errors import message

    for language in ("el", "en"):
        assert not JARGON.search(message("password.too_weak", language=language))


def field(html: str, name: str) -> str:
    (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return tag


def test_i12_a_server_error_stays_tied_to_its_field_and_takes_the_focus(client, demo, request_link):
    path, _ = request_link()
    client.get(path)
    html = submit(client, "Papadopoulos2024!").content.decode()
    first = field(html, "new_password1")
    assert 'aria-invalid="true"' in first
    described = re.search(r'aria-describedby="([^"]*)"', first).group(1).split()
    assert described[0] == "id_new_password1_error"
    assert {"password-policy", "strength-status"} <= set(described)
    assert 'id="id_new_password1_error"' in html
    (error_list,) = re.findall(r'<ul class="errorlist" id="id_new_password1_error">.*?</ul>', html)
    assert error_list.count("<li>") == 1  # one reason
    assert "βασίζεται στα στοιχεία σας" in error_list
    assert "autofocus" in first
    assert "autofocus" not in field(html, "new_password2")
    # Without JavaScript the tip is under the field, once.
    assert html.count("Μη χρησιμοποιείτε το όνομα, το όνομα χρήστη") == 1


def test_i12_the_first_invalid_field_takes_the_focus_not_the_autofocused_one(client, account):
    client.force_login(account("gpapadopoulos"))
    html = client.post(
        "/password/change/",
        {"current_password": "", "new_password1": STRONG, "new_password2": STRONG + "x"},
    ).content.decode()
    assert "autofocus" in field(html, "current_password")  # first invalid: required
    html = client.post(
        "/password/change/",
        {"current_password": "whatever it was", "new_password1": STRONG, "new_password2": "x"},
    ).content.decode()
    assert "autofocus" not in field(html, "current_password")
    second = field(html, "new_password2")
    assert "autofocus" in second
    assert 'aria-invalid="true"' in second
    assert 'aria-describedby="id_new_password2_error"' in second


def test_i12_the_toggle_is_a_real_translated_button(client, account):
    client.force_login(account("gpapadopoulos"))
    html = client.get("/password/change/").content.decode()
    (button,) = re.findall(r"<button[^>]*class=\"reveal\"[^>]*>[^<]*</button>", html)
    assert 'type="button"' in button
    assert 'aria-pressed="false"' in button
    assert 'aria-controls="id_new_password1 id_new_password2"' in button
    assert "Εμφάνιση κωδικού" in button
    client.cookies["django_language"] = "en"
    assert "Show password" in client.get("/password/change/").content.decode()
