"""R2, R4, R6, R16: every record of a feed in exactly one situation, every code, on generated
feeds; the preview writes nothing but its audit event."""

import datetime as dt

import pytest

from kleidi.audit.models import AuditEvent
from kleidi.people.models import AdmissionRoute
from kleidi.people.services import create_person
from kleidi.registry.classify import SITUATIONS
from kleidi.registry.records import GRADUATED, LEFT
from kleidi.registry.services import import_feed, preview_feed
from tests.registry.importing import Writes, feed, make_school, number, rec, students

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def school():
    return make_school()


def situations(report) -> dict[str, str]:
    return {o["registration_number"]: o["situation"] for o in report.as_json()["outcomes"]}


def outcome(report, n: int) -> dict:
    (found,) = [
        o
        for o in report.as_json()["outcomes"]
        if o["registration_number"] == number(n) and o["situation"] != "missing"
    ]
    return found


def codes(report, n: int) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in outcome(report, n)["errors"]]


def test_r4_every_situation_in_one_feed_each_record_once(school):
    import_feed(feed(students(60)), today=TODAY)
    records = [
        rec(0),  # unchanged
        rec(1, external_email="new1@example.com"),  # update
        rec(2, status=GRADUATED, status_date=dt.date(2026, 7, 1)),  # graduate
        rec(100),  # create
        rec(101, external_email="", email_code="email.required"),  # waiting_email
        rec(102, admission_route=AdmissionRoute.TRANSFER.value),  # held
        rec(3, surname="Άλλος", given_name="Κάποιος"),  # disputed
        rec(103, errors=[_bad_email(105)]),  # error
        *[rec(n) for n in range(4, 59)],  # 59 absent: missing (1 of 60, under 5 %)
    ]
    report = preview_feed(feed(records), today=TODAY)
    found = situations(report)
    assert found[number(0)] == "unchanged"
    assert found[number(1)] == "update"
    assert found[number(2)] == "graduate"
    assert found[number(100)] == "create"
    assert found[number(101)] == "waiting_email"
    assert found[number(102)] == "held"
    assert found[number(3)] == "disputed"
    assert found[number(103)] == "error"
    assert found[number(59)] == "missing"
    counts = report.as_json()["counts"]
    assert list(counts) == list(SITUATIONS)
    assert sum(counts.values()) == len(records) + 1
    assert counts["missing"] == 1
    assert report.records == len(records)


def _bad_email(row: int) -> dict:
    return {
        "row": row,
        "column": "extEmail",
        "code": "email.invalid",
        "params": {},
        "value": "not-an-email",
    }


def test_r4_preview_writes_nothing_but_its_audit_event(school):
    import_feed(feed(students(10)), today=TODAY)
    records = [rec(0, mobile="+306970000999"), *students(9, start=1), rec(50)]
    with Writes() as writes:
        report = preview_feed(feed(records), today=TODAY)
    assert writes.tables == {"audit_auditevent": 1}
    assert report.dry_run is True
    assert situations(report)[number(50)] == "create"
    event = AuditEvent.objects.filter(action="registry.previewed").get()
    assert event.details["counts"]["create"] == 1
    assert event.details["counts"]["update"] == 1
    assert event.details["source"] == "registry.csv"


def test_r4_preview_json_schema(school):
    report = preview_feed(feed([rec(0, login_name="")]), today=TODAY)
    data = report.as_json()
    assert set(data) == {
        "ok",
        "dry_run",
        "source",
        "records",
        "counts",
        "outcomes",
        "refusal",
        "warnings",
    }
    assert data["ok"] is True and data["refusal"] is None and data["warnings"] == []
    (row,) = data["outcomes"]
    assert {
        "record",
        "school",
        "registration_number",
        "situation",
        "username",
        "changes",
        "errors",
        "review",
    } <= set(row)
    assert row["record"] == 2
    assert row["school"] == "ece"
    assert row["username"] == "el18000"
    assert row["review"] is False


def test_r2_update_lists_before_and_after_per_field(school):
    import_feed(feed(students(3)), today=TODAY)
    report = preview_feed(
        feed([rec(0, mobile="+306971111111", external_email="x@example.org"), *students(2, 1)]),
        today=TODAY,
    )
    found = outcome(report, 0)
    assert found["situation"] == "update"
    assert found["changes"] == {
        "mobile": {"before": "+306970000000", "after": "+306971111111"},
        "external_email": {"before": "student0@example.com", "after": "x@example.org"},
    }
    assert found["username"] == "el18000"


def test_r2_a_blank_in_the_feed_never_erases(school):
    import_feed(feed(students(2)), today=TODAY)
    report = preview_feed(
        feed(
            [
                rec(0, mobile="", father_name=""),
                rec(1, external_email="", email_code="email.required"),
            ]
        ),
        today=TODAY,
    )
    assert situations(report) == {number(0): "unchanged", number(1): "unchanged"}


def test_r4_waiting_email_without_or_with_institutional_email(school):
    records = [
        rec(0, external_email="", email_code="email.required"),
        rec(1, external_email="", email_code="email.institutional"),
    ]
    report = preview_feed(feed(records), today=TODAY)
    assert set(situations(report).values()) == {"waiting_email"}
    assert all(o["username"] == "" for o in report.as_json()["outcomes"])
    assert [outcome(report, n)["reason"]["code"] for n in (0, 1)] == [
        "email.required",
        "email.institutional",
    ]
    assert all(not o["review"] for o in report.as_json()["outcomes"])


@pytest.mark.parametrize(
    "route", [AdmissionRoute.TRANSFER, AdmissionRoute.SPECIAL, AdmissionRoute.OTHER]
)
def test_r4_other_admission_routes_are_held_for_review(school, route):
    report = preview_feed(feed([rec(0, admission_route=route.value)]), today=TODAY)
    found = outcome(report, 0)
    assert found["situation"] == "held"
    assert found["review"] is True
    assert found["reason"]["code"] == "registry.admission_route"
    assert found["reason"]["params"] == {"route": str(route.label)}
    assert found["username"] == ""


def test_r4_the_held_reason_names_the_route_in_greek(school):
    report = preview_feed(feed([rec(0, admission_route="transfer")]), today=TODAY)
    assert "«μετεγγραφή»" in outcome(report, 0)["reason"]["message"]


def test_r4_a_known_student_who_left_is_held_one_never_known_is_unchanged(school):
    import_feed(feed(students(3)), today=TODAY)
    report = preview_feed(
        feed([rec(0, status=LEFT), rec(77, status=LEFT), *students(2, 1)]), today=TODAY
    )
    assert outcome(report, 0)["situation"] == "held"
    assert outcome(report, 0)["reason"]["code"] == "registry.left"
    assert outcome(report, 77)["situation"] == "unchanged"


def test_r16_registration_number_of_a_person_with_other_names_is_disputed(school):
    import_feed(feed(students(2)), today=TODAY)
    report = preview_feed(
        feed([rec(0, surname="Μαυρίδης", given_name="Αντώνης"), rec(1)]), today=TODAY
    )
    found = outcome(report, 0)
    assert found["situation"] == "disputed"
    assert found["reason"]["code"] == "registry.names_differ"
    assert found["review"] is True
    assert found["changes"] == {}


def test_r16_a_corrected_surname_alone_is_an_update_not_a_dispute(school):
    import_feed(feed(students(1)), today=TODAY)
    report = preview_feed(feed([rec(0, surname="Παπαδοπούλου")]), today=TODAY)
    assert outcome(report, 0)["situation"] == "update"


def test_r16_a_record_matching_more_than_one_person_is_disputed(school):
    # Two people already known outside the registry: one by the record's email,
    # one by its names and mobile.
    first = rec(5)
    create_person(
        {
            "surname": "Άσχετος",
            "given_name": "Πέτρος",
            "external_email": first.values["external_email"],
        }
    )
    create_person(
        {
            "surname": first.values["surname"],
            "given_name": first.values["given_name"],
            "mobile": first.values["mobile"],
            "external_email": "other@example.com",
        }
    )
    report = preview_feed(feed([first]), today=TODAY)
    found = outcome(report, 5)
    assert found["situation"] == "disputed"
    assert found["reason"]["code"] == "registry.several_people"


def test_r16_a_person_known_outside_the_registry_is_linked_not_duplicated(school):
    record = rec(7)
    person = create_person(
        {
            "surname": record.values["surname"],
            "given_name": record.values["given_name"],
            "external_email": record.values["external_email"],
        }
    )
    report = import_feed(feed([record]), today=TODAY)
    assert outcome(report, 7)["situation"] == "create"
    person.refresh_from_db()
    assert person.accounts.get().username == "el18007"
    assert person.mobile == record.values["mobile"]


def test_r4_record_errors_are_listed_and_skipped_the_rest_applied(school):
    report = import_feed(feed([rec(0, errors=[_bad_email(2)]), rec(1)]), today=TODAY)
    assert codes(report, 0) == [("extEmail", "email.invalid")]
    assert outcome(report, 0)["errors"][0]["message"]
    assert outcome(report, 1)["situation"] == "create"
    assert report.exit_status == 1
    assert report.as_json()["ok"] is False


def test_r4_unknown_department_is_a_record_error(school):
    report = preview_feed(feed([rec(0, department="9999")]), today=TODAY)
    assert codes(report, 0) == [("departmentID", "registry.unknown_school")]
    assert outcome(report, 0)["errors"][0]["params"] == {"department": "9999"}


def test_r4_department_id_matches_registry_id_before_code():
    make_school("ece", "el", registry_id="1401")
    report = preview_feed(feed([rec(0, department="1401"), rec(1, department="ece")]), today=TODAY)
    assert outcome(report, 0)["school"] == "ece"
    assert outcome(report, 1)["school"] == "ece"


def test_r18_a_registration_number_twice_in_a_feed_errs_on_both(school):
    report = preview_feed(
        feed([rec(0), rec(1, registration_number=number(0), number_in_feed=9)]), today=TODAY
    )
    outcomes = report.as_json()["outcomes"]
    assert [o["situation"] for o in outcomes] == ["error", "error"]
    for o in outcomes:
        assert [(e["field"], e["code"]) for e in o["errors"]] == [
            ("registrationID", "row.duplicate")
        ]
    assert outcomes[0]["errors"][0]["params"]["rows"] == "2, 9"


def test_r4_a_per_school_run_sees_only_its_school(school):
    other = make_school("ch", "ch")
    import_feed(feed([*students(3), *students(3, 10, department="ch")]), today=TODAY)
    # ch's export alone: ece's students are neither in it nor missing.
    report = preview_feed(
        feed([*students(3, 10, department="ch"), rec(0)]), today=TODAY, schools=[other]
    )
    assert report.records == 3
    assert report.as_json()["counts"]["missing"] == 0
    assert {o["school"] for o in report.as_json()["outcomes"]} == {"ch"}


def test_r6_graduated_record_of_an_unknown_student_changes_nothing(school):
    report = preview_feed(feed([rec(0, status=GRADUATED)]), today=TODAY)
    assert outcome(report, 0)["situation"] == "unchanged"
