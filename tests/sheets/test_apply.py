"""R19: all or nothing, idempotent, through the account service, audited, with welcomes."""

import threading

import pytest
from django.db import connection

from kleidi.accounts.models import Account, AccountState
from kleidi.accounts.services import end_of_day
from kleidi.audit.models import AuditEvent
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Affiliation, Person
from kleidi.sheets import apply as apply_module
from kleidi.sheets.apply import apply_table
from kleidi.sheets.models import SheetState
from kleidi.sheets.reader import read_sheet
from kleidi.sheets.services import apply_upload, request_apply, upload_sheet
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.django_db

KB = dict(
    username="kbakogianni",
    surname="Μπακογιάννη",
    given_name="Αικατερίνη",
    father_name="Κωνσταντίνος",
    mother_name="Ελένη",
    external_email="katerina.bakogianni@example.com",
    registration_number="03800077",
)


def snapshot():
    return (
        Person.objects.count(),
        Account.objects.count(),
        Affiliation.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_r19_apply_creates_people_accounts_and_welcomes(school_el, secretariat):
    rows = [person_row(1), person_row(2)]
    result = apply_table(
        read_sheet(xlsx(table(rows))), school=school_el, kind="postgraduate", actor=secretariat
    )
    assert result.ok, result.errors
    created = Account.objects.get(username="nioannou")
    assert created.state == AccountState.PENDING
    assert created.kind == "postgraduate"
    assert created.school == school_el
    assert created.expires_at == end_of_day(rows[0]["end_date"])
    assert created.person.external_email == "student1@example.com"
    assert created.person.mobile == "+306900000001"
    assert created.affiliation.registration_number == "03500001"
    assert created.affiliation.supervisor_email == "mkonst@ece.ntua.gr"
    welcomes = OutboxMessage.objects.filter(template="welcome", account=created)
    assert welcomes.count() == 1
    assert "nioannou" in welcomes.get().body_text
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.created", "person.created", "sheet.row_applied", "sheet.applied"} <= actions


def test_r19_applying_the_same_sheet_again_changes_nothing_and_says_so(school_el, secretariat):
    data = xlsx(table([person_row(1), person_row(2), {**person_row(3), **KB}]))
    first = apply_table(read_sheet(data), school=school_el, kind="phd", actor=secretariat)
    assert [o["action"] for o in first.outcomes] == ["create", "create", "reactivate"]
    before = snapshot()
    second = apply_table(read_sheet(data), school=school_el, kind="phd", actor=secretariat)
    assert [o["action"] for o in second.outcomes] == ["unchanged"] * 3
    assert second.changes() == 0
    assert snapshot() == before


def test_r17_reactivating_kbakogianni(school_el, secretariat, account):
    row = {**person_row(1), **KB, "external_email": "kb.new@example.org"}
    result = apply_table(
        read_sheet(xlsx(table([row]))), school=school_el, kind="phd", actor=secretariat
    )
    assert result.ok, result.errors
    kb = account("kbakogianni")
    assert kb.state == AccountState.PENDING
    assert kb.expires_at == end_of_day(row["end_date"])
    assert kb.person.external_email == "kb.new@example.org"
    assert not kb.has_usable_password()
    assert OutboxMessage.objects.filter(template="welcome", account=kb).exists()
    assert Person.objects.filter(surname="Μπακογιάννη").count() == 1


def test_r19_sheet_with_errors_writes_nothing(school_el, secretariat):
    before = snapshot()
    data = xlsx(table([person_row(1), person_row(2, external_email="bad")]))
    result = apply_table(read_sheet(data), school=school_el, kind="postgraduate", actor=secretariat)
    assert not result.ok
    assert snapshot() == before


def test_r19_apply_interrupted_by_an_injected_failure_leaves_nothing(
    school_el, secretariat, monkeypatch
):
    real = apply_module.create_accounts

    def failing(*args, **kwargs):
        # People, affiliations, accounts and welcomes are written; then it fails.
        real(*args, **kwargs)
        raise RuntimeError("injected failure")

    monkeypatch.setattr(apply_module, "create_accounts", failing)
    upload = upload_sheet(
        content=xlsx(table([person_row(i) for i in range(1, 6)])),
        filename="x.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )
    before = snapshot()
    events = AuditEvent.objects.count()
    result = apply_upload(upload, actor=secretariat)
    assert [e["code"] for e in result.errors] == ["sheet.apply_failed"]
    assert snapshot() == before
    assert not Account.objects.filter(username__in=["nioannou", "ndimitriou"]).exists()
    upload.refresh_from_db()
    assert upload.state == SheetState.FAILED
    # Only the start (the claim, committed first) and the failure are recorded.
    assert AuditEvent.objects.count() == events + 2
    monkeypatch.setattr(apply_module, "create_accounts", real)
    assert apply_upload(upload, actor=secretariat).ok


def test_r19_upload_workflow_and_audit(school_el, secretariat):
    upload = upload_sheet(
        content=xlsx(table([person_row(1)])),
        filename="a.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
        client_ip="192.0.2.1",
    )
    assert upload.state == SheetState.VALID
    assert upload.result["outcomes"] == [{"row": 2, "action": "create", "username": "nioannou"}]
    assert not Account.objects.filter(username="nioannou").exists()
    result = apply_upload(upload, actor=secretariat, client_ip="192.0.2.1")
    assert result.ok
    upload.refresh_from_db()
    assert upload.state == SheetState.APPLIED
    assert upload.changes == 1
    actions = list(
        AuditEvent.objects.filter(details__sheet=str(upload.pk)).values_list("action", flat=True)
    )
    assert "sheet.applied" in actions and "sheet.row_applied" in actions
    assert AuditEvent.objects.filter(action="sheet.uploaded", target_id=str(upload.pk)).exists()


def test_r19_invalid_upload_cannot_be_applied(school_el, secretariat):
    upload = upload_sheet(
        content=xlsx(table([person_row(1, mobile="x")])),
        filename="a.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )
    assert upload.state == SheetState.INVALID
    result = apply_upload(upload, actor=secretariat)
    assert [e["code"] for e in result.errors] == ["sheet.not_clean"]


def test_r8_upload_for_another_school_is_refused(school_ch, secretariat):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        upload_sheet(
            content=b"x", filename="a.csv", school=school_ch, kind="phd", actor=secretariat
        )
    assert caught.value.code == "permission.school"


def test_r19_large_sheet_runs_as_a_task_and_mails_the_uploader(
    school_el, secretariat, settings, django_capture_on_commit_callbacks
):
    settings.SHEET_TASK_THRESHOLD_ROWS = 2
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "mail", "sheets"],
        }
    }
    # The uploader gets mail only if their account has an email: give grammateiael one.
    secretariat.person = Person.objects.create(
        surname="Γραμματεία", given_name="ΗΜΜΥ", external_email="grammateia@example.com"
    )
    secretariat.save(update_fields=["person"])
    upload = upload_sheet(
        content=xlsx(table([person_row(i) for i in range(1, 5)])),
        filename="big.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert request_apply(upload, actor=secretariat) is None
    upload.refresh_from_db()
    assert upload.state == SheetState.APPLIED
    assert upload.progress_percent == 100
    assert Account.objects.filter(username__in=["nioannou", "nmarkopoulos"]).count() == 2
    done = OutboxMessage.objects.get(template="sheet_done")
    assert done.to == "grammateia@example.com"
    assert str(upload.pk) in done.body_text


@pytest.mark.django_db(transaction=True)
def test_r19_concurrent_applies_of_overlapping_sheets_give_one_person_and_one_account(
    settings,
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from kleidi.portal import demo

    demo.seed()
    from kleidi.people.models import School

    school = School.objects.get(code="el")
    actor = Account.objects.get(username="grammateiael")
    shared = person_row(1)
    sheets = [
        xlsx(table([shared, person_row(2)])),
        xlsx(table([person_row(3), shared])),
    ]
    barrier = threading.Barrier(2)
    results, failures = [], []

    def run(data):
        from django.db import connections

        try:
            barrier.wait()
            results.append(
                apply_table(read_sheet(data), school=school, kind="postgraduate", actor=actor)
            )
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(d,)) for d in sheets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert all(r.ok for r in results)
    assert Person.objects.filter(email_key="student1@example.com").count() == 1
    assert Account.objects.filter(username="nioannou").count() == 1
    actions = sorted(
        o["action"] for r in results for o in r.outcomes if o["username"] == "nioannou"
    )
    assert actions == ["create", "unchanged"]
