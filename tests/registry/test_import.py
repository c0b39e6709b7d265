"""R2–R5: the import applies the preview in one transaction through the services; the same
feed again writes nothing; `missing` never deletes or retires; too many missing is refused
before any write."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.errors import CodedError
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import AdmissionRoute, Affiliation, AffiliationStatus, Person
from kleidi.registry.models import RegistryRun
from kleidi.registry.services import import_feed, preview_feed
from tests.registry.importing import Writes, feed, make_school, number, rec, students

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
# What a run with nothing to change may write: its run row and its audit event.
RUN_ONLY = {"registry_registryrun": 1, "audit_auditevent": 1}


@pytest.fixture
def school():
    return make_school()


def test_r4_create_person_affiliation_account_and_welcome(school):
    record = rec(0, admission_route=AdmissionRoute.NATIONAL_EXAMS.value)
    report = import_feed(feed([record]), today=TODAY)
    assert report.exit_status == 0
    account = Account.objects.select_related("person", "affiliation").get()
    assert account.username == "el18000"
    assert account.kind == AccountKind.UNDERGRADUATE
    assert account.state == AccountState.PENDING
    assert account.school == school
    assert account.person.surname == record.values["surname"]
    assert account.person.external_email == "student0@example.com"
    assert account.person.mobile == "+306970000000"
    affiliation = account.affiliation
    assert affiliation.kind == "undergraduate"
    assert affiliation.registration_number == number(0)
    assert affiliation.admission_route == AdmissionRoute.NATIONAL_EXAMS
    assert affiliation.start_date == dt.date(2024, 9, 1)
    assert affiliation.status == AffiliationStatus.ACTIVE
    (welcome,) = OutboxMessage.objects.filter(template="welcome")
    assert welcome.to == "student0@example.com"
    assert "el18000" in welcome.body_text
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "person.created",
        "affiliation.created",
        "account.created",
        "registry.imported",
    } <= actions
    run = RegistryRun.objects.get()
    assert run.counts["create"] == 1
    assert run.records == 1


def test_r4_the_same_feed_again_is_unchanged_and_writes_nothing(school):
    records = students(30)
    import_feed(feed(records), today=TODAY)
    before = (Person.objects.count(), Account.objects.count(), OutboxMessage.objects.count())
    with Writes() as writes:
        report = import_feed(feed(records), today=TODAY)
    assert report.as_json()["counts"]["unchanged"] == 30
    assert writes.tables == RUN_ONLY
    after = (Person.objects.count(), Account.objects.count(), OutboxMessage.objects.count())
    assert after == before


def test_r4_an_unchanged_rerun_asks_the_same_few_queries_for_any_size(school):
    other = make_school("ch", "ch")
    small, large = students(5, department="ch"), students(60, start=100)
    import_feed(feed(small + large), today=TODAY)
    with CaptureQueriesContext(connection) as few:
        import_feed(feed(small), today=TODAY, schools=[other])
    with CaptureQueriesContext(connection) as many:
        import_feed(feed(small + large), today=TODAY)
    assert len(many) == len(few)
    assert len(many) < 10


def test_r2_update_through_update_person_audited_before_and_after(school):
    import_feed(feed(students(3)), today=TODAY)
    report = import_feed(
        feed([rec(0, external_email="moved@example.org"), *students(2, 1)]), today=TODAY
    )
    assert report.as_json()["counts"]["update"] == 1
    person = Person.objects.get(external_email="moved@example.org")
    event = AuditEvent.objects.get(action="data.changed")
    assert event.target_id == str(person.pk)
    assert event.details["changes"] == {
        "external_email": {"before": "student0@example.com", "after": "moved@example.org"}
    }
    assert event.school_id == school.pk


def test_r4_missing_students_are_reported_never_deleted_or_retired(school):
    import_feed(feed(students(40)), today=TODAY)
    report = import_feed(feed(students(39)), today=TODAY)
    (gone,) = [o for o in report.as_json()["outcomes"] if o["situation"] == "missing"]
    assert gone["registration_number"] == number(39)
    assert gone["username"] == "el18039"
    assert gone["record"] is None
    account = Account.objects.get(username="el18039")
    assert account.state == AccountState.PENDING
    assert account.affiliation.status == AffiliationStatus.ACTIVE
    assert Account.objects.count() == 40


def test_r4_too_many_missing_is_refused_before_any_write(school):
    import_feed(feed(students(40)), today=TODAY)
    truncated = feed([*students(30), rec(500)])
    with Writes() as writes, pytest.raises(CodedError) as refused:
        import_feed(truncated, today=TODAY)
    assert writes.tables == {}
    item = refused.value.error_list[0]
    assert item.code == "registry.too_many_missing"
    assert item.params == {"missing": 10, "known": 40, "share": "25.0%", "limit": "5.0%"}
    assert not Account.objects.filter(username="el18500").exists()
    assert RegistryRun.objects.count() == 1
    # The preview shows the refusal instead of raising it.
    preview = preview_feed(truncated, today=TODAY).as_json()
    assert preview["ok"] is False
    assert preview["refusal"]["code"] == "registry.too_many_missing"
    assert preview["refusal"]["params"]["missing"] == 10


def test_r4_the_missing_share_is_a_setting(school, settings):
    import_feed(feed(students(10)), today=TODAY)
    settings.REGISTRY_MAX_MISSING_SHARE = 0.5
    report = import_feed(feed(students(6)), today=TODAY)
    assert report.as_json()["counts"]["missing"] == 4


def test_r4_held_and_disputed_records_change_nothing(school):
    import_feed(feed(students(2)), today=TODAY)
    records = [
        rec(0, surname="Μαυρίδης", given_name="Αντώνης", external_email="a@example.org"),
        rec(1),
        rec(5, admission_route=AdmissionRoute.TRANSFER.value),
    ]
    with Writes() as writes:
        report = import_feed(feed(records), today=TODAY)
    assert report.as_json()["counts"]["disputed"] == 1
    assert report.as_json()["counts"]["held"] == 1
    people_writes = {t for t in writes.tables if t.startswith(("people_", "accounts_"))}
    assert people_writes == set()
    assert Person.objects.filter(surname="Μαυρίδης").count() == 0


def test_r4_an_errored_record_leaves_the_rest_applied_exit_status_1(school):
    bad = rec(1, department="nowhere")
    report = import_feed(feed([rec(0), bad, rec(2)]), today=TODAY)
    assert report.exit_status == 1
    assert set(Account.objects.values_list("username", flat=True)) == {"el18000", "el18002"}


def test_r4_review_approved_record_without_account_is_created_next_run(school):
    """A known affiliation without an account (e.g. linked by the helpdesk) gets one."""
    import_feed(feed([rec(0, external_email="", email_code="email.required")]), today=TODAY)
    assert not Affiliation.objects.exists()
    report = import_feed(feed([rec(0)]), today=TODAY)
    assert report.as_json()["counts"]["create"] == 1


@pytest.fixture
def operator():
    from kleidi.accounts.services import create_helpdesk_operator

    return create_helpdesk_operator("kyhoperator", "a long enough passphrase")


def items():
    from kleidi.review.models import ReviewItem

    return ReviewItem.objects.filter(source="registry").order_by("pk")


def test_r4_held_and_disputed_are_filed_for_review_on_import_not_on_preview(school):
    import_feed(feed(students(2)), today=TODAY)
    records = [
        rec(0, surname="Μαυρίδης", given_name="Αντώνης"),
        rec(1),
        rec(5, admission_route=AdmissionRoute.TRANSFER.value),
    ]
    preview_feed(feed(records), today=TODAY)
    assert not items().exists()
    import_feed(feed(records), today=TODAY)
    filed = {(i.reason, i.key, i.record["registry_reason"]) for i in items()}
    assert filed == {
        ("disputed", number(0), "registry.names_differ"),
        ("held", number(5), "registry.admission_route"),
    }
    disputed = items().get(reason="disputed")
    assert disputed.candidates == [Account.objects.get(username="el18000").person_id]
    assert disputed.school == school
    # The same feed again files nothing new.
    import_feed(feed(records), today=TODAY)
    assert items().count() == 2


def test_r4_approving_a_held_record_creates_the_undergraduate_next_run_unchanged(school, operator):
    from kleidi.review.services import approve

    held = rec(5, admission_route=AdmissionRoute.TRANSFER.value)
    import_feed(feed([held]), today=TODAY)
    item = items().get()
    decided = approve(item, actor=operator, reason="μετεγγραφή από το ΑΠΘ, εγκρίθηκε")
    account = Account.objects.select_related("affiliation", "person").get(username="el18005")
    assert decided.resolution == {"account": "el18005", "person": account.person_id}
    assert account.affiliation.admission_route == AdmissionRoute.TRANSFER
    assert account.person.external_email == "student5@example.com"
    assert OutboxMessage.objects.filter(template="welcome", account=account).count() == 1
    report = import_feed(feed([held]), today=TODAY)
    assert report.as_json()["counts"]["unchanged"] == 1


def test_r16_approving_a_dispute_links_the_record_to_the_chosen_person(school, operator):
    from kleidi.people.services import create_person
    from kleidi.review.services import approve

    record = rec(5)
    by_email = create_person(
        {"surname": "Άσχετος", "given_name": "Πέτρος", "external_email": "student5@example.com"}
    )
    create_person(
        {
            "surname": record.values["surname"],
            "given_name": record.values["given_name"],
            "mobile": record.values["mobile"],
        }
    )
    import_feed(feed([record]), today=TODAY)
    item = items().get()
    assert item.reason == "disputed"
    assert by_email.pk in item.candidates
    approve(item, actor=operator, reason="ίδιο πρόσωπο", person=by_email)
    account = Account.objects.get(username="el18005")
    assert account.person_id == by_email.pk
    by_email.refresh_from_db()
    assert by_email.surname == record.values["surname"]  # the registry's names (R2)
    report = import_feed(feed([record]), today=TODAY)
    assert report.as_json()["counts"]["unchanged"] == 1


def test_r16_approving_other_names_links_to_the_numbers_owner_and_updates(school, operator):
    from kleidi.review.services import approve

    import_feed(feed(students(1)), today=TODAY)
    renamed = rec(0, surname="Μαυρίδη", given_name="Αντωνία")
    import_feed(feed([renamed]), today=TODAY)
    item = items().get()
    owner = Person.objects.get(pk=item.candidates[0])
    approve(item, actor=operator, reason="αλλαγή ονόματος με απόφαση", person=owner)
    owner.refresh_from_db()
    assert (owner.surname, owner.given_name) == ("Μαυρίδη", "Αντωνία")
    assert Account.objects.filter(kind=AccountKind.UNDERGRADUATE).count() == 1
    assert import_feed(feed([renamed]), today=TODAY).as_json()["counts"]["unchanged"] == 1


def test_r4_approving_a_departure_disables_the_account(school, operator):
    from kleidi.registry.records import LEFT
    from kleidi.review.services import approve

    import_feed(feed(students(1)), today=TODAY)
    left = rec(0, status=LEFT)
    import_feed(feed([left]), today=TODAY)
    approve(items().get(), actor=operator, reason="διαγραφή")
    assert Account.objects.get(username="el18000").state == AccountState.DISABLED
    assert import_feed(feed([left]), today=TODAY).as_json()["counts"]["unchanged"] == 1


def test_r4_a_real_csv_read_by_read_feed_previewed_then_imported():
    from pathlib import Path

    from kleidi.registry.feed import read_feed

    make_school("el", "el")
    make_school("ch", "ch")
    path = Path(__file__).resolve().parents[1] / "data" / "registry" / "valid.csv"
    read = read_feed(str(path))
    preview = preview_feed(read, today=TODAY).as_json()
    found = {
        (o["school"], o["registration_number"]): (o["situation"], o["username"])
        for o in preview["outcomes"]
    }
    assert found == {
        ("el", "03118001"): ("create", "el18001"),
        ("el", "03118002"): ("create", "el18002"),
        ("el", "03118003"): ("waiting_email", ""),
        ("el", "03118004"): ("waiting_email", ""),
        ("el", "03118005"): ("held", ""),
        ("el", "03114006"): ("unchanged", ""),
        ("el", "03119007"): ("unchanged", ""),
        ("ch", "05118001"): ("create", "ch18001"),
        ("ch", "05118002"): ("held", ""),
        ("ch", "05117003"): ("unchanged", ""),
        # Same last five digits as 05118001 in the same school: the next choice.
        ("ch", "03118001"): ("create", "cha18001"),
    }
    report = import_feed(read_feed(str(path)), today=TODAY)
    assert report.as_json()["counts"]["create"] == 4
    assert import_feed(read_feed(str(path)), today=TODAY).as_json()["counts"]["unchanged"] == 7


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        (
            "KLEIDI_REGISTRY_MAX_MISSING_SHARE",
            "5%",
            "expected a share such as 0.05, got '5%'",
        ),
        (
            "KLEIDI_REGISTRY_MAX_MISSING_SHARE",
            "5",
            "must be between 0 and 1 (0.05 is 5 %), got 5.0",
        ),
        (
            "KLEIDI_REGISTRY_GRADUATION_GRACE_DAYS",
            "-1",
            "must be at least 0 and at most 3650, got -1",
        ),
    ],
)
def test_r4_r6_bad_registry_settings_stop_startup(tmp_path, variable, value, problem):
    from tests.test_settings import accepted, refused

    assert refused(tmp_path, variable, value) == problem
    names = ["REGISTRY_MAX_MISSING_SHARE", "REGISTRY_GRADUATION_GRACE_DAYS"]
    assert accepted(tmp_path, names) == {
        "REGISTRY_MAX_MISSING_SHARE": 0.05,
        "REGISTRY_GRADUATION_GRACE_DAYS": 0,
    }
