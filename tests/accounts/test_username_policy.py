"""One username policy (R5, R7, R11) configured once and obeyed by every caller; one R17 rule.

Each test configures the policy (4–12 characters, digits only at the end, another
undergraduate pattern) and asks a different caller: the account service, the
sheets' dry run and its suggestions, renewal, the templates' help text and the
undergraduate names of the registry feed.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from kleidi.accounts import services
from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.accounts.usernames import username_policy, validate_new_username
from kleidi.config import ConfigError
from kleidi.errors import message
from kleidi.people.models import School
from kleidi.sheets.services import validate_content
from tests.sheets.factories import errors_at, future, person_row, renewal, table, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(demo, settings):
    """A configured policy, set after the demo is seeded (its names follow the default)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.USERNAME_MIN_LENGTH = 4
    settings.USERNAME_MAX_LENGTH = 12
    settings.USERNAME_REGEX = r"^[a-z]+[0-9]*$"  # digits only at the end
    settings.UNDERGRADUATE_USERNAME_REGEX = r"^u[0-9]{6}$"
    settings.UNDERGRADUATE_USERNAME_TEMPLATE = "u{last6}"
    return username_policy()


def refusal(call, *args, **kwargs) -> tuple[str, dict]:
    with pytest.raises(ValidationError) as excinfo:
        call(*args, **kwargs)
    (item,) = excinfo.value.error_list
    return item.code, item.params or getattr(item.message, "params", None)


def in_language(client, language):
    client.cookies["django_language"] = language
    return client


def sheet(rows, kind="postgraduate"):
    school = School.objects.get(code="el")
    return validate_content(xlsx(table(rows)), school=school, kind=kind)


def test_r7_policy_is_read_from_settings(policy):
    assert (policy.min_length, policy.max_length) == (4, 12)
    assert policy.help_params == {"min": 4, "max": 12}
    assert policy.accepts("abcd", AccountKind.PHD)
    assert not policy.accepts("abc", AccountKind.PHD)
    assert not policy.accepts("a" * 13, AccountKind.PHD)
    assert policy.accepts("abcd1", AccountKind.PHD)
    assert not policy.accepts("ab1cd", AccountKind.PHD)


def test_r7_default_policy_is_3_to_32_lowercase_letters_and_digits():
    policy = username_policy()
    assert (policy.min_length, policy.max_length) == (3, 32)
    assert policy.accepts("x2024", AccountKind.POSTGRADUATE)
    assert not policy.accepts("2024x", AccountKind.POSTGRADUATE)


@pytest.mark.parametrize("name", ["abc", "a" * 13, "n1kos", "1abcd"])
def test_r7_account_creation_refuses_by_the_configured_policy(policy, name):
    code, params = refusal(services.create_account, username=name, kind=AccountKind.POSTGRADUATE)
    assert code == "username.syntax"
    assert params == {"value": name, "min": 4, "max": 12}


def test_r7_account_creation_accepts_the_configured_bounds(policy):
    for name in ("abcd", "a" * 12):
        assert services.create_account(username=name, kind=AccountKind.PHD).username == name


def test_r7_username_syntax_message_names_the_configured_lengths(policy):
    code, params = refusal(validate_new_username, "abc", AccountKind.PHD)
    assert "4–12 characters" in message(code, params, "en")
    assert "4–12 χαρακτήρες" in message(code, params, "el")


def test_r5_r11_configured_undergraduate_pattern_and_template(policy):
    assert policy.undergraduate_username("el", "03118123") == "u118123"
    assert policy.undergraduate_example == "u118123"
    created = services.create_account(username="u118123", kind=AccountKind.UNDERGRADUATE)
    assert created.username == "u118123"
    code, _ = refusal(services.create_account, username="uabcdef", kind=AccountKind.UNDERGRADUATE)
    assert code == "username.syntax"
    code, _ = refusal(validate_new_username, "u123456", AccountKind.POSTGRADUATE)
    assert code == "username.undergraduate_pattern"
    # The default pattern is an ordinary name now.
    assert validate_new_username("el18123", AccountKind.POSTGRADUATE) == "el18123"


def test_r11_sheet_dry_run_refuses_the_configured_reserved_pattern(demo, settings):
    settings.UNDERGRADUATE_USERNAME_REGEX = r"^n[a-z]+$"
    result = sheet([person_row(1)])
    assert errors_at(result, 2, "username") == ["username.undergraduate_pattern"]


def test_r7_sheet_dry_run_errors_by_the_configured_policy(policy):
    rows = [
        person_row(1, username="nioannouabcde"),  # 13 characters
        person_row(2, username="ndim"),  # too short for R10 but valid syntax
        person_row(3, username="nantoniou"),
    ]
    result = sheet(rows)
    (error,) = [e for e in result.errors if e["row"] == 2]
    assert (error["code"], error["params"]["min"], error["params"]["max"]) == (
        "username.syntax",
        "4",
        "12",
    )
    assert errors_at(result, 3, "username") == ["username.missing_surname"]
    assert errors_at(result, 4) == []


def test_r10_sheet_suggestions_obey_the_configured_policy(policy):
    row = person_row(1, username="nikosabcd", surname="Ιωάννου", given_name="Γιώργος")
    (error,) = [e for e in sheet([row]).errors if e["code"] == "username.missing_surname"]
    suggestions = error["params"]["suggestions"].split(", ")
    # Without the policy: gioannou, giorgosioannou (14), ioannoug, gioannou2 ...
    assert suggestions == ["gioannou", "giorgioannou", "ioannoug"]
    assert all(policy.accepts(name, AccountKind.POSTGRADUATE) for name in suggestions)


def test_r10_sheet_suggestions_skip_the_configured_reserved_pattern(demo, settings):
    settings.UNDERGRADUATE_USERNAME_REGEX = r"^g[a-z]+$"
    row = person_row(1, username="nikosabcd", surname="Ιωάννου", given_name="Γιώργος")
    (error,) = [e for e in sheet([row]).errors if e["code"] == "username.missing_surname"]
    assert error["params"]["suggestions"].split(", ") == ["ioannoug", "gioannou2", "gioannou3"]


def test_r20_renewal_keeps_existing_names_outside_a_narrower_policy(policy):
    # gpapadopoulos has 13 characters: the policy binds new names, not existing accounts.
    school = School.objects.get(code="el")
    result = validate_content(
        renewal([("gpapadopoulos", future(300))]), school=school, kind="renewal"
    )
    assert result.ok, result.errors
    account = services.renew_account(
        Account.objects.get(username="gpapadopoulos"), new_expiry=future(300)
    )
    assert account.expires_at == services.end_of_day(future(300))


def test_r7_sheet_upload_page_shows_the_configured_rule(policy, client, account):
    client.force_login(account("grammateiael"))
    page = in_language(client, "en").get("/sheets/").content.decode()
    assert "New usernames: Lowercase Latin letters and digits, starting with a letter, 4–12" in page
    page = in_language(client, "el").get("/sheets/").content.decode()
    assert "Νέα ονόματα χρήστη: Πεζά λατινικά γράμματα και ψηφία" in page
    assert "4–12 χαρακτήρες" in page


@pytest.mark.parametrize(
    ("language", "rule"),
    [("en", "starting with a letter, 4–12 characters"), ("el", "να αρχίζει από γράμμα, 4–12")],
)
def test_r5_r7_help_pages_show_the_configured_policy(policy, client, language, rule):
    page = in_language(client, language).get("/help/bulk-provisioning/").content.decode()
    assert rule in page
    assert "<code>u118123</code>" in page
    assert "el18123" not in page
    page = client.get("/help/new-undergraduate/").content.decode()
    assert "<code>u118123</code>" in page


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"USERNAME_MIN_LENGTH": 8, "USERNAME_MAX_LENGTH": 6}, "KLEIDI_USERNAME_MIN_LENGTH"),
        ({"USERNAME_MAX_LENGTH": 65}, "KLEIDI_USERNAME_MAX_LENGTH"),
        ({"USERNAME_REGEX": r"^[a-z][a-z0-9]{2,11}$"}, "KLEIDI_USERNAME_REGEX"),
        ({"USERNAME_REGEX": r"^[a-z]{4}[a-z0-9]*$"}, "KLEIDI_USERNAME_REGEX"),
        (
            {"UNDERGRADUATE_USERNAME_REGEX": r"^[a-z]{30}[0-9]{5}$"},
            "KLEIDI_UNDERGRADUATE_USERNAME_REGEX",
        ),
        (
            {"UNDERGRADUATE_USERNAME_TEMPLATE": "{prefix}{lst5}"},
            "KLEIDI_UNDERGRADUATE_USERNAME_TEMPLATE",
        ),
    ],
)
def test_r7_contradictory_settings_are_refused(settings, values, variable):
    """Start-up builds the policy (AccountsConfig.ready); tests/portal runs `check` on two."""
    for name, value in values.items():
        setattr(settings, name, value)
    with pytest.raises(ConfigError) as excinfo:
        username_policy()
    assert excinfo.value.name == variable


def test_r7_a_wider_regex_with_its_own_lengths_is_accepted(settings):
    """The old default regex (3–32 in its quantifier) still works beside the length settings."""
    settings.USERNAME_REGEX = r"^[a-z][a-z0-9]{2,31}$"
    settings.USERNAME_MAX_LENGTH = 12
    policy = username_policy()
    assert policy.accepts("a" * 12, AccountKind.PHD)
    assert not policy.accepts("a" * 13, AccountKind.PHD)


# ---------------------------------------------------------------- R17, one rule


CASES = [
    (AccountKind.PHD, None, True),
    (AccountKind.PHD, "disable", False),
    (AccountKind.PHD, "retire", False),
    (AccountKind.UNDERGRADUATE, None, False),
]


def _prepare(account, helpdesk, kind, action):
    if kind == AccountKind.UNDERGRADUATE:
        return account("el24001")
    target = account("kbakogianni")
    if action == "disable":
        services.disable_account(target, actor=helpdesk, reason="test")
    elif action == "retire":
        services.retire_account(target, actor=helpdesk, reason="test")
    return account("kbakogianni")


@pytest.mark.parametrize(("kind", "action", "allowed"), CASES)
def test_r17_one_reactivation_rule_for_service_and_sheet(demo, account, kind, action, allowed):
    target = _prepare(account, account("helpdesk"), kind, action)
    assert services.can_reactivate(target) is allowed

    row = person_row(
        1,
        username=target.username,
        surname=target.person.surname,
        given_name=target.person.given_name,
        father_name=target.person.father_name,
        mother_name=target.person.mother_name,
        external_email=target.person.external_email,
    )
    refused = "account.not_reactivatable" in errors_at(sheet([row], kind="phd"), 2, "username")
    if kind == AccountKind.UNDERGRADUATE:
        # The sheet stops an undergraduate name earlier, at its pattern (R11).
        refused = refused or "username.undergraduate_pattern" in errors_at(sheet([row]), 2)
    assert refused is not allowed

    expiry = timezone.now() + dt.timedelta(days=30)
    if allowed:
        assert services.reactivate_account(target, expires_at=expiry).state == AccountState.PENDING
    else:
        code, _ = refusal(services.reactivate_account, target, expires_at=expiry)
        assert code == "account.not_reactivatable"


@pytest.mark.parametrize("name", ["ops", "ops-khy"])
def test_r7_createsuperuser_obeys_the_configured_policy(policy, name):
    code, params = refusal(Account.objects.create_superuser, name, "ocean river candle mountain")
    assert (code, params["min"], params["max"]) == ("username.syntax", 4, 12)
    assert not Account.objects.filter(username=name).exists()


def test_r7_createsuperuser_command_refuses_a_name_outside_the_policy(db):
    with pytest.raises(CommandError, match="ops-khy"):
        call_command("createsuperuser", "--noinput", "--username", "Ops-KHY", stdout=StringIO())
    assert not Account.objects.filter(username__iexact="ops-khy").exists()


def test_r7_a_maximum_equal_to_the_database_column_is_accepted(settings):
    field_max = Account._meta.get_field("username").max_length
    settings.USERNAME_MAX_LENGTH = field_max
    assert username_policy().max_length == field_max
    settings.USERNAME_MAX_LENGTH = field_max + 1
    with pytest.raises(ConfigError, match="KLEIDI_USERNAME_MAX_LENGTH"):
        username_policy()


def test_r7_a_taken_name_is_refused_naming_it(demo):
    assert refusal(validate_new_username, "gpapadopoulos", AccountKind.POSTGRADUATE) == (
        "username.taken",
        {"value": "gpapadopoulos"},
    )


def test_r5_undergraduate_name_takes_only_the_registration_numbers_digits(settings):
    assert username_policy().undergraduate_username("el", "03 118/123") == "el18123"
