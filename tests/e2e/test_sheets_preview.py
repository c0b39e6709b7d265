"""Issue 12 §5 in Chromium: the error-first preview on a 390 px phone, then apply via
the confirmation."""

import pytest

from kleidi.accounts.models import Account
from tests.e2e.test_sheets import sign_in
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def upload(page, live_server, path):
    page.goto(f"{live_server.url}/sheets/")
    page.select_option("#id_kind", "postgraduate")
    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#preview")


def test_i12_error_first_preview_on_a_phone(
    transactional_db, demo, page, live_server, settings, tmp_path, artifacts
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "grammateiael")
    rows = [
        person_row(1),
        person_row(2, external_email="n.dimitriou@central.ntua.gr", mobile="12345"),
        person_row(3),
        person_row(4, mobile="999"),
    ]
    sheet = tmp_path / "dpms-2027.xlsx"
    sheet.write_bytes(xlsx(table(rows)))
    upload(page, live_server, sheet)
    assert page_width(page) <= PHONE["width"]

    # Every error at the top, in Greek, with its code: both of row 3 and the one of row 5.
    items = page.locator("#error-list li")
    assert items.count() == 3
    texts = items.all_inner_texts()
    assert texts[0].startswith("Γραμμή 3 · ")
    assert any(
        "Κινητό τηλέφωνο" in t and "phone.invalid" in t and t.startswith("Γραμμή 3") for t in texts
    )
    assert any(t.startswith("Γραμμή 5 · Κινητό τηλέφωνο") for t in texts)

    # Clicking an error targets and focuses its cell.
    page.click('#error-list a[href="#r5-mobile"]')
    page.wait_for_function("document.activeElement && document.activeElement.id === 'r5-mobile'")
    assert page.evaluate("document.querySelector(':target').id") == "r5-mobile"
    assert page.locator("#r5-mobile").is_visible()

    # The table scrolls inside its box; the row number and the outcome stay in view.
    region = page.locator("#preview-wrap")
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("role") == "region"
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert region.evaluate("el => el.scrollLeft") > 0
    box = region.bounding_box()
    for selector in (
        "#preview tbody tr:first-child th.row-number",
        "#preview tbody tr:first-child td.outcome",
    ):
        cell = page.locator(selector).bounding_box()
        assert cell["x"] >= box["x"] - 1, selector
        assert cell["x"] + cell["width"] <= box["x"] + box["width"] + 1, selector
    region.evaluate("el => { el.scrollLeft = Math.floor(el.scrollWidth / 2); }")
    number = page.locator("#preview tbody tr:first-child th.row-number").bounding_box()
    assert abs(number["x"] - box["x"]) <= 2
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=str(artifacts / "i12-sheet-preview-390.png"), full_page=True)

    # The toggle shows only the rows with errors (3 and 5), and back.
    page.click("#errors-toggle a")
    page.wait_for_url("**?errors=1*")
    numbers = page.locator("#preview tbody th.row-number").all_inner_texts()
    assert numbers == ["3", "5"]
    page.click("#errors-toggle a")
    page.wait_for_function("document.querySelectorAll('#preview tbody th.row-number').length === 4")
    assert page.locator("#apply").is_disabled()


def test_i12_apply_via_the_confirmation(
    transactional_db, demo, page, live_server, settings, tmp_path
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "grammateiael")
    sheet = tmp_path / "dpms-2027.xlsx"
    sheet.write_bytes(xlsx(table([person_row(1), person_row(2)])))
    page.goto(f"{live_server.url}/sheets/")
    assert page_width(page) <= PHONE["width"]
    upload(page, live_server, sheet)
    assert page.locator("#error-list").count() == 0
    page.click("#apply")
    page.wait_for_selector("#confirm-form")
    assert page_width(page) <= PHONE["width"]
    plan = page.locator("#plan").inner_text()
    assert "2 λογαριασμοί προς δημιουργία" in plan
    assert "2 μηνύματα καλωσορίσματος" in plan
    assert not Account.objects.filter(username="nioannou").exists()
    page.click("#confirm-apply")
    page.wait_for_selector("#applied-record")
    assert "εφαρμόστηκε" in page.locator("#sheet-state").inner_text()
    assert "2 αλλαγές" in page.locator("#applied-record").inner_text()
    assert page.locator("#apply").count() == 0
    assert Account.objects.filter(username__in=["nioannou", "ndimitriou"]).count() == 2
    with page.expect_download() as download:
        page.click("#download-results")
    assert download.value.suggested_filename == "dpms-2027-results.xlsx"
