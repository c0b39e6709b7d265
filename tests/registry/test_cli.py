"""R4, R6 from the command line: `kleidi registry import SOURCE [--dry-run] [--format json]`.

Exit 0 done, 1 some records in error (the rest applied), 2 nothing applied; the
JSON is exactly the report's; errors carry their codes in the active language;
the progress bar only on a terminal and never under `--format json`.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from kleidi.accounts.models import Account, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.people.models import Person
from kleidi.registry import lock, services
from kleidi.registry.feed import read_feed

pytestmark = pytest.mark.django_db

HEADERS = [
    "registrationID",
    "departmentID",
    "lastNameEl",
    "firstNameEl",
    "fatherFirstNameEl",
    "motherFirstNameEl",
    "extEmail",
    "mobilePhone",
    "enrollmentStatus",
    "enrollmentStatusDate",
    "enrollmentType",
]
SURNAMES = ["Αλεξανδρόπουλος", "Βλαχοπούλου", "Γιαννακόπουλος", "Δρακοπούλου", "Ευθυμίου"]
GIVEN = ["Άγγελος", "Βασιλική", "Γεράσιμος", "Δανάη", "Ευάγγελος"]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as an operator's shell is."""

    def isatty(self) -> bool:
        return True


def student(n: int, school: str = "el", **overrides) -> dict:
    prefix = {"el": "031", "ch": "051"}[school]
    row = {
        "registrationID": f"{prefix}25{n:03d}",
        "departmentID": school,
        "lastNameEl": f"{SURNAMES[n % 5]}",
        "firstNameEl": GIVEN[(n // 5) % 5],
        "fatherFirstNameEl": "Ιωάννης",
        "motherFirstNameEl": "Ελένη",
        "extEmail": f"cli.student{n}.{school}@example.com",
        "mobilePhone": "",
        "enrollmentStatus": "active",
        "enrollmentStatusDate": "2025-09-15",
        "enrollmentType": "Πανελλήνιες",
    }
    row.update(overrides)
    return row


def write_feed(path, rows, headers=HEADERS) -> str:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def run(*args: str, stderr=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    try:
        call_command("registry", "import", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def cli_settings(settings, tmp_path):
    """Each test's own lock file (the in-memory SQLite's is under VAR_DIR); these small
    feeds leave the demo's 22 known undergraduates `missing`, which only the threshold
    test may refuse; the demo's passwords hashed quickly."""
    settings.VAR_DIR = tmp_path / "var"
    settings.REGISTRY_MAX_MISSING_SHARE = 1.0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A fresh `kleidi` process speaks LANGUAGE_CODE (Greek); other tests may leave English on.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def feed_path(tmp_path, demo):
    """Three new undergraduates of the demo's `el` school."""
    return write_feed(tmp_path / "feed.csv", [student(n) for n in range(3)])


def test_r4_cli_dry_run_json_is_exactly_the_report_and_writes_nothing(feed_path):
    accounts, people = Account.objects.count(), Person.objects.count()
    status, out, err = run(feed_path, "--dry-run", "--format", "json")
    assert status == 0
    assert err == ""
    report = json.loads(out)  # the whole of stdout is the report
    expected = services.preview_feed(read_feed(feed_path)).as_json()
    assert report == expected
    assert report["dry_run"] is True
    assert report["counts"]["create"] == 3
    assert (Account.objects.count(), Person.objects.count()) == (accounts, people)
    assert AuditEvent.objects.filter(action="registry.previewed").count() == 2


def test_r4_cli_import_prints_the_summary_in_greek_and_creates(feed_path):
    status, out, err = run(feed_path)
    assert status == 0
    assert err == ""
    assert "3 εγγραφές" in out
    assert "νέος λογαριασμός" in out
    assert "Η εισαγωγή ολοκληρώθηκε." in out
    created = [line for line in out.splitlines() if " create " in line]
    assert created and created[0].split()[-1] == "3"
    assert Account.objects.filter(username__in=["el25000", "el25001", "el25002"]).count() == 3


def test_r4_cli_summary_in_english_and_lists_records_needing_attention(tmp_path, demo):
    rows = [
        student(0),
        student(1, extEmail=""),
        student(2, enrollmentType="Μετεγγραφή"),
        student(3, mobilePhone="12"),
    ]
    path = write_feed(tmp_path / "feed.csv", rows)
    status, out, _ = run(path, "--dry-run", "--language", "en")
    assert status == 1
    assert "Need attention:" in out
    lines = out.splitlines()
    error = next(line for line in lines if "phone.invalid" in line)
    assert error.startswith("  record 5  el 03125003  error  mobilePhone: phone.invalid: ")
    held = next(line for line in lines if "03125002  held for review" in line)
    assert "registry.admission_route" in held
    assert held.endswith("for the review queue")
    assert any("03125001  waiting for an email" in line for line in lines)
    # worst first: the error before the held record before the waiting one
    assert lines.index(error) < lines.index(held)
    assert out.rstrip().endswith("Preview: nothing was changed.")


def test_r4_cli_exit_1_some_records_in_error_the_rest_applied(tmp_path, demo):
    rows = [student(0), student(1, mobilePhone="12"), student(2)]
    path = write_feed(tmp_path / "feed.csv", rows)
    status, out, _ = run(path, "--format", "json")
    assert status == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["counts"]["error"] == 1
    assert report["counts"]["create"] == 2
    (bad,) = [o for o in report["outcomes"] if o["situation"] == "error"]
    assert bad["errors"][0]["code"] == "phone.invalid"
    assert bad["errors"][0]["field"] == "mobilePhone"
    assert set(
        Account.objects.filter(username__startswith="el25").values_list("username", flat=True)
    ) == {
        "el25000",
        "el25002",
    }


def test_r4_cli_exit_2_missing_column_nothing_applied(tmp_path, demo):
    headers = [h for h in HEADERS if h != "extEmail"]
    path = write_feed(tmp_path / "feed.csv", [student(0)], headers=headers)
    accounts = Account.objects.count()
    status, out, err = run(path, "--format", "json", "--language", "en")
    assert status == 2
    body = json.loads(out)
    assert body["ok"] is False
    assert body["error"]["code"] == "sheet.missing_column"
    assert set(body["error"]) == {"code", "message", "params"}
    assert err == ""
    assert Account.objects.count() == accounts
    status, out, err = run(path)
    assert (status, out) == (2, "")
    assert err.startswith("sheet.missing_column: ")


def test_r4_cli_exit_2_unreadable_file(tmp_path, demo):
    path = tmp_path / "feed.xlsx"
    path.write_bytes(b"\x89PNG\x00\x00 not a workbook")
    status, out, _ = run(str(path), "--format", "json")
    assert status == 2
    assert json.loads(out)["error"]["code"] == "sheet.unreadable"


def test_r4_cli_exit_2_database_source_not_configured(settings, demo):
    settings.REGISTRY_DATABASE_URL = ""
    status, out, _ = run("database", "--format", "json")
    assert status == 2
    assert json.loads(out)["error"]["code"] == "registry.not_configured"


def test_r4_cli_exit_2_no_such_file_no_such_school_in_the_active_language(tmp_path, demo):
    status, out, err = run(str(tmp_path / "absent.csv"), "--language", "en")
    assert (status, out) == (2, "")
    assert err.startswith("registry.no_such_file: There is no readable file")
    path = write_feed(tmp_path / "feed.csv", [student(0)])
    status, out, err = run(path, "--school", "xx")
    assert status == 2
    assert err.startswith("registry.no_such_school: Δεν υπάρχει σχολή με κωδικό «xx»")


def test_r8_cli_as_secretariat_only_for_its_own_school(feed_path):
    status, out, _ = run(feed_path, "--as", "grammateiael", "--format", "json")
    assert status == 2
    assert json.loads(out)["error"]["code"] == "permission.school"
    status, out, _ = run(feed_path, "--as", "nobody", "--format", "json")
    assert status == 2
    assert json.loads(out)["error"] == {
        **json.loads(out)["error"],
        "code": "username.unknown",
        "params": {"value": "nobody"},
    }
    status, out, _ = run(feed_path, "--as", "grammateiach", "--school", "el", "--format", "json")
    assert status == 2
    assert json.loads(out)["error"]["code"] == "permission.school"
    status, _, _ = run(feed_path, "--as", "grammateiael", "--school", "el", "--dry-run")
    assert status == 0
    event = AuditEvent.objects.filter(action="registry.previewed").latest("pk")
    assert event.actor.username == "grammateiael"


def test_r4_cli_school_limits_the_run_to_that_school(tmp_path, demo):
    rows = [student(0), student(1, "ch")]
    path = write_feed(tmp_path / "feed.csv", rows)
    status, out, _ = run(path, "--school", "ch", "--as", "helpdesk", "--format", "json")
    assert status == 0
    report = json.loads(out)
    assert {o["school"] for o in report["outcomes"]} == {"ch"}
    assert report["counts"]["create"] == 1
    assert Account.objects.filter(username="ch25001").exists()
    assert not Account.objects.filter(username="el25000").exists()


def test_r4_cli_exit_2_over_the_missing_threshold(tmp_path, demo, settings):
    """The demo's 22 known active undergraduates, a feed with one of them: refused."""
    settings.REGISTRY_MAX_MISSING_SHARE = 0.05
    path = write_feed(
        tmp_path / "feed.csv",
        [student(0, registrationID="03121042", lastNameEl="Κωνσταντίνου", firstNameEl="Ελένη")],
    )
    states = dict(Account.objects.values_list("username", "state"))
    status, out, _ = run(path, "--format", "json", "--language", "en")
    assert status == 2
    body = json.loads(out)
    assert body["error"]["code"] == "registry.too_many_missing"
    assert "stopped without any change" in body["error"]["message"]
    assert dict(Account.objects.values_list("username", "state")) == states
    # The preview says so in its report (its refusal) and exits 2 as the import would.
    status, out, _ = run(path, "--dry-run", "--format", "json")
    assert status == 2
    report = json.loads(out)
    assert report["refusal"]["code"] == "registry.too_many_missing"


def test_r4_cli_progress_bar_only_on_a_terminal_and_never_with_json(feed_path):
    status, _, err = run(feed_path, "--dry-run")
    assert (status, err) == (0, "")  # a pipe, a timer, cron: no bar
    status, out, err = run(feed_path, "--dry-run", "--format", "json", stderr=Terminal())
    assert (status, err) == (0, "")
    json.loads(out)
    status, out, err = run(feed_path, "--dry-run", stderr=Terminal())
    assert status == 0
    assert "Ανάγνωση" in err or "Έλεγχος" in err
    assert "Ανάγνωση" not in out


def test_r4_cli_json_once_more_changes_nothing(feed_path):
    assert run(feed_path, "--format", "json")[0] == 0
    status, out, _ = run(feed_path, "--format", "json")
    assert status == 0
    report = json.loads(out)
    assert report["counts"]["unchanged"] == 3
    assert report["counts"]["create"] == 0
    assert all(
        a.state == AccountState.PENDING for a in Account.objects.filter(username__startswith="el25")
    )


def test_r4_cli_an_unexpected_error_exits_2_not_1(feed_path, monkeypatch):
    """Python exits 1 on a traceback, which here would read "done, some records in error".

    Fault injection: the preview itself raises, as a bug or a lost database would."""

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "preview_feed", crash)
    status, out, err = run(feed_path, "--dry-run", "--format", "json", "--language", "en")
    assert status == 2
    body = json.loads(out)
    assert body["error"]["code"] == "registry.failed"
    assert body["error"]["params"] == {"error": "RuntimeError"}
    assert "RuntimeError: boom" in err
    lock.acquire().release()  # released on the way out


def test_r9_cli_an_ignored_column_is_reported_in_the_summary_and_the_json(tmp_path, demo):
    """A renamed optional column must not vanish quietly: the operator reads its warning."""
    rows = [{**student(n), "κινητό τηλ.": "6912345678"} for n in range(2)]
    path = write_feed(tmp_path / "renamed.csv", rows, [*HEADERS, "κινητό τηλ."])
    status, out, _ = run(path, "--dry-run", "--format", "json")
    assert status == 0
    assert json.loads(out)["warnings"] == [
        {
            "code": "sheet.unknown_column",
            "message": "Η στήλη «κινητό τηλ.» δεν αναγνωρίζεται και αγνοείται.",
            "params": {"column": "κινητό τηλ."},
        }
    ]
    status, out, _ = run(path, "--dry-run")
    assert "sheet.unknown_column: Η στήλη «κινητό τηλ.» δεν αναγνωρίζεται και αγνοείται." in out
