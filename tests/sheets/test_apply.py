"""R19: all or nothing, idempotent, through the account service, audited, with welcomes."""

import threading

import pytest
from django.db import connection

from kleidi.accounts.models import Account, AccountState
from kleidi.accounts.services import end_of_day
from kleidi.audit.models import AuditEvent
from kleidi.errors import message
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Affiliation, Person
from kleidi.sheets import apply as apply_module
from kleidi.sheets import claims, runs
from kleidi.sheets.apply import apply_table
from kleidi.sheets.models import SheetState, SheetUpload
from kleidi.sheets.reader import read_sheet
from kleidi.sheets.runs import refusal
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


IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "mail", "sheets"],
    }
}


def _applied_large_sheet(school, actor, settings, capture):
    """A sheet over the task threshold (lowered), applied through the queue; and a copy
    of it loaded before that apply, as a second tab or a second click holds it."""
    settings.SHEET_TASK_THRESHOLD_ROWS = 1
    settings.TASKS = IMMEDIATE_TASKS
    upload = upload_sheet(
        content=xlsx(table([person_row(1), person_row(2), person_row(3)])),
        filename="big.xlsx",
        school=school,
        kind="postgraduate",
        actor=actor,
    )
    before_the_click = SheetUpload.objects.get(pk=upload.pk)
    with capture(execute=True):
        assert request_apply(upload, actor=actor) is None
    upload.refresh_from_db()
    assert upload.state == SheetState.APPLIED
    assert before_the_click.state == SheetState.VALID
    return upload, before_the_click


def test_i12_s6_a_large_sheet_applied_meanwhile_is_a_repeat_not_running(
    school_el, secretariat, settings, django_capture_on_commit_callbacks
):
    """Review finding 4: the state is read under the row lock, not from the copy loaded
    before the click: a large applied sheet takes the repeat path, like a small one."""
    upload, stale = _applied_large_sheet(
        school_el, secretariat, settings, django_capture_on_commit_callbacks
    )
    before = snapshot()
    events = AuditEvent.objects.filter(target_id=str(upload.pk))
    queued = events.filter(action="sheet.apply_queued").count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = request_apply(stale, actor=secretariat)
    assert result is not None, "queued again"
    assert result.errors == []
    assert result.repeat_of == {
        "applied_at": upload.applied_at.isoformat(),
        "applied_by": secretariat.username,
        "changes": 3,
    }
    assert events.filter(action="sheet.apply_repeated").count() == 1
    assert events.filter(action="sheet.apply_queued").count() == queued
    assert callbacks == []  # no task enqueued
    assert snapshot() == before
    upload.refresh_from_db()
    assert (upload.state, upload.changes) == (SheetState.APPLIED, 3)


def test_i12_s6_a_finished_upload_is_never_refused_as_running(
    school_el, secretariat, settings, django_capture_on_commit_callbacks
):
    """Review finding 4: the worker's call on an applied upload (a re-run task) is refused
    as applied already, not as "being applied"; in both languages."""
    upload, _ = _applied_large_sheet(
        school_el, secretariat, settings, django_capture_on_commit_callbacks
    )
    result = apply_upload(upload, actor=secretariat, queued=True)
    assert [e["code"] for e in result.errors] == ["sheet.already_applied"]
    assert [e["code"] for e in refusal(upload).errors] == ["sheet.already_applied"]
    assert "έχει ήδη εφαρμοστεί" in message("sheet.already_applied", language="el")
    assert "already been applied" in message("sheet.already_applied", language="en")
    assert not AuditEvent.objects.filter(
        target_id=str(upload.pk), action="sheet.apply_repeated"
    ).exists()


class ReleaseCounter:
    """Counts the upload lock's releases, each passed on to the real one."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self.real = claims.release_lock
        monkeypatch.setattr(claims, "release_lock", self)

    def __call__(self, upload_id):
        self.calls += 1
        self.real(upload_id)


def test_r19_a_repeat_whose_audit_fails_gives_the_lock_back_once(
    school_el, secretariat, monkeypatch
):
    """Review finding 10: the upload's lock is given back in one place, also when
    recording the repeat fails (it was given back before the repeat, then again)."""
    upload = upload_sheet(
        content=xlsx(table([person_row(1)])),
        filename="a.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )
    assert apply_upload(upload, actor=secretariat).ok
    real_record = runs.record

    def failing(action, **kwargs):
        if action == "sheet.apply_repeated":
            raise RuntimeError("injected failure")
        return real_record(action, **kwargs)

    monkeypatch.setattr(runs, "record", failing)
    releases = ReleaseCounter(monkeypatch)
    with pytest.raises(RuntimeError, match="injected failure"):
        apply_upload(upload, actor=secretariat)
    assert releases.calls == 1
    monkeypatch.setattr(runs, "record", real_record)
    assert apply_upload(upload, actor=secretariat).repeat_of is not None
    assert releases.calls == 2
    if connection.vendor == "postgresql":
        assert not claims.lock_held(upload.pk)


def test_r19_every_way_out_of_a_claim_gives_the_lock_back_once(school_el, secretariat, monkeypatch):
    """Review finding 10: an apply, a refusal and a failed claim each release the lock once
    (PostgreSQL: and nobody holds it afterwards)."""
    upload = upload_sheet(
        content=xlsx(table([person_row(1)])),
        filename="a.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )
    releases = ReleaseCounter(monkeypatch)
    assert apply_upload(upload, actor=secretariat).ok
    assert releases.calls == 1
    assert apply_upload(upload, actor=secretariat, queued=True).errors
    assert releases.calls == 2
    other = upload_sheet(
        content=xlsx(table([person_row(2)])),
        filename="b.xlsx",
        school=school_el,
        kind="postgraduate",
        actor=secretariat,
    )
    real_record = runs.record

    def failing(action, **kwargs):
        if action == "sheet.apply_started":
            raise RuntimeError("injected failure")
        return real_record(action, **kwargs)

    monkeypatch.setattr(runs, "record", failing)
    with pytest.raises(RuntimeError, match="injected failure"):
        apply_upload(other, actor=secretariat)
    assert releases.calls == 3
    other.refresh_from_db()
    assert other.state == SheetState.VALID  # the claim was rolled back with its event
    if connection.vendor == "postgresql":
        assert not claims.lock_held(upload.pk)
        assert not claims.lock_held(other.pk)


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
