"""In Chromium: the helpdesk resolves a possible duplicate (R16); a secretariat only reads."""

import pytest

from kleidi.people.services import create_person
from kleidi.review.models import ItemState, ReviewItem
from kleidi.sheets.services import upload_sheet
from tests.e2e.test_sheets import sign_in
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.e2e


def test_r16_the_helpdesk_links_a_possible_duplicate_to_the_candidate(
    transactional_db, demo, page, live_server, settings, artifacts
):
    from kleidi.accounts.models import Account
    from kleidi.people.models import School

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    school = School.objects.get(code="el")
    eleni = create_person(
        {"surname": "Θεοχάρη", "given_name": "Ελένη", "external_email": "eleni.old@example.com"},
        school=school,
    )
    row = person_row(
        1,
        username="etheochari",
        surname="Θεοχάρη",
        given_name="Ελένη",
        father_name="",
        mother_name="",
        external_email="eleni.new@example.com",
    )
    upload_sheet(
        content=xlsx(table([row])),
        filename="dpms.xlsx",
        school=school,
        kind="postgraduate",
        actor=Account.objects.get(username="grammateiael"),
    )
    item = ReviewItem.objects.get()

    sign_in(page, live_server, "grammateiael")
    page.goto(f"{live_server.url}/console/review/reviewitem/{item.pk}/change/")
    assert "eleni.new@example.com" in page.locator(".review-comparison").inner_text()
    assert page.locator("form.review-approve").count() == 0
    assert "μόνο για ανάγνωση" in page.locator("#content-main").inner_text()

    page.context.clear_cookies()
    sign_in(page, live_server, "helpdesk")
    page.goto(f"{live_server.url}/console/review/reviewitem/")
    page.fill("#searchbar", "θεοχαρη")
    page.press("#searchbar", "Enter")
    page.click("text=Θεοχάρη Ελένη")
    comparison = page.locator(".review-comparison")
    assert "διαφέρει" in comparison.inner_text() and "ίδιο" in comparison.inner_text()
    page.screenshot(path=str(artifacts / "review-item.png"), full_page=True)

    page.check(f"form.review-approve input[name=decision][value='{eleni.pk}']")
    page.click("form.review-approve button[type=submit]")
    assert ReviewItem.objects.get().state == ItemState.OPEN  # the browser refused: no reason
    page.fill("#approve-reason", "Η ίδια φοιτήτρια με νέο email")
    page.click("form.review-approve button[type=submit]")
    page.wait_for_url("**/console/review/reviewitem/")
    assert "Εγκρίθηκε" in page.locator(".messagelist").inner_text()
    item.refresh_from_db()
    assert (item.state, item.person, item.decided_by.username) == (
        ItemState.APPROVED,
        eleni,
        "helpdesk",
    )
