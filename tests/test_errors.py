"""One error and language mechanism: coded errors, their params, the catalogue, Greek or English.

Every error is a `CodedError` (a Django ValidationError with a stable code and
params); these tests read the values and limits back from the messages the
reader sees, through the real services, the sheet reader's sandbox and the CLI.
"""

import datetime as dt
import io
import json
from collections import defaultdict
from io import StringIO

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from kleidi.accounts import usernames
from kleidi.accounts.models import AccountKind
from kleidi.credentials import ratelimit
from kleidi.credentials.forms import LoginForm
from kleidi.credentials.validators import check_password_policy
from kleidi.errors import CodedError, catalogue, error, message, text
from kleidi.people.models import School
from kleidi.sheets.reader import MAX_COLUMNS, SheetError, read_sheet
from kleidi.sheets.reports import results_workbook
from kleidi.sheets.services import validate_content
from tests.sheets.factories import csv_bytes, person_row, table, xlsx


def refusal(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value


@pytest.fixture
def fresh_catalogue():
    catalogue.cache_clear()
    yield
    catalogue.cache_clear()


# --------------------------------------------------------------------------
# The catalogue


def test_catalogue_is_found_through_the_app_registry(settings, fresh_catalogue):
    assert "extra.sample" not in catalogue()
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.catalogue_apps.extra"]):
        catalogue.cache_clear()
        assert catalogue()["extra.sample"] == (
            "Δοκιμή με %(count)s γραμμές.",
            "A sample with %(count)s rows.",
        )
        assert message("extra.sample", {"count": 7}, "en") == "A sample with 7 rows."
    catalogue.cache_clear()
    assert "extra.sample" not in catalogue()


def test_catalogue_refuses_str_format_placeholders(settings, fresh_catalogue):
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.catalogue_apps.braces"]
    ):
        catalogue.cache_clear()
        with pytest.raises(RuntimeError, match=r"braces\.sample uses \{name\}"):
            catalogue()


def test_catalogue_refuses_a_code_defined_twice(settings, fresh_catalogue):
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.catalogue_apps.twice"]):
        catalogue.cache_clear()
        with pytest.raises(RuntimeError, match=r"login\.failed is defined twice"):
            catalogue()


def test_every_template_takes_its_params_the_django_way():
    for code, pair in catalogue().items():
        for template in pair:
            assert "{" not in template, code
            template % defaultdict(str)  # a stray "%" raises ValueError


def test_an_unknown_code_is_refused_at_once():
    with pytest.raises(KeyError, match=r"no\.such_code"):
        error("no.such_code")


# --------------------------------------------------------------------------
# One exception family


def test_sheet_and_rate_limit_errors_are_coded_errors():
    sheet = SheetError("sheet.too_many_rows", max=500)
    limited = ratelimit.RateLimited(900, ["login-account"])
    for exc, code in ((sheet, "sheet.too_many_rows"), (limited, "rate.limited")):
        assert isinstance(exc, CodedError)
        assert isinstance(exc, ValidationError)
        assert exc.code == code
    assert sheet.params == {"max": 500}
    assert limited.params == {"minutes": 15}


def test_message_follows_the_language_active_when_shown():
    with translation.override("en"):
        exc = error("input.too_long", max=64)
    with translation.override("el"):
        assert text(exc) == "Το πεδίο μπορεί να έχει το πολύ 64 χαρακτήρες."
    with translation.override("en"):
        assert text(exc) == "This field may have at most 64 characters."


# --------------------------------------------------------------------------
# Values and limits in the messages


@pytest.mark.django_db
def test_r7_username_syntax_message_names_the_default_bounds():
    exc = refusal(usernames.validate_new_username, "ab", AccountKind.POSTGRADUATE)
    assert exc.code == "username.syntax"
    assert exc.params == {"value": "ab", "min": 3, "max": 32}
    with translation.override("en"):
        assert "“ab”" in text(exc)
        assert "3" in text(exc) and "32" in text(exc)


@pytest.mark.django_db
def test_r7_username_syntax_message_names_the_configured_bounds(settings):
    settings.USERNAME_MIN_LENGTH, settings.USERNAME_MAX_LENGTH = 4, 12
    exc = refusal(usernames.validate_new_username, "a" * 13, AccountKind.POSTGRADUATE)
    assert exc.params == {"value": "a" * 13, "min": 4, "max": 12}
    with translation.override("en"):
        rendered = text(exc)
    assert "4" in rendered and "12" in rendered
    assert "32" not in rendered


@pytest.mark.django_db
@pytest.mark.parametrize(("at", "minutes"), [(1, 15), (31, 15), (331, 10), (871, 1)])
def test_r27_rate_limit_message_says_when_the_window_ends(at, minutes):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # a quarter hour begins
    now = start + dt.timedelta(seconds=at)
    limit = ratelimit.Limit("test-errors", f"window-{at}", 1, ratelimit.QUARTER)
    ratelimit.hit([limit], now=now)
    exc = refusal(ratelimit.hit, [limit], now=now)
    assert exc.retry_after == ratelimit.QUARTER - at + 1
    assert exc.params == {"minutes": minutes}
    with translation.override("en"):
        assert text(exc) == f"Too many attempts. Try again in {minutes} minutes."
    with translation.override("el"):
        assert text(exc) == f"Πάρα πολλές προσπάθειες. Δοκιμάστε ξανά σε {minutes} λεπτά."


@pytest.mark.django_db
def test_r25_password_limits_in_the_messages(settings):
    settings.PASSWORD_MIN_LENGTH = 14
    settings.PASSWORD_MAX_LENGTH = 40
    with translation.override("en"):
        short = {e.code: text(e) for e in check_password_policy("Tk7!q", None).errors}
        long = {e.code: text(e) for e in check_password_policy("x7" * 25, None).errors}
    assert short["password.too_short"] == "The password must have at least 14 characters."
    assert long["password.too_long"] == "The password may have at most 40 characters."


def test_form_errors_carry_the_code_and_the_limit():
    form = LoginForm({"username": "a" * 65, "password": "secret"})
    assert not form.is_valid()
    (exc,) = form.errors.as_data()["username"]
    assert exc.code == "input.too_long"
    with translation.override("en"):
        assert form.errors["username"] == ["This field may have at most 64 characters."]


def too_wide() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.cell(row=1, column=MAX_COLUMNS + 1, value="x")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_sheet_reader_error_keeps_its_limit_through_the_sandbox():
    exc = refusal(read_sheet, too_wide())
    assert isinstance(exc, SheetError)
    assert exc.code == "sheet.too_many_columns"
    assert exc.params == {"max": str(MAX_COLUMNS)}
    with translation.override("en"):
        assert text(exc) == message("sheet.too_many_columns", {"max": MAX_COLUMNS}, "en")
        assert str(MAX_COLUMNS) in text(exc)


def cli_errors(path) -> list[dict]:
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "sheet", "validate", str(path), "--school", "el", "--kind", "phd",
            "--format", "json", "--language", "en", stdout=out,
        )  # fmt: skip
    return json.loads(out.getvalue())["errors"]


@pytest.mark.django_db
def test_r19_cli_json_carries_the_params_of_a_row_error(demo, tmp_path):
    path = tmp_path / "long.xlsx"
    path.write_bytes(xlsx(table([person_row(1, surname="Α" * 151)])))
    (entry,) = cli_errors(path)
    assert (entry["row"], entry["column"], entry["code"]) == (2, "surname", "field.too_long")
    assert entry["params"] == {"max": "150"}
    assert entry["message"] == "The value is too long (at most 150 characters)."


@pytest.mark.django_db
def test_r19_cli_json_carries_the_params_of_a_sheet_error(demo, tmp_path):
    path = tmp_path / "wide.xlsx"
    path.write_bytes(too_wide())
    (entry,) = cli_errors(path)
    assert (entry["row"], entry["code"]) == (None, "sheet.too_many_columns")
    assert entry["params"] == {"max": str(MAX_COLUMNS)}
    assert str(MAX_COLUMNS) in entry["message"]


@pytest.mark.django_db
def test_r19_results_workbook_fills_in_the_limit(demo):
    school = School.objects.get(code="el")
    data = csv_bytes(table([person_row(1, surname="Α" * 151)]))
    result = validate_content(data, school=school, kind="postgraduate").as_dict()
    for language, expected in (
        ("en", "The value is too long (at most 150 characters)."),
        ("el", "Η τιμή είναι πολύ μεγάλη (έως 150 χαρακτήρες)."),
    ):
        sheet = openpyxl.load_workbook(io.BytesIO(results_workbook(data, result, language))).active
        errors = [row[-1].value for row in sheet.iter_rows(min_row=2)]
        assert any(expected in (cell or "") for cell in errors), errors


@pytest.mark.django_db
def test_r25_web_429_names_the_minutes_of_its_retry_after(client, settings):
    settings.STRENGTH_RATE_PER_ADDRESS = 1
    client.cookies["django_language"] = "en"
    assert client.post("/password/strength/", {"password": "abc"}).status_code == 200
    response = client.post("/password/strength/", {"password": "abc"})
    assert response.status_code == 429
    minutes = max(1, -(-int(response["Retry-After"]) // 60))
    assert json.loads(response.content)["error"] == {
        "code": "rate.limited",
        "message": f"Too many attempts. Try again in {minutes} minutes.",
    }
