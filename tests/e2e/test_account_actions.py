"""Issue 12 §2 in the browser: the helpdesk disables with a reason, sees the timeline,
re-enables, sends a reset link (the demo mailbox holds it), retires after confirming;
the page has no Save button."""

import pytest

from kleidi.accounts.models import Account, AccountState
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import School
from tests.e2e.test_sheets import sign_in

pytestmark = pytest.mark.e2e


def test_i12_helpdesk_acts_on_an_account_page(
    transactional_db, demo, page, live_server, settings, artifacts
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEMO_MODE = True
    sign_in(page, live_server, "helpdesk")
    member = Account.objects.get(username="gpapadopoulos")
    url = f"{live_server.url}/console/accounts/account/{member.pk}/change/"
    page.goto(url)
    assert page.locator('input[name="_save"], input[name="_continue"]').count() == 0
    assert page.locator('input[type="password"]').count() == 0

    # An empty reason is refused by the browser's own check first; the server refuses it too
    # (tests/console/test_account_actions.py).
    page.fill("#disable-reason", "χαμένο laptop")
    page.click("#disable-form button[type=submit]")
    page.wait_for_selector("#enable-form")
    assert Account.objects.get(pk=member.pk).state == AccountState.DISABLED
    row = page.locator('#account-timeline tr[data-action="account.disabled"]').first
    assert "χαμένο laptop" in row.inner_text()
    assert "ενεργός → απενεργοποιημένος" in row.inner_text()

    page.fill("#enable-reason", "βρέθηκε")
    page.click("#enable-form button[type=submit]")
    page.wait_for_selector("#disable-form")
    assert Account.objects.get(pk=member.pk).state == AccountState.ACTIVE
    assert page.locator('#account-timeline tr[data-action="account.enabled"]').count() == 1

    page.click("#link-form button[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "gi…@example.com" in page.locator(".messagelist").inner_text()
    message = OutboxMessage.objects.filter(account=member, template="reset").get()
    assert message.to == "giorgos.papadopoulos@example.com"
    assert page.locator('#account-timeline tr[data-action="link.issued"]').count() == 1
    page.screenshot(path=str(artifacts / "i12-account-actions.png"), full_page=True)

    mailbox = page.context.new_page()
    mailbox.goto(f"{live_server.url}/demo/mailbox/")
    assert "giorgos.papadopoulos@example.com" in mailbox.content()
    assert "/password/link/" in mailbox.content() or "/password/" in mailbox.content()
    mailbox.close()

    page.click("#retire-link")
    page.wait_for_selector("#retire-form")
    page.fill("#retire-reason", "αποχώρησε")
    page.fill("#retire-username", "λάθος")
    page.click("#retire-form input[type=submit]")
    page.wait_for_selector("#retire-errors")
    assert Account.objects.get(pk=member.pk).state == AccountState.ACTIVE
    page.fill("#retire-username", "gpapadopoulos")
    page.click("#retire-form input[type=submit]")
    page.wait_for_selector('#account-timeline tr[data-action="account.retired"]')
    assert Account.objects.get(pk=member.pk).state == AccountState.RETIRED
    assert page.locator("#disable-form, #retire-link, #link-form button").count() == 0
    assert page.locator('input[name="_save"]').count() == 0


def test_i12_helpdesk_creates_a_secretariat_on_the_staff_page(
    transactional_db, demo, page, live_server, settings, artifacts
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sign_in(page, live_server, "helpdesk")
    page.goto(f"{live_server.url}/console/accounts/account/")
    page.click('a[href="/console/accounts/account/staff/"]')
    page.wait_for_selector("#staff-table")
    page.fill("#id_username", "grammateiamech")
    page.fill("#id_surname", "Παππά")
    page.fill("#id_given_name", "Νίκη")
    page.fill("#id_email", "niki.pappa@example.com")
    school = School.objects.get(code="el")
    page.select_option("#id_school", value=str(school.pk))
    page.click("#create-secretariat input[type=submit]")
    page.wait_for_selector('tr[data-username="grammateiamech"]')
    created = Account.objects.get(username="grammateiamech")
    assert (created.role, created.state) == ("secretariat", "pending")
    assert OutboxMessage.objects.filter(account=created, template="welcome").exists()
    page.screenshot(path=str(artifacts / "i12-staff-page.png"), full_page=True)
