"""The console's dashboard in Chromium (issue 12 §1, §9, §10): charts, links, scope, phone width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from kleidi.accounts.models import Account
from kleidi.sheets.models import SheetUpload
from tests.e2e.test_sheets import sign_in

pytestmark = pytest.mark.e2e

DAY = dt.timedelta(days=1)


@pytest.fixture
def board_data(transactional_db, demo, settings):
    """Two accounts of different schools expiring within 30 days, a sheet of each school."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    now = timezone.now()
    Account.objects.filter(username="gpapadopoulos").update(expires_at=now + 5 * DAY)
    Account.objects.filter(username="salexiou").update(expires_at=now + 20 * DAY)
    helpdesk = Account.objects.get(username="helpdesk")
    for code in ("el", "ch"):
        SheetUpload.objects.create(
            school=Account.objects.get(username="grammateia" + code).memberships.get().school,
            kind="postgraduate",
            filename=f"dpms-{code}.xlsx",
            content=b"",
            size=0,
            sha256="",
            uploaded_by=helpdesk,
            state="invalid",
        )


def language(page, live_server, code: str) -> None:
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_server.url}]
    )


def test_i12_helpdesk_sees_charts_and_a_number_opens_its_list(
    board_data, page, live_server, artifacts
):
    sign_in(page, live_server, "helpdesk")
    page.goto(f"{live_server.url}/console/")
    assert page.locator("svg.chart[role=img]").count() == 3
    assert page.locator("h2#dash-states").inner_text() == "Λογαριασμοί ανά κατάσταση"
    page.screenshot(path=str(artifacts / "dashboard-helpdesk.png"), full_page=True)
    tile = page.locator(".tile a[href*='expires_within=30']")
    shown = int(tile.locator(".tile-number").inner_text())
    assert shown == 2
    tile.click()
    page.wait_for_url("**/console/accounts/account/?expires_within=30")
    assert page.locator("#result_list tbody tr").count() == shown
    # A table number too: the active accounts.
    page.goto(f"{live_server.url}/console/")
    cell = page.locator("#content-main table a[href$='effective_state=active']")
    shown = int(cell.inner_text())
    cell.click()
    page.wait_for_url("**effective_state=active")
    assert page.locator("#result_list tbody tr").count() == shown


def test_r8_secretariat_dashboard_shows_only_its_school(board_data, page, live_server):
    sign_in(page, live_server, "grammateiael")
    page.goto(f"{live_server.url}/console/")
    assert page.locator(".tile a[href*='expires_within=30'] .tile-number").inner_text() == "1"
    sheets = page.locator("#dash-sheets + .table-scroll").inner_text()
    assert "dpms-el.xlsx" in sheets and "dpms-ch.xlsx" not in sheets
    assert page.locator("a[href*='outboxmessage']").count() == 0


@pytest.mark.parametrize(
    ("code", "heading"), [("el", "Λήξεις ανά μήνα"), ("en", "Expiries per month")]
)
def test_i12_dashboard_fits_a_phone_in_both_languages(
    board_data, browser, live_server, artifacts, code, heading
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="el-GR")
    page = context.new_page()
    try:
        sign_in(page, live_server, "helpdesk")
        language(page, live_server, code)
        page.goto(f"{live_server.url}/console/")
        assert page.locator("h2#dash-months").inner_text() == heading
        assert page.locator("html").get_attribute("lang") == code
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(artifacts / f"dashboard-phone-{code}.png"), full_page=True)
        assert width <= 390, width
    finally:
        context.close()
