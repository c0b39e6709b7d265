"""The guide's "Ξέχασα το password" as a member lives it, in Chromium (R23–R27)."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from kleidi.notifications.models import OutboxMessage
from tests.credentials.conftest import delivered, links_in

pytestmark = [pytest.mark.e2e]

EMAIL = "giorgos.papadopoulos@example.com"
WEAK = "Papadopoulos2024!"
STRONG = "kokkino podilato sto vouno tis kritis"
LOCKED_HINT = "Το πεδίο επιβεβαίωσης ενεργοποιείται μόλις ο κωδικός γίνει αρκετά ισχυρός."
LINK = re.compile(r"https?://[^\s\"<>]+/password/link/[A-Za-z0-9_-]+/")


@pytest.fixture
def members(transactional_db, demo):
    """The demo data in a database the live server sees; rate limits start at zero."""
    cache.clear()
    yield demo
    cache.clear()


def link_from_mail(template: str, to: str) -> str:
    """The link of the newest `template` message to `to`, from the mail delivery sends."""
    message = OutboxMessage.objects.filter(template=template, to=to).order_by("-pk").first()
    assert message is not None, f"no {template} message to {to}"
    (link,) = links_in(delivered(message), LINK)
    return link


def tab_to(page, name: str, limit: int = 40) -> None:
    """Press Tab until the field called `name` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def expect_locked(field) -> None:
    """The confirmation while the password is weak: read-only, aria-disabled, never disabled."""
    expect(field).to_have_attribute("aria-disabled", "true")
    expect(field).not_to_be_editable()
    assert field.evaluate("node => node.disabled") is False


def expect_unlocked(field) -> None:
    expect(field).to_have_attribute("aria-disabled", "false")
    expect(field).to_be_editable()


def open_reset_link(page, live_server, username="gpapadopoulos", email=EMAIL) -> None:
    page.goto(f"{live_server.url}/password/forgot/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", email)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("Ελέγξτε τη γραμματοθυρίδα σας")
    page.goto(link_from_mail("reset", email))
    expect(page).to_have_url(f"{live_server.url}/password/set/")


def test_r23_r25_r26_forgot_password_flow_in_the_browser(page, live_server, members, artifacts):
    page.goto(f"{live_server.url}/go/forgot-password")
    expect(page.locator("h1")).to_have_text("Ξέχασα τον κωδικό")
    page.fill("input[name=username]", "gpapadopoulos")
    page.fill("input[name=email]", EMAIL)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("Ελέγξτε τη γραμματοθυρίδα σας")
    expect(page.locator("main")).to_contain_text("ανεπιθύμητης αλληλογραφίας")

    link = link_from_mail("reset", EMAIL)
    page.goto(link)
    expect(page).to_have_url(f"{live_server.url}/password/set/")
    expect(page.locator("h1")).to_have_text("Ορίστε νέο κωδικό")
    first = page.locator("input[name=new_password1]")
    second = page.locator("input[name=new_password2]")
    expect_locked(second)

    first.press_sequentially(WEAK, delay=15)
    expect(page.locator("#strength-feedback")).to_contain_text("βασίζεται στα στοιχεία σας")
    expect(page.locator("#strength-feedback li")).to_have_count(2)  # one reason, one tip
    expect(page.locator("#strength-meter")).not_to_have_attribute("data-level", "4")
    expect_locked(second)

    first.fill(STRONG)
    expect_unlocked(second)
    expect(page.locator("#strength-status")).to_have_text("Ισχυρός")
    expect(page.locator("#strength-meter")).to_have_attribute("data-level", "4")
    page.screenshot(path=str(artifacts / "set-password.png"), full_page=True)

    second.fill(STRONG)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("Ο κωδικός σας ορίστηκε")
    assert OutboxMessage.objects.filter(template="password_changed", to=EMAIL).count() == 1
    changed = OutboxMessage.objects.get(template="password_changed")
    assert STRONG not in changed.body_text

    page.click("main a.button")  # "Σύνδεση"
    page.fill("input[name=username]", "gpapadopoulos")
    page.fill("input[name=password]", STRONG)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.locator("main h2")).to_have_text("gpapadopoulos")


def test_r25_keyboard_only(page, live_server, members):
    page.goto(f"{live_server.url}/password/forgot/")
    tab_to(page, "username")
    page.keyboard.type("el24001")
    page.keyboard.press("Tab")
    page.keyboard.type("giannis.georgiou@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ελέγξτε τη γραμματοθυρίδα σας")

    page.goto(link_from_mail("reset", "giannis.georgiou@example.com"))
    expect(page.locator("h1")).to_have_text("Ενεργοποίηση λογαριασμού")
    tab_to(page, "new_password1")
    page.keyboard.type(STRONG)
    expect_unlocked(page.locator("input[name=new_password2]"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password-reveal"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "new_password2"
    page.keyboard.type(STRONG)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ο κωδικός σας ορίστηκε")
    expect(page.locator("main")).to_contain_text("Ο λογαριασμός σας είναι ενεργός")


def test_r25_without_javascript_the_server_checks(browser, live_server, members, settings):
    settings.BASE_URL = live_server.url
    context = browser.new_context(locale="el-GR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/password/forgot/")
        page.fill("input[name=username]", "gpapadopoulos")
        page.fill("input[name=email]", EMAIL)
        page.click("button[type=submit].primary")
        page.goto(link_from_mail("reset", EMAIL))
        second = page.locator("input[name=new_password2]")
        expect(second).to_be_enabled()
        page.fill("input[name=new_password1]", WEAK)
        second.fill(WEAK)
        page.click("button[type=submit].primary")
        expect(page.locator(".errorlist")).to_contain_text("βασίζεται στα στοιχεία σας")
        page.fill("input[name=new_password1]", STRONG)
        second.fill(STRONG)
        page.click("button[type=submit].primary")
        expect(page.locator("h1")).to_have_text("Ο κωδικός σας ορίστηκε")
    finally:
        context.close()


def test_r24_used_link_offers_a_new_one(page, live_server, members):
    page.goto(f"{live_server.url}/password/link/not-a-real-token/")
    expect(page.locator("h1")).to_have_text("Ο σύνδεσμος δεν ισχύει")
    page.click("text=Ζητήστε νέο σύνδεσμο")
    expect(page).to_have_url(f"{live_server.url}/password/forgot/")


# --------------------------------------------------------------------------
# Issue 12 §8: the toggle, the locked confirmation, errors tied to fields


def test_i12_show_hide_toggle_by_mouse_and_keyboard(page, live_server, members, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    open_reset_link(page, live_server)
    toggle = page.locator("button#password-reveal")
    first = page.locator("input[name=new_password1]")
    second = page.locator("input[name=new_password2]")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Εμφάνιση κωδικού")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(first).to_have_attribute("type", "password")
    first.fill(STRONG)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(first).to_have_attribute("type", "text")
    expect(second).to_have_attribute("type", "text")
    assert first.input_value() == STRONG  # the value survives the switch
    toggle.focus()
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(first).to_have_attribute("type", "password")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect_unlocked(second)
    second.fill(STRONG)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("Ο κωδικός σας ορίστηκε")


def test_i12_locked_confirmation_is_focusable_and_announces_it_unlocked(
    page, live_server, members, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    open_reset_link(page, live_server)
    second = page.locator("input[name=new_password2]")
    hint = page.locator("#confirm-hint")
    expect_locked(second)
    second.focus()
    assert page.evaluate("document.activeElement.name") == "new_password2"
    assert "confirm-hint" in second.get_attribute("aria-describedby")
    expect(hint).to_have_attribute("aria-live", "polite")
    expect(hint).to_have_text(LOCKED_HINT)
    page.keyboard.type("xyz")  # typing into the locked field changes nothing
    assert second.input_value() == ""

    page.locator("input[name=new_password1]").fill(STRONG)
    expect(hint).to_have_text("Ο κωδικός είναι αρκετά ισχυρός: πληκτρολογήστε τον ξανά εδώ.")
    expect_unlocked(second)
    page.locator("input[name=new_password1]").fill(WEAK)
    expect(hint).to_have_text(LOCKED_HINT)
    expect_locked(second)


def test_i12_server_error_is_tied_to_its_field_and_takes_the_focus(
    page, live_server, members, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    open_reset_link(page, live_server)
    page.locator("input[name=new_password1]").fill(WEAK)
    page.click("button[type=submit].primary")  # the server judges, the page comes back
    expect(page.locator("#id_new_password1_error")).to_contain_text("βασίζεται στα στοιχεία σας")
    first = page.locator("input[name=new_password1]")
    expect(first).to_have_attribute("aria-invalid", "true")
    assert first.get_attribute("aria-describedby").split()[0] == "id_new_password1_error"
    expect(first).to_be_focused()
    expect(page.locator("#id_new_password1_error li")).to_have_count(1)


def test_i12_change_password_focus_on_the_first_invalid_field_in_english(
    page, live_server, members, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from tests.e2e.test_sheets import sign_in

    sign_in(page, live_server, "gpapadopoulos")
    page.goto(f"{live_server.url}/password/change/")
    page.click(".language button:has-text('English')")
    expect(page.locator("h1")).to_have_text("Change your password")
    expect(page.locator("button#password-reveal")).to_have_text("Show password")
    page.fill("input[name=current_password]", "not my password at all")
    page.locator("input[name=new_password1]").fill(STRONG)
    expect_unlocked(page.locator("input[name=new_password2]"))
    page.locator("input[name=new_password2]").fill(STRONG)
    page.click("button[type=submit].primary")
    current = page.locator("input[name=current_password]")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_have_attribute("aria-describedby", "id_current_password_error")
    expect(page.locator("#id_current_password_error")).to_contain_text("not correct")
    expect(current).to_be_focused()
