"""R8, R19 from the command line: `kleidi sheet validate|apply|template`, exit 0/1/2, JSON."""

import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from kleidi.accounts.models import Account
from tests.sheets.factories import future, person_row, renewal, table, xlsx
from tests.sheets.hostile import CRAFTED

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out = StringIO()
    try:
        call_command("sheet", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def write(tmp_path, data, name="sheet.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_r19_cli_validate_json_valid(tmp_path, school_el):
    path = write(tmp_path, xlsx(table([person_row(1)])))
    status, out = run(
        "validate", path, "--school", "el", "--kind", "postgraduate", "--format", "json"
    )
    assert status == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert report["rows"] == 1
    assert report["errors"] == []
    assert report["outcomes"] == [{"row": 2, "action": "create", "username": "nioannou"}]
    assert not Account.objects.filter(username="nioannou").exists()


def test_r19_cli_validate_json_invalid_rows_and_columns(tmp_path, school_el):
    path = write(tmp_path, xlsx(table([person_row(1), person_row(2, mobile="123")])))
    status, out = run(
        "validate", path, "--school", "el", "--kind", "phd", "--format", "json", "--language", "en"
    )
    assert status == 1
    (error,) = json.loads(out)["errors"]
    assert error["row"] == 3
    assert error["column"] == "mobile"
    assert error["code"] == "phone.invalid"
    assert "not a valid phone number" in error["message"]


def test_r9_cli_unreadable_exits_2_with_null_column(tmp_path, school_el):
    path = write(tmp_path, b"\x89PNG\x00\x00garbage", "x.png")
    status, out = run("validate", path, "--school", "el", "--kind", "phd", "--format", "json")
    assert status == 2
    (error,) = json.loads(out)["errors"]
    assert error == {**error, "row": None, "column": None, "code": "sheet.unreadable"}


def test_r19_cli_apply_as_secretariat_and_again(tmp_path, school_el):
    path = write(tmp_path, xlsx(table([person_row(1)])))
    args = (
        "apply",
        path,
        "--school",
        "el",
        "--kind",
        "postgraduate",
        "--as",
        "grammateiael",
        "--format",
        "json",
    )
    status, out = run(*args)
    assert status == 0, out
    assert json.loads(out)["outcomes"][0]["action"] == "create"
    assert Account.objects.filter(username="nioannou").exists()
    status, out = run(*args)
    assert status == 0
    assert json.loads(out)["outcomes"][0]["action"] == "unchanged"


def test_r8_cli_apply_as_secretariat_of_another_school_is_refused(tmp_path, school_el):
    path = write(tmp_path, renewal([("salexiou", future())]))
    with pytest.raises(CommandError) as caught:
        run("apply", path, "--school", "ch", "--kind", "renewal", "--as", "grammateiael")
    assert caught.value.returncode == 2
    assert run("apply", path, "--school", "ch", "--kind", "renewal", "--as", "helpdesk")[0] == 0


def test_r8_cli_apply_requires_as(tmp_path, school_el):
    path = write(tmp_path, xlsx(table([person_row(1)])))
    with pytest.raises(CommandError):
        call_command("sheet", "apply", path, "--school", "el", "--kind", "phd")


def test_r20_cli_renewal_text_output(tmp_path, school_el):
    path = write(tmp_path, renewal([("el17007", future())]))
    status, out = run("validate", path, "--school", "el", "--kind", "renewal")
    assert status == 1
    assert "row 2 username: account.not_renewable" in out


def test_r9_cli_template(tmp_path, school_el):
    target = tmp_path / "t.xlsx"
    status, _ = run("template", "--kind", "phd", "--output", str(target))
    assert status == 0
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames[0] == "Λογαριασμοί"
    assert "Οδηγίες" in workbook.sheetnames


@pytest.mark.parametrize(("name", "make", "code"), CRAFTED, ids=[c[0] for c in CRAFTED])
def test_r9_cli_hostile_file_json_code(tmp_path, school_el, name, make, code):
    # The CLI shares the web's guard: the same code, never a traceback.
    path = write(tmp_path, make())
    status, out = run(
        "validate", path, "--school", "el", "--kind", "postgraduate", "--format", "json"
    )
    report = json.loads(out)
    assert [e["code"] for e in report["errors"]] == [code]
    assert status == (1 if code == "field.too_long" else 2)


def test_r9_cli_file_too_complex_to_read(tmp_path, school_el):
    source = Path(__file__).resolve().parents[1] / "data/hostile/poi/test-data/spreadsheet"
    path = write(tmp_path, (source / "51535.xls").read_bytes(), name="51535.xls")
    status, out = run(
        "validate", path, "--school", "el", "--kind", "postgraduate", "--format", "json"
    )
    assert status == 2
    assert json.loads(out)["errors"][0]["code"] == "sheet.too_complex"
