"""Setting a password: the policy, the live meter, what follows a change (R25, R26, R3, R30)."""

import json
import logging
from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.utils import translation

from kleidi.accounts import services as account_services
from kleidi.accounts.models import AccountKind, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.validators import KleidiPasswordValidator
from kleidi.directory import services as directory_services
from kleidi.errors import codes_of
from kleidi.notifications.delivery import outgoing
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Person
from tests.credentials.conftest import EMAIL, NEW_PASSWORD, STRONG, latest, link_in, path_of

pytestmark = pytest.mark.django_db


def policy_codes(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return codes_of(exc)
    return []


def policy_messages(password, user=None) -> list[str]:
    """What the member reads, in English, with the configured numbers filled in."""
    with pytest.raises(ValidationError) as excinfo, translation.override("en"):
        validate_password(password, user)
    with translation.override("en"):
        return excinfo.value.messages


def submit(client, password=NEW_PASSWORD, again=None):
    return client.post(
        "/password/set/",
        {"new_password1": password, "new_password2": password if again is None else again},
    )


# --------------------------------------------------------------------------
# R25 the policy


def test_r25_policy_is_the_configured_django_validator(settings):
    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["kleidi.credentials.validators.KleidiPasswordValidator"]


def test_r25_guide_passphrase_passes(demo, account):
    assert policy_codes(STRONG) == []
    assert policy_codes(STRONG, account("gpapadopoulos")) == []


def test_r25_troubador_fails_with_reasons(demo, account):
    codes = policy_codes("Tr0ub4dor&3", account("gpapadopoulos"))
    assert "password.too_short" in codes
    assert "password.too_weak" in codes


def test_r25_greek_surname_with_year_fails(demo, account):
    assert policy_codes("Papadopoulos2024!", account("gpapadopoulos")) == ["password.own_data"]
    # Even for someone else: Greek surnames are in the dictionaries.
    assert policy_codes("Papadopoulos2024!", account("salexiou")) == ["password.too_weak"]


@pytest.mark.parametrize("suffix", ["1", "2024", "123456789", "03400123"])
def test_r25_username_followed_by_digits_fails(demo, account, suffix):
    codes = policy_codes("gpapadopoulos" + suffix, account("gpapadopoulos"))
    assert codes and set(codes) <= {"password.own_data", "password.common", "password.too_short"}
    assert "password.own_data" in codes


def test_r25_registration_number_counts_against_the_password(demo, account):
    gp = account("gpapadopoulos")
    assert "password.own_data" in policy_codes("03400123 giorgos!", gp)


# Issue 8, item 2: what the review found accepted for Γεώργιος Παπαδόπουλος.
@pytest.mark.parametrize(
    "password",
    [
        pytest.param("Giorgos Papadopoulos 1", id="giorgos_papadopoulos_1"),
        pytest.param("Papadopoulos Giorgos 1", id="papadopoulos_giorgos_1"),
        pytest.param("Georgios Papadopoulos 1", id="georgios_papadopoulos_1"),
        pytest.param("03400123 Papadopoulos 1", id="registration_number_name_digit"),
        pytest.param("Giorgos 03400123 7", id="name_registration_number_digit"),
        pytest.param("6912345678 Giorgos 1", id="mobile_name_digit"),
        pytest.param("+30 691 234 5678 Giorgos 1", id="mobile_international_spaced"),
        pytest.param("691-234-5678 Papadopoulos", id="mobile_hyphens_name"),
        pytest.param("ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ 1", id="greek_capitals"),
        pytest.param("papadopoulos gewrgios 1", id="greeklish_any_order"),
        pytest.param("gpapadopoulos 1 2 3 4", id="username_spaced_digits"),
        pytest.param("giorgos.papadopoulos!", id="email_local_part"),
    ],
)
def test_r25_members_own_data_refused_with_that_reason(demo, account, password):
    assert policy_codes(password, account("gpapadopoulos")) == ["password.own_data"]


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        pytest.param("aaaa bbbb cccc 1", ["password.too_weak"], id="aaaa_bbbb_cccc_1"),
        pytest.param(
            "a b c d e f g", ["password.too_short", "password.too_weak"], id="a_b_c_d_e_f_g"
        ),
        pytest.param("a b c d e f g h", ["password.too_weak"], id="a_b_c_d_e_f_g_h_long_enough"),
        pytest.param("s agapw para poly", ["password.too_weak"], id="s_agapw_para_poly"),
        pytest.param("xronia polla kai kala", ["password.too_weak"], id="xronia_polla_kai_kala"),
    ],
)
def test_r25_guessers_first_tries_refused_for_anyone(demo, account, password, codes):
    assert policy_codes(password) == codes
    assert policy_codes(password, account("salexiou")) == codes


def test_r25_demo_passwords_still_pass_for_every_demo_member(demo, account):
    from kleidi.portal.demo import MEMBER_PASSWORD, STAFF_PASSWORD

    for username in ("gpapadopoulos", "el21042", "salexiou"):
        assert policy_codes(MEMBER_PASSWORD, account(username)) == [], username
    for username in ("helpdesk", "grammateiael", "grammateiach"):
        assert policy_codes(STAFF_PASSWORD, account(username)) == [], username


def test_r25_default_minimum_is_15_characters(settings):
    """NIST SP 800-63B-4: 15 characters when the password is the only factor."""
    assert settings.PASSWORD_MIN_LENGTH == 15
    assert policy_codes("x7#Qp9Lm!2vB$kW") == []
    assert policy_codes("x7#Qp9Lm!2vB$k") == ["password.too_short"]
    assert policy_messages("x7#Qp9Lm!2vB$k") == ["The password must have at least 15 characters."]


def test_r25_the_local_part_of_the_members_email_is_own_data(demo, account):
    member = account("gpapadopoulos")
    Person.objects.filter(pk=member.person_id).update(external_email="vrkzqtmxwplj@example.com")
    member.refresh_from_db()
    assert policy_codes("vrkzqtmxwplj2024", member) == ["password.own_data"]
    assert policy_codes("vrkzqtmxwplj2024") == []


def test_r25_help_text_says_the_thresholds_and_the_advice(settings):
    with translation.override("en"):
        text = KleidiPasswordValidator().get_help_text()
    assert text == (
        "At least 15 characters; any letters, digits, symbols and spaces. "
        "A few random words make a strong password that is easy to remember. "
        "Avoid your name, username and registration number."
    )


def test_r25_common_password_refused():
    assert "password.common" in policy_codes("password1234")


def test_r25_any_unicode_and_spaces_no_composition_rules():
    assert policy_codes("το κόκκινο ποδήλατο στη βροχή") == []
    assert policy_codes("all lowercase words without digits here") == []


def test_r25_length_bounds(settings):
    assert policy_codes("ab" * 5)[:1] == ["password.too_short"]
    long_enough = ("ποδήλατο βουνό θάλασσα " * 6)[:128]
    assert len(long_enough) == 128
    assert policy_codes(long_enough) == []
    too_long = "x" * (settings.PASSWORD_MAX_LENGTH + 1)
    assert policy_codes(too_long) == ["password.too_long"]
    assert policy_messages(too_long) == ["The password may have at most 256 characters."]


def test_r25_control_characters_refused():
    assert "password.control" in policy_codes("agapw poly\tth mairh\n")


def test_r25_thresholds_come_from_settings(settings):
    settings.PASSWORD_MIN_LENGTH = 30
    assert "password.too_short" in policy_codes(STRONG)
    assert "The password must have at least 30 characters." in policy_messages(STRONG)
    validator = KleidiPasswordValidator()
    assert "30" in validator.get_help_text()


# --------------------------------------------------------------------------
# R25 the meter endpoint


def meter(client, password, **extra):
    response = client.post("/password/strength/", {"password": password}, **extra)
    return response, (json.loads(response.content) if response.content else None)


def test_r25_strength_endpoint_answers_level_guesses_feedback(client):
    response, data = meter(client, "Tr0ub4dor&3")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert data["acceptable"] is False
    assert data["level"] < 4
    assert data["guesses_log10"] == pytest.approx(11.0, abs=0.5)
    assert {e["code"] for e in data["errors"]} == {"password.too_short", "password.too_weak"}
    assert "χαρακτήρες" in data["errors"][0]["message"]  # Greek by default
    response, data = meter(client, STRONG)
    assert data["acceptable"] is True
    assert data["level"] == 4
    assert data["label"] == "Ισχυρός"


def test_r25_strength_feedback_in_the_page_language(client):
    client.cookies["django_language"] = "en"
    _, data = meter(client, "hjkl;'nm,./uiop[")
    assert data["label"] in {"Very weak", "Weak", "Fair", "Almost there"}
    reason, tip = data["feedback"]
    assert reason["message"].startswith("Keys next to each other (such as qwerty")
    assert tip["message"] == "Instead of keys next to each other, write a few random words."


def test_r25_strength_counts_the_members_own_data(client, demo, request_link):
    _, anonymous = meter(Client(), "gpapadopoulos2024xx")
    path, _ = request_link()
    client.get(path)
    _, data = meter(client, "gpapadopoulos2024xx")
    assert "password.own_data" in {e["code"] for e in data["errors"]}
    assert data["guesses_log10"] < anonymous["guesses_log10"]


def test_r25_strength_says_mostly_own_data_in_greek_and_english(client, demo, request_link):
    path, _ = request_link()
    client.get(path)
    _, data = meter(client, "Giorgos Papadopoulos 1")
    assert [e["code"] for e in data["errors"]] == ["password.own_data"]
    assert "βασίζεται στα στοιχεία σας" in data["errors"][0]["message"]
    # One reason (the refusal itself) and one tip (issue 12 §8).
    reason, tip = data["feedback"]
    assert reason == data["errors"][0]
    assert tip["code"] == "password.suggestion.avoid_personal_data"
    assert "Μη χρησιμοποιείτε το όνομα" in tip["message"]
    client.cookies["django_language"] = "en"
    _, data = meter(client, "Giorgos Papadopoulos 1")
    assert "made mostly of your name" in data["errors"][0]["message"]
    assert "Do not use your name" in data["feedback"][1]["message"]


def test_r25_every_strength_code_has_greek_and_english_feedback():
    from kleidi.credentials.feedback import FEEDBACK
    from kleidi.text.strength import SUGGESTION_CODES, WARNING_CODES

    for code in WARNING_CODES + SUGGESTION_CODES:
        greek, english = FEEDBACK[code]
        assert greek and english and greek != english, code


def test_r25_strength_requires_csrf(demo):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/password/strength/", {"password": STRONG})
    assert response.status_code == 403
    strict.get("/password/forgot/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        "/password/strength/", {"password": STRONG}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200


def test_r25_strength_is_rate_limited(client, settings):
    settings.STRENGTH_RATE_PER_ADDRESS = 10
    for _ in range(10):
        assert meter(client, "abc")[0].status_code == 200
    response, data = meter(client, "abc")
    assert response.status_code == 429
    assert data["error"]["code"] == "rate.limited"
    assert int(response["Retry-After"]) > 0


def test_r25_strength_only_post(client):
    assert client.get("/password/strength/?password=x").status_code == 405


def test_r25_strength_survives_huge_input(client):
    response, data = meter(client, "σ" * 100_000)
    assert response.status_code == 200
    assert [e["code"] for e in data["errors"]] == ["password.too_long"]


def test_r25_meter_and_submit_agree(client, demo, request_link, account):
    path, _ = request_link()
    client.get(path)
    for password in ["Papadopoulos2024!", "Tr0ub4dor&3", STRONG]:
        _, data = meter(client, password)
        response = submit(client, password)
        accepted = response.status_code == 302
        assert accepted == data["acceptable"], password
        if not accepted:
            assert response.status_code == 200


def test_r25_without_javascript_the_server_explains(client, demo, request_link):
    path, _ = request_link()
    client.get(path)
    response = submit(client, "gpapadopoulos2024")
    assert response.status_code == 200
    text = response.content.decode()
    assert "βασίζεται στα στοιχεία σας" in text
    assert "Μη χρησιμοποιείτε το όνομα" in text  # advice, not only the verdict
    assert 'name="new_password2"' in text
    assert "disabled" not in text.split('name="new_password2"')[0].rsplit("<input", 1)[1]


def test_r25_the_two_passwords_must_match(client, demo, request_link, account):
    path, _ = request_link()
    client.get(path)
    hashed = account("gpapadopoulos").password
    response = submit(client, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert response.status_code == 200
    assert "δεν είναι ίδιοι" in response.content.decode()
    assert account("gpapadopoulos").password == hashed


def test_r25_page_loads_the_meter_script_without_inline_code(client, demo, request_link):
    path, _ = request_link()
    client.get(path)
    page = client.get("/password/set/")
    text = page.content.decode()
    assert 'src="/static/credentials/password.js"' in text
    assert "<script>" not in text and "style=" not in text
    assert 'data-strength-url="/password/strength/"' in text
    assert "script-src 'self'" in page["Content-Security-Policy"]


# --------------------------------------------------------------------------
# R26 after a change


def test_r26_success_page_mail_audit_links_sessions(client, demo, request_link, account):
    gp = account("gpapadopoulos")
    other = Client()
    other.force_login(gp)
    assert other.get("/account/").status_code == 200
    spare = LinkToken.objects.create(
        account=gp, purpose=LinkPurpose.RESET, token_hash="0" * 64, expires_at=gp.created_at
    )
    path, _ = request_link()
    client.get(path)
    response = submit(client)
    assert response["Location"] == "/password/set/done/"
    done = client.get("/password/set/done/")
    assert done.status_code == 200
    assert "Ο κωδικός σας ορίστηκε" in done.content.decode()
    assert "no-store" in done["Cache-Control"]
    # No automatic sign-in; the other session has ended.
    assert client.get("/account/").status_code == 302
    assert other.get("/account/").status_code == 302
    # Confirmation mail without the password.
    confirmation = latest("password_changed")
    assert confirmation.to == EMAIL
    assert NEW_PASSWORD not in confirmation.body_text + confirmation.body_html
    # Every link is spent or void; one audit event.
    assert not LinkToken.objects.filter(used_at=None, voided_at=None).exists()
    spare.refresh_from_db()
    assert spare.voided_at is not None
    assert AuditEvent.objects.filter(action="password.reset_completed").count() == 1
    assert account("gpapadopoulos").check_password(NEW_PASSWORD)
    assert account("gpapadopoulos").password_changed_at is not None


def test_r26_pending_account_becomes_active(client, demo, request_link, account):
    assert account("el24001").state == AccountState.PENDING
    path, _ = request_link("el24001", "giannis.georgiou@example.com")
    client.get(path)
    page = client.get("/password/set/")
    assert "Ενεργοποίηση λογαριασμού" in page.content.decode()
    assert submit(client).status_code == 302
    el = account("el24001")
    assert el.state == AccountState.ACTIVE
    assert el.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="account.activated", target_id=str(el.pk)).exists()


def test_r26_exactly_one_argon2_hash_per_set_password_request(client, demo, request_link):
    path, _ = request_link()
    client.get(path)
    encode = Argon2PasswordHasher.encode
    verify = Argon2PasswordHasher.verify
    with (
        mock.patch.object(
            Argon2PasswordHasher, "encode", autospec=True, side_effect=encode
        ) as encoded,
        mock.patch.object(
            Argon2PasswordHasher, "verify", autospec=True, side_effect=verify
        ) as verified,
    ):
        assert submit(client).status_code == 302
    assert encoded.call_count == 1
    assert verified.call_count == 0


def test_r26_directory_called_once_inside_the_transaction(
    client, demo, request_link, account, directory
):
    """The real directory is set once, before Kleidi commits (a spy around the real call).

    Refusals through the real slapd: tests/directory/test_passwords.py.
    """
    path, _ = request_link()
    client.get(path)
    seen = []
    real = directory_services.set_password

    def spy(acct, password):
        seen.append((acct.username, password, connection.in_atomic_block))
        return real(acct, password)

    with mock.patch("kleidi.directory.services.set_password", side_effect=spy):
        assert submit(client).status_code == 302
    assert seen == [("gpapadopoulos", NEW_PASSWORD, True)]


def test_r26_no_password_or_token_in_logs_audit_outbox_or_sessions(
    client, demo, request_link, caplog
):
    caplog.set_level(logging.DEBUG)
    path, token = request_link()
    client.get(path)
    meter(client, NEW_PASSWORD)
    submit(client, NEW_PASSWORD, again=NEW_PASSWORD + "!")  # a failed try
    submit(client)
    client.post("/accounts/login/", {"username": "gpapadopoulos", "password": NEW_PASSWORD})
    client.post("/accounts/login/", {"username": "gpapadopoulos", "password": "wrong " * 3})
    assert NEW_PASSWORD not in caplog.text and token not in caplog.text
    audit = json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)
    assert NEW_PASSWORD not in audit and token not in audit and "wrong wrong" not in audit
    with_token = []
    for message in OutboxMessage.objects.all():
        body = message.subject + message.body_text + message.body_html
        assert NEW_PASSWORD not in body and token not in body
        if token in "".join(outgoing(message)):
            with_token.append(message.template)
    # The token exists only in what delivery sends, never in the stored row.
    assert with_token == ["reset"]
    for session in Session.objects.all():
        decoded = json.dumps(session.get_decoded())
        assert NEW_PASSWORD not in decoded and token not in decoded


# --------------------------------------------------------------------------
# R3 welcome, R30 outbox


def new_person(email="nikos.test@example.com") -> Person:
    return Person.objects.create(surname="Δοκιμαστικός", given_name="Νίκος", external_email=email)


def test_r3_created_account_gets_username_and_activation_link(client, db):
    account = account_services.create_account(
        username="ndokimastikos", kind=AccountKind.EXTERNAL, person=new_person()
    )
    message = latest("welcome")
    assert message.to == "nikos.test@example.com"
    assert message.account == account
    assert "ndokimastikos" in message.body_text
    _, path, _ = link_in(message)
    token = LinkToken.objects.get(account=account)
    assert token.purpose == LinkPurpose.ACTIVATION
    assert (token.expires_at - token.created_at).days == 7
    client.get(path)
    assert "Ενεργοποίηση λογαριασμού" in client.get("/password/set/").content.decode()
    assert submit(client).status_code == 302
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE


def test_r3_welcome_never_carries_a_password(db):
    account_services.create_account(
        username="ndokimastikos", kind=AccountKind.EXTERNAL, person=new_person()
    )
    message = latest("welcome")
    assert "κωδικός δεν αποστέλλεται" in message.body_text
    assert not message.account.has_usable_password()


def test_r3_reactivated_account_gets_a_new_link(demo, account):
    gp = account("gpapadopoulos")
    account_services.expire_account(gp)
    from django.utils import timezone

    account_services.reactivate_account(
        gp, expires_at=timezone.now() + timezone.timedelta(days=300)
    )
    message = latest("welcome", to=EMAIL)
    assert "ενεργοποιήθηκε ξανά" in message.body_text
    assert LinkToken.objects.filter(account=gp, purpose=LinkPurpose.ACTIVATION).count() == 1


def test_r30_welcome_written_in_the_same_transaction(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        account_services.create_account(
            username="ndokimastikos", kind=AccountKind.EXTERNAL, person=new_person()
        )
        raise RuntimeError("roll back")
    assert OutboxMessage.objects.count() == 0
    assert LinkToken.objects.count() == 0


def test_r3_link_reaches_the_demo_base_url(settings, db):
    settings.BASE_URL = "https://kleidi.example.org"
    account_services.create_account(
        username="ndokimastikos", kind=AccountKind.EXTERNAL, person=new_person()
    )
    origin, path, _ = link_in(latest("welcome"))
    assert origin == "https://kleidi.example.org"
    assert path_of(origin + path).startswith("/password/link/")
