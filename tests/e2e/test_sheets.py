"""A secretariat's whole sheet workflow in Chromium (R8, R19): errors, results, fix, apply."""

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.test import Client

from kleidi.notifications.models import OutboxMessage
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.e2e


def sign_in(page, live_server, username):
    """A staff session made by Django's test client, handed to the browser."""
    client = Client()
    from kleidi.accounts.models import Account

    client.force_login(Account.objects.get(username=username))
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_r19_secretariat_fixes_a_sheet_and_applies_it(
    transactional_db, demo, page, live_server, settings, tmp_path
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SHEET_TASK_THRESHOLD_ROWS = 2
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "mail", "sheets"],
        }
    }
    sign_in(page, live_server, "grammateiael")
    rows = [
        person_row(1),
        person_row(2, external_email="n.dimitriou@central.ntua.gr"),
        person_row(3, mobile="12345"),
    ]
    first = tmp_path / "dpms.xlsx"
    first.write_bytes(xlsx(table(rows)))

    page.goto(f"{live_server.url}/sheets/")
    page.select_option("#id_kind", "postgraduate")
    page.set_input_files("#id_file", str(first))
    page.click("#upload-form button[type=submit]")

    page.wait_for_selector("#preview")
    bad_email = page.locator('td.bad[data-field="external_email"][data-row="3"]')
    assert bad_email.is_visible()
    assert "ΕΜΠ" in bad_email.inner_text()
    bad_mobile = page.locator('td.bad[data-field="mobile"][data-row="4"]')
    assert bad_mobile.is_visible()
    assert page.locator("#summary").inner_text().count("phone.invalid") == 1
    assert page.locator("#apply").is_disabled()

    with page.expect_download() as download_info:
        page.click("#download-results")
    results = tmp_path / "results.xlsx"
    download_info.value.save_as(results)

    workbook = openpyxl.load_workbook(results)
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    email_col = header.index("Email εκτός ΕΜΠ") + 1
    mobile_col = header.index("Κινητό τηλέφωνο") + 1
    assert sheet.cell(row=3, column=len(header) - 1).value == "Σφάλμα"
    sheet.cell(row=3, column=email_col).value = "n.dimitriou@example.com"
    sheet.cell(row=4, column=mobile_col).value = "6900000003"
    fixed = tmp_path / "dpms-fixed.xlsx"
    workbook.save(fixed)

    page.goto(f"{live_server.url}/sheets/")
    page.select_option("#id_kind", "postgraduate")
    page.set_input_files("#id_file", str(fixed))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#apply")
    assert page.locator("td.bad").count() == 0
    assert page.locator("#apply").is_enabled()

    page.click("#apply")
    page.wait_for_selector("#confirm-form")  # the confirmation step (issue 12 §5)
    assert "3 λογαριασμοί προς δημιουργία" in page.locator("#plan").inner_text()
    page.click("#confirm-apply")
    page.wait_for_url("**/progress/")
    page.wait_for_function("document.getElementById('progress').value === 100")
    # Once polled, the state is still in the page's language (issue 12 §7).
    polled = page.wait_for_function(
        "() => document.getElementById('progress-card').dataset.polled"
        " && document.getElementById('progress-state').textContent"
    )
    assert polled.json_value() == "εφαρμόστηκε"
    assert page.locator("#percent").inner_text() == "100"
    page.wait_for_url("**/sheets/*/", timeout=15_000)
    assert "εφαρμόστηκε" in page.locator("#sheet-state").inner_text()

    welcomes = OutboxMessage.objects.filter(template="welcome")
    assert sorted(m.account.username for m in welcomes) == ["nantoniou", "ndimitriou", "nioannou"]
