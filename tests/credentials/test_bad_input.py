"""Bad input gets a clear answer and changes nothing (R23–R27)."""

import pytest
from django.test import Client

from kleidi.audit.models import AuditEvent
from kleidi.credentials.models import LinkToken
from kleidi.notifications.models import OutboxMessage
from tests.credentials.conftest import EMAIL

pytestmark = pytest.mark.django_db


def nothing_written():
    return (
        OutboxMessage.objects.count() == 0
        and LinkToken.objects.count() == 0
        and not AuditEvent.objects.filter(action__startswith="password.").exists()
    )


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"username": "g" * 65, "email": EMAIL}, "το πολύ 64 χαρακτήρες"),
        ({"username": "gpapadopoulos", "email": "a@" + "b" * 300 + ".com"}, "το πολύ 254"),
        ({"username": "gpapa\x00dopoulos", "email": EMAIL}, "μηδενικοί"),
        ({"username": "gpapadopoulos\x1b", "email": EMAIL}, "χαρακτήρες ελέγχου"),
        ({"username": "gpapadopoulos", "email": EMAIL + "\x07"}, "χαρακτήρες ελέγχου"),
        ({"username": "", "email": EMAIL}, "απαραίτητο"),
        ({"username": "gpapadopoulos"}, "απαραίτητο"),
    ],
)
def test_r23_bad_forgot_input_is_explained_and_changes_nothing(client, demo, data, text):
    response = client.post("/password/forgot/", data)
    assert response.status_code == 200
    assert text in response.content.decode()
    assert nothing_written()


def test_r23_forgot_without_csrf_is_refused(demo):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/password/forgot/", {"username": "gpapadopoulos", "email": EMAIL})
    assert response.status_code == 403
    assert nothing_written()


def test_r23_forgot_with_a_stale_csrf_token_is_refused(demo):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/password/forgot/",
        {"username": "gpapadopoulos", "email": EMAIL, "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403
    assert nothing_written()


def test_r24_set_password_without_csrf_is_refused(demo, request_link, account):
    path, _ = request_link()
    strict = Client(enforce_csrf_checks=True)
    strict.get(path)
    before = account("gpapadopoulos").password
    response = strict.post(
        "/password/set/",
        {"new_password1": "agapw poly th mairh", "new_password2": "agapw poly th mairh"},
    )
    assert response.status_code == 403
    assert account("gpapadopoulos").password == before


def test_r27_overlong_and_control_sign_in_input(client, demo):
    response = client.post("/accounts/login/", {"username": "x" * 500, "password": "y"})
    assert response.status_code == 200
    assert "το πολύ 64 χαρακτήρες" in response.content.decode()
    response = client.post(
        "/accounts/login/", {"username": "gpapadopoulos", "password": "p" * 5000}
    )
    assert "το πολύ 4096 χαρακτήρες" in response.content.decode()
    assert client.get("/account/").status_code == 302


def test_r25_overlong_new_password_is_refused(client, demo, request_link, account):
    path, _ = request_link()
    client.get(path)
    before = account("gpapadopoulos").password
    long = "λέξη " * 2000
    response = client.post("/password/set/", {"new_password1": long, "new_password2": long})
    assert response.status_code == 200
    assert "το πολύ" in response.content.decode()
    assert account("gpapadopoulos").password == before


def test_r23_wrong_methods_are_refused(client):
    assert client.put("/password/forgot/").status_code == 405
    assert client.post("/password/forgot/sent/").status_code == 405
