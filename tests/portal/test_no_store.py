"""DESIGN §6: personal pages are never stored by a browser or a proxy (Cache-Control: no-store)."""

import pytest
from django.test import Client

from kleidi.people.models import School
from kleidi.sheets.services import upload_sheet
from tests.credentials.conftest import EMAIL, latest, link_in
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def signed_in(account, username: str) -> Client:
    browser = Client()
    browser.force_login(account(username))
    return browser


def test_r27_account_page_is_not_stored(demo, account):
    response = signed_in(account, "gpapadopoulos").get("/account/")
    assert response.status_code == 200
    assert no_store(response)


def test_r19_sheet_pages_and_files_are_not_stored(demo, account):
    secretariat = account("grammateiael")
    upload = upload_sheet(
        content=xlsx(table([person_row(1)])),
        filename="a.xlsx",
        school=School.objects.get(code="el"),
        kind="postgraduate",
        actor=secretariat,
    )
    browser = signed_in(account, "grammateiael")
    for url in ["/sheets/", f"/sheets/{upload.pk}/", f"/sheets/{upload.pk}/status.json"]:
        response = browser.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url
    results = browser.get(f"/sheets/{upload.pk}/results.xlsx")
    assert results.status_code == 200
    assert no_store(results)


def test_demo_mailbox_is_not_stored(demo, settings):
    settings.DEMO_MODE = True
    response = Client().get("/demo/mailbox/")
    assert response.status_code == 200
    assert no_store(response)


def test_r24_link_and_reset_pages_are_not_stored(demo, client):
    forgot = client.get("/password/forgot/")
    assert no_store(forgot)
    sent = client.post("/password/forgot/", {"username": "gpapadopoulos", "email": EMAIL})
    assert no_store(sent)
    assert no_store(client.get("/password/forgot/sent/"))
    _, path, _ = link_in(latest("reset"))
    assert no_store(client.get(path))
    assert no_store(client.get("/password/set/"))
    assert no_store(Client().get("/password/link/unknown-token/", follow=True))
