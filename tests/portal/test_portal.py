"""The portal shell, the demo data, the helpdesk console and configuration (Foundation)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.urls import reverse

from kleidi.accounts.models import Account, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.people.models import Person
from kleidi.portal import demo as demo_data
from kleidi.portal.management.commands.errors_doc import render as render_errors_doc

ROOT = Path(__file__).resolve().parents[2]
HELP_SLUGS = [
    "new-undergraduate",
    "external-email",
    "forgot-password",
    "bulk-provisioning",
    "bulk-renewal",
]


def in_language(client, language: str):
    client.cookies["django_language"] = language
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("el", "Κωδικοί ηλεκτρονικών υπηρεσιών ΕΜΠ"),
        ("en", "Credentials for NTUA's electronic services"),
    ],
)
def test_home_renders_in_greek_and_english(client, language, expected):
    response = in_language(client, language).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert f'<html lang="{language}">' in html
    assert 'href="#main"' in html and '<main id="main"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["", "en-US,en;q=0.9", "de-DE"])
def test_greek_is_the_default_language_whatever_the_browser_says(client, accept):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert '<html lang="el">' in response.content.decode()


@pytest.mark.django_db
def test_language_switch_chooses_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/help/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("slug", HELP_SLUGS)
@pytest.mark.parametrize("language", ["el", "en"])
def test_help_pages_render(client, slug, language):
    response = in_language(client, language).get(f"/help/{slug}/")
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("slug", [s for s in HELP_SLUGS if s != "forgot-password"])
def test_short_links_are_stable(client, slug):
    response = client.get(f"/go/{slug}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/help/{slug}/"


@pytest.mark.django_db
def test_short_link_forgot_password_opens_the_form(client):
    response = client.get("/go/forgot-password")
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("password-forgot")


@pytest.mark.django_db
def test_unknown_short_link_is_404(client):
    assert client.get("/go/nothing-here").status_code == 404


def test_r27_member_page_shows_kind_state_expiry(client, account):
    client.force_login(account("gpapadopoulos"))
    html = in_language(client, "el").get("/account/").content.decode()
    assert "gpapadopoulos" in html
    assert "μεταπτυχιακός" in html
    assert "ενεργός" in html
    assert "Λήγει" in html


@pytest.mark.django_db
def test_member_page_requires_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_demo_mailbox_hidden_outside_demo(client, settings):
    settings.DEMO_MODE = False
    assert client.get("/demo/mailbox/").status_code == 404


def test_demo_seeding_is_idempotent(demo):
    counts = (Account.objects.count(), Person.objects.count())
    assert demo.seed() is False
    assert (Account.objects.count(), Person.objects.count()) == counts
    states = dict(Account.objects.values_list("username", "state"))
    assert states == {
        "gpapadopoulos": AccountState.ACTIVE,
        "el21042": AccountState.ACTIVE,
        "el17007": AccountState.RETIRED,
        "kbakogianni": AccountState.EXPIRED,
        "el24001": AccountState.PENDING,
        "salexiou": AccountState.ACTIVE,
        "helpdesk": AccountState.ACTIVE,
        "grammateiael": AccountState.ACTIVE,
        "grammateiach": AccountState.ACTIVE,
        # The registry's demo feed's earlier undergraduates (portal.demo.ROSTER).
        **{f"{school}{regno[-5:]}": AccountState.ACTIVE for regno, school, *_ in demo.ROSTER},
    }


@pytest.mark.django_db
def test_demo_seeding_refused_on_non_demo_database():
    Account.objects.create(username="realuser", kind="staff")
    with pytest.raises(CommandError, match="not the demo's"):
        demo_data.seed()
    assert not Account.objects.filter(username="gpapadopoulos").exists()


def test_admin_search_ignores_accents_and_case(client, account):
    client.force_login(account("helpdesk"))
    html = client.get("/console/people/person/", {"q": "παπαδοπουλος"}).content.decode()
    assert "Παπαδόπουλος" in html
    html = client.get("/console/people/person/", {"q": "ΜΠΑΚΟΓΙΑΝΝΗ"}).content.decode()
    assert "Μπακογιάννη" in html
    html = client.get("/console/accounts/account/", {"q": "κωνσταντινου"}).content.decode()
    assert "el21042" in html


def test_admin_school_scoping_for_secretariat(client, account):
    client.force_login(account("grammateiael"))
    html = client.get("/console/accounts/account/").content.decode()
    assert "gpapadopoulos" in html
    assert "salexiou" not in html
    response = client.get(f"/console/accounts/account/{account('salexiou').pk}/change/")
    assert response.status_code in (302, 404)
    html = client.get("/console/people/person/").content.decode()
    assert "Αλεξίου" not in html and "Παπαδόπουλος" in html
    assert client.get("/console/audit/auditevent/").status_code == 403


def test_admin_disable_action_goes_through_account_service(client, account):
    client.force_login(account("helpdesk"))
    target = account("salexiou")
    # Issue 12 §2: the account page's disable (with its reason), no longer a bulk action.
    response = client.post(f"/console/accounts/account/{target.pk}/disable/", {"reason": "test"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.state == AccountState.DISABLED
    event = AuditEvent.objects.get(action="account.disabled", target_id=str(target.pk))
    assert event.actor_name == "helpdesk"


def test_r2_admin_data_change_audited_with_before_and_after(client, account):
    client.force_login(account("helpdesk"))
    person = account("salexiou").person
    form = {
        "surname": person.surname,
        "given_name": person.given_name,
        "father_name": "",
        "mother_name": "",
        "latin_surname": "",
        "external_email": "sofia.new@example.org",
        "mobile": "",
        "address": "",
        "area": "",
        "postcode": "",
        "affiliations-TOTAL_FORMS": "1",
        "affiliations-INITIAL_FORMS": "1",
        "affiliations-MIN_NUM_FORMS": "0",
        "affiliations-MAX_NUM_FORMS": "1000",
        "affiliations-0-id": str(person.affiliations.get().pk),
        "affiliations-0-person": str(person.pk),
    }
    response = client.post(f"/console/people/person/{person.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="data.changed", target_id=str(person.pk))
    assert event.details["changes"]["external_email"] == {
        "before": "sofia.alexiou@example.com",
        "after": "sofia.new@example.org",
    }


def test_r1_admin_refuses_institutional_email(client, account):
    client.force_login(account("helpdesk"))
    person = account("salexiou").person
    response = client.post(
        f"/console/people/person/{person.pk}/change/",
        {
            "surname": person.surname,
            "given_name": person.given_name,
            "external_email": "x@mail.ntua.gr",
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.external_email == "sofia.alexiou@example.com"


def test_errors_doc_matches_catalogue():
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == render_errors_doc()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EMAIL_PORT", "smtp"),
        ("DATABASE_URL", "mysql://x@localhost/db"),
        ("BASE_URL", "not a url"),
        ("INSTITUTIONAL_DOMAINS", "ntua.gr,not a domain"),
        ("KLEIDI_RESET_DISCLOSE_MISMATCH", "perhaps"),
        ("KLEIDI_UNDERGRADUATE_USERNAME_REGEX", "([a-z"),
        ("KLEIDI_USERNAME_MAX_LENGTH", "65"),
        ("KLEIDI_USERNAME_REGEX", "^[a-z][a-z0-9]{2,5}$"),
    ],
)
def test_bad_configuration_stops_startup_naming_the_variable(tmp_path, variable, value):
    env = {**os.environ, variable: value, "KLEIDI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None) if variable != "DATABASE_URL" else None
    result = subprocess.run(
        [sys.executable, "-m", "kleidi.manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert variable in result.stderr


def test_production_requires_secret_key(tmp_path):
    env = {**os.environ, "KLEIDI_PRODUCTION": "true", "KLEIDI_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "kleidi.manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_r27_console_sign_in_goes_through_the_throttled_portal_sign_in(client):
    response = client.get("/console/login/?next=/console/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/console/"
    response = client.get("/console/")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 302
    assert follow.headers["Location"].startswith("/accounts/login/")
