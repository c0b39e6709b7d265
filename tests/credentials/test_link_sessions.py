"""R24, DESIGN §6: anonymous link visits write no session row; the flow keeps working.

Django's database sessions are purged only by `kleidi clearsessions`, and a
session row holds its cookie (the session key) in the clear: a row holding a
link's hash let a copy of the database finish someone's reset. The link flow
keeps its state in signed cookies instead.
"""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.credentials.conftest import NEW_PASSWORD

pytestmark = pytest.mark.django_db


def test_r24_valid_link_visit_and_whole_flow_leave_no_session_row(demo, request_link, account):
    path, _ = request_link()
    browser = Client()
    assert browser.get(path).status_code == 302
    assert browser.get("/password/set/").status_code == 200
    assert browser.post("/password/strength/", {"password": "x"}).status_code == 200
    assert not Session.objects.exists()
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = browser.post("/password/set/", data)
    assert response["Location"] == "/password/set/done/"
    assert response.cookies["kleidi_link"].value == ""  # the link cookie is dropped
    done = browser.get("/password/set/done/")
    assert done.status_code == 200
    assert browser.get("/password/set/done/").status_code == 302  # shown once
    assert account("gpapadopoulos").check_password(NEW_PASSWORD)
    assert not Session.objects.exists()


@pytest.mark.parametrize("token", ["not-a-real-token-at-all", "A" * 5000])
def test_r24_invalid_link_visit_leaves_no_session_row(demo, token):
    browser = Client()
    response = browser.get(f"/password/link/{token}/", follow=True)
    assert response.status_code == 410
    assert "Ο σύνδεσμος δεν ισχύει" in response.content.decode()
    assert not Session.objects.exists()


def test_r24_a_copied_session_row_cannot_finish_a_reset(demo, request_link, account, settings):
    """A signed-in member opens a link: the session row a thief copies carries no link."""
    path, _ = request_link()
    browser = Client()
    browser.force_login(account("gpapadopoulos"))
    browser.get(path)
    assert browser.get("/password/set/").status_code == 200
    keys = list(Session.objects.values_list("session_key", flat=True))
    assert keys
    for key in keys:
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = key
        assert thief.get("/password/set/").status_code == 410
