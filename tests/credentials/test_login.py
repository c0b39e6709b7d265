"""Member sign-in, sign-out and password change (R27, R29)."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from kleidi.accounts import services as account_services
from kleidi.audit.models import AuditEvent
from kleidi.audit.services import pseudonym
from kleidi.notifications.models import OutboxMessage, OutboxStatus
from tests.credentials.conftest import NEW_PASSWORD, STRONG, latest

pytestmark = pytest.mark.django_db


def sign_in(client, username="gpapadopoulos", password=STRONG, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_r27_member_signs_in_and_sees_the_account(client, demo):
    response = sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/start/"  # the landing by role (issue 12 §4)
    assert client.get("/start/")["Location"] == "/account/"
    page = client.get("/account/").content.decode()
    assert "gpapadopoulos" in page
    assert 'href="/password/change/"' in page


def test_r27_sign_in_ignores_username_case(client, demo):
    assert sign_in(client, username="GPapadopoulos")["Location"] == "/start/"


def test_r27_sign_out_only_by_post(client, demo):
    sign_in(client)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/account/").status_code == 302


def test_r27_next_stays_on_this_site(client, demo):
    response = client.post(
        "/accounts/login/",
        {"username": "gpapadopoulos", "password": STRONG, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/start/"
    client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/?next=/password/change/",
        {"username": "gpapadopoulos", "password": STRONG, "next": "/password/change/"},
    )
    assert response["Location"] == "/password/change/"


def test_r27_wrong_password_is_refused_and_audited(client, demo):
    response = sign_in(client, password="not the password")
    assert response.status_code == 200
    assert "Λάθος όνομα χρήστη ή κωδικός" in response.content.decode()
    event = AuditEvent.objects.get(action="login.failed")
    assert event.target_repr == "gpapadopoulos"
    assert event.client_ip == "127.0.0.1"
    response = sign_in(client, username="nobody404", password="whatever it is")
    assert "Λάθος όνομα χρήστη ή κωδικός" in response.content.decode()
    event = AuditEvent.objects.get(action="login.failed", target_repr="")
    assert event.details["username"] == pseudonym("nobody404")


def test_r29_password_typed_as_username_is_not_kept_in_the_audit_log(client, demo, settings):
    """A password typed into the username box is kept only as a keyed digest (item 8)."""
    settings.LOGIN_RATE_PER_ADDRESS = 2
    typed = "agapw poly th mairh"
    for _ in range(3):  # two failures, then the throttled attempt
        sign_in(client, username=typed, password="gpapadopoulos")
    from django.contrib.auth import authenticate

    authenticate(username=typed, password="x")
    events = AuditEvent.objects.filter(action__startswith="login.")
    assert {e.action for e in events} == {"login.failed", "login.throttled"}
    for event in events:
        assert typed not in json.dumps(event.details, ensure_ascii=False)
        assert "agapw" not in json.dumps(event.details, ensure_ascii=False)
        assert event.details["username"] == pseudonym(typed)


def test_r27_failed_sign_ins_are_throttled_per_account(client, demo, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    for _ in range(3):
        assert sign_in(client, password="wrong one here").status_code == 200
    response = sign_in(client)  # even the right password waits
    assert response.status_code == 429
    assert "Πάρα πολλές προσπάθειες" in response.content.decode()
    assert sign_in(Client(REMOTE_ADDR="192.0.2.9")).status_code == 429
    assert sign_in(client, username="salexiou").status_code == 302


def test_r27_failed_sign_ins_are_throttled_per_address(client, demo, settings):
    settings.LOGIN_RATE_PER_ADDRESS = 3
    for name in ["aaa111", "bbb222", "ccc333"]:
        sign_in(client, username=name, password="whatever it is")
    assert sign_in(client).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="192.0.2.10")).status_code == 302


@pytest.mark.parametrize(
    ("username", "code_text"),
    [("kbakogianni", "έχει λήξει"), ("el17007", "καταργηθεί οριστικά")],
)
def test_r27_expired_and_retired_told_why_only_with_the_right_password(
    client, demo, username, code_text
):
    wrong = sign_in(client, username=username, password="not the password")
    assert code_text not in wrong.content.decode()
    assert "Λάθος όνομα χρήστη ή κωδικός" in wrong.content.decode()
    right = sign_in(client, username=username)
    assert right.status_code == 200
    assert code_text in right.content.decode()
    assert client.get("/account/").status_code == 302
    assert AuditEvent.objects.filter(action="login.refused").count() == 1


def test_r27_disabled_account_told_why(client, demo, account):
    account_services.disable_account(account("salexiou"), actor=None)
    response = sign_in(client, username="salexiou")
    assert "απενεργοποιηθεί" in response.content.decode()
    assert client.get("/account/").status_code == 302


def test_r27_pending_account_cannot_sign_in(client, demo):
    response = sign_in(client, username="el24001", password="")
    assert response.status_code == 200
    assert client.get("/account/").status_code == 302


def test_r29_staff_sign_in_is_audited(client, demo):
    assert sign_in(client, username="helpdesk", password=demo.STAFF_PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="login.staff")
    assert event.actor_name == "helpdesk"
    assert event.client_ip == "127.0.0.1"
    sign_in(Client())  # a member: not a staff sign-in
    assert AuditEvent.objects.filter(action="login.staff").count() == 1


def test_r29_staff_sign_in_for_the_console_is_audited(client, demo):
    response = client.post(
        "/accounts/login/?next=/console/",
        {"username": "helpdesk", "password": demo.STAFF_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    assert AuditEvent.objects.filter(action="login.staff").count() == 1


def test_r27_console_login_page_never_checks_passwords_itself(client, demo):
    response = client.post("/console/login/", {"username": "helpdesk", "password": "wrong"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action__startswith="login.").exists()


def test_r29_failed_authenticate_outside_the_portal_is_audited(demo):
    from django.contrib.auth import authenticate

    assert authenticate(username="helpdesk", password="wrong") is None
    assert AuditEvent.objects.filter(action="login.failed", details__via="authenticate").exists()


def test_r27_login_requires_csrf(demo):
    strict = Client(enforce_csrf_checks=True)
    assert sign_in(strict).status_code == 403
    page = strict.get("/accounts/login/")
    token = page.context["csrf_token"]
    response = strict.post(
        "/accounts/login/",
        {"username": "gpapadopoulos", "password": STRONG, "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302


# --------------------------------------------------------------------------
# Change password


def change(client, current=STRONG, new=NEW_PASSWORD, again=None):
    return client.post(
        "/password/change/",
        {
            "current_password": current,
            "new_password1": new,
            "new_password2": new if again is None else again,
        },
    )


def test_r27_change_password_needs_sign_in(client, demo):
    response = client.get("/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/password/change/")


def test_r27_change_password_current_then_new_twice(client, demo, account):
    sign_in(client)
    other = Client()
    sign_in(other)
    page = client.get("/password/change/").content.decode()
    assert page.index('name="current_password"') < page.index('name="new_password1"')
    response = change(client)
    assert response["Location"] == "/password/change/done/"
    assert "Ο κωδικός άλλαξε" in client.get("/password/change/done/").content.decode()
    # This session stays; the other one ends.
    assert client.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302
    assert account("gpapadopoulos").check_password(NEW_PASSWORD)
    assert latest("password_changed") is not None
    assert AuditEvent.objects.filter(action="password.changed").count() == 1


def test_r27_change_with_wrong_current_password_changes_nothing(client, demo, account, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = 2
    sign_in(client)
    before = account("gpapadopoulos").password
    response = change(client, current="not my password")
    assert response.status_code == 200
    assert "Ο τρέχων κωδικός δεν είναι σωστός" in response.content.decode()
    assert account("gpapadopoulos").password == before
    change(client, current="not my password either")
    assert change(client).status_code == 429
    assert account("gpapadopoulos").password == before


def test_r27_change_applies_the_same_policy(client, demo, account):
    sign_in(client)
    response = change(client, new="gpapadopoulos2024")
    assert response.status_code == 200
    assert "βασίζεται στα στοιχεία σας" in response.content.decode()
    assert 'src="/static/credentials/password.js"' in response.content.decode()


# --------------------------------------------------------------------------
# R30 the outbox command


def test_r30_outbox_list_and_retry_json(demo, capsys):
    client = Client()
    client.post(
        "/password/forgot/",
        {"username": "gpapadopoulos", "email": "giorgos.papadopoulos@example.com"},
    )
    message = OutboxMessage.objects.get(template="reset")
    call_command("outbox", "list", "--format", "json")
    listed = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in listed["messages"]] == [message.pk]
    row = listed["messages"][0]
    assert set(row) == {
        "id",
        "created_at",
        "template",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    }
    assert "link" not in json.dumps(row)  # bodies (with links) are never printed
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.FAILED, attempts=8, last_error="SMTP down"
    )
    call_command("outbox", "list", "--status", "failed")
    assert "SMTP down" in capsys.readouterr().out
    call_command("outbox", "retry", "--format", "json")
    retried = json.loads(capsys.readouterr().out)
    assert retried == {"requeued": 1, "ids": [message.pk], "skipped": []}
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 0
    call_command("outbox", "retry", "999999", "--format", "json")
    assert json.loads(capsys.readouterr().out) == {"requeued": 0, "ids": [], "skipped": [999999]}


def test_r27_an_overlong_current_password_is_refused_naming_the_limit(client, demo):
    from kleidi.credentials.forms import PASSWORD_FIELD_MAX

    sign_in(client)
    response = client.post(
        "/password/change/",
        {
            "current_password": "x" * (PASSWORD_FIELD_MAX + 1),
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert f"Το πεδίο μπορεί να έχει το πολύ {PASSWORD_FIELD_MAX} χαρακτήρες." in (
        response.content.decode()
    )
