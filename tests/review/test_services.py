"""The review queue's services: idempotent filing; decided once, with a reason, by the helpdesk."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from kleidi.audit.models import AuditEvent
from kleidi.errors import error
from kleidi.people.models import Affiliation, Person, School
from kleidi.review import selectors, services
from kleidi.review.models import ItemState, ReviewItem
from tests.audit import last_event, seen
from tests.review.factories import held

pytestmark = pytest.mark.django_db


def events(action, since):
    return [seen(e) for e in AuditEvent.objects.filter(action=action, pk__gt=since).order_by("pk")]


def test_r4_filing_the_same_records_again_changes_nothing(school_el):
    first = [held(school_el, "03121001"), held(school_el, "03121002")]
    assert services.file_items(first) == {"filed": 2, "updated": 0, "unchanged": 0}
    since = last_event()
    assert services.file_items(first) == {"filed": 0, "updated": 0, "unchanged": 2}
    assert ReviewItem.objects.count() == 2
    assert events("review.filed", since) == []


def test_r4_an_open_item_follows_its_changed_record(school_el):
    services.file_items([held(school_el, "03121001"), held(school_el, "03121002")])
    changed = [held(school_el, "03121001"), held(school_el, "03121002", given="Ελένη-Μαρία")]
    since = last_event()
    assert services.file_items(changed) == {"filed": 0, "updated": 1, "unchanged": 1}
    item = ReviewItem.objects.get(key="03121002")
    assert [seen(e) for e in AuditEvent.objects.filter(pk__gt=since)] == [
        {
            "action": "review.updated",
            "actor": None,
            "actor_name": "system",
            "client_ip": None,
            "target": f"reviewitem:{item}",
            "school": "el",
            "details": {
                "source": "registry",
                "reason": "held",
                "key": "03121002",
                "candidates": [],
            },
        }
    ]
    assert item.state == ItemState.OPEN
    assert item.record["given_name"] == "Ελένη-Μαρία"
    assert item.fingerprint == services.fingerprint(changed[1].record)
    assert ReviewItem.objects.count() == 2


def test_r4_the_same_key_in_another_school_is_another_item(school_el, school_ch):
    counts = services.file_items([held(school_el, "03121001"), held(school_ch, "03121001")])
    assert counts == {"filed": 2, "updated": 0, "unchanged": 0}


def test_r4_a_decided_record_is_not_filed_again_until_it_changes(
    school_el, helpdesk, registry_handler
):
    services.file_items([held(school_el)])
    services.reject(ReviewItem.objects.get(), actor=helpdesk, reason="Λάθος εγγραφή")
    assert services.file_items([held(school_el)]) == {"filed": 0, "updated": 0, "unchanged": 1}
    counts = services.file_items([held(school_el, surname="Νικολαΐδου")])
    assert counts == {"filed": 1, "updated": 0, "unchanged": 0}
    states = sorted(ReviewItem.objects.values_list("state", flat=True))
    assert states == [ItemState.OPEN, ItemState.REJECTED]


def test_r29_each_filed_item_is_audited(school_el):
    since = last_event()
    services.file_items([held(school_el, "03121001")], client_ip="192.0.2.7")
    item = ReviewItem.objects.get()
    assert events("review.filed", since) == [
        {
            "action": "review.filed",
            "actor": None,
            "actor_name": "system",
            "client_ip": "192.0.2.7",
            "target": f"reviewitem:{item}",
            "school": "el",
            "details": {
                "source": "registry",
                "reason": "held",
                "key": "03121001",
                "candidates": [],
            },
        }
    ]


def test_r4_filing_thousands_takes_the_same_queries_as_filing_a_few(school_el):
    """One lookup, the INSERTs and the audit's, whatever the count (a feed may file thousands)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(items):
        with CaptureQueriesContext(connection) as captured:
            services.file_items(items)
        return len(captured)

    few = queries([held(school_el, f"0312{n:04d}") for n in range(5)])
    many = queries([held(school_el, f"0313{n:04d}") for n in range(3000)])
    assert ReviewItem.objects.count() == 3005
    assert many <= few + 60  # batches of INSERTs only, never a query per item
    changed = [held(school_el, f"0313{n:04d}", given="Άννα") for n in range(3000)]
    assert queries(changed) <= few + 60


def test_r4_approving_runs_the_sources_handler_and_is_audited(
    school_el, helpdesk, registry_handler
):
    services.file_items([held(school_el)])
    item = ReviewItem.objects.get()
    since = last_event()
    decided = services.approve(
        item, actor=helpdesk, reason="Μετεγγραφή με απόφαση Κοσμητείας", client_ip="192.0.2.9"
    )
    person = Person.objects.get(surname="Θεοχάρη")
    affiliation = Affiliation.objects.get(person=person)
    resolution = {"person": person.pk, "affiliation": affiliation.pk}
    item.refresh_from_db()
    assert (item.state, item.decided_by, item.decision_reason, item.resolution, item.person) == (
        ItemState.APPROVED,
        helpdesk,
        "Μετεγγραφή με απόφαση Κοσμητείας",
        resolution,
        None,
    )
    assert decided.decided_at is not None
    assert events("review.approved", since) == [
        {
            "action": "review.approved",
            "actor": "helpdesk",
            "actor_name": "helpdesk",
            "client_ip": "192.0.2.9",
            "target": f"reviewitem:{item}",
            "school": "el",
            "details": {
                "source": "registry",
                "reason": "held",
                "key": "03121999",
                "decision": "create",
                "person": None,
                "decision_reason": "Μετεγγραφή με απόφαση Κοσμητείας",
                "resolution": resolution,
            },
        }
    ]


def test_r16_approving_links_to_a_chosen_candidate(school_el, helpdesk, account, registry_handler):
    candidate = account("gpapadopoulos").person
    item = held(school_el)
    services.file_items([services.NewItem(**{**item.__dict__, "candidates": (candidate.pk,)})])
    item = ReviewItem.objects.get()
    services.approve(item, actor=helpdesk, reason="Ίδιο πρόσωπο", person=candidate)
    item.refresh_from_db()
    assert item.person == candidate
    assert Affiliation.objects.get(registration_number="03121999").person == candidate
    assert not Person.objects.filter(surname="Θεοχάρη").exists()


def test_r16_a_person_who_is_not_a_candidate_is_refused(
    school_el, helpdesk, account, registry_handler
):
    services.file_items([held(school_el)])
    item = ReviewItem.objects.get()
    with pytest.raises(ValidationError) as refused:
        services.approve(
            item, actor=helpdesk, reason="Ίδιο πρόσωπο", person=account("gpapadopoulos").person
        )
    assert refused.value.code == "review.not_a_candidate"
    item.refresh_from_db()
    assert item.state == ItemState.OPEN
    assert not Affiliation.objects.filter(registration_number="03121999").exists()


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("", "review.reason_required"),
        ("  \n ", "review.reason_required"),
        ("α" * 1001, "review.reason_too_long"),
    ],
)
def test_r4_a_decision_needs_a_reason(school_el, helpdesk, registry_handler, reason, code):
    services.file_items([held(school_el)])
    item = ReviewItem.objects.get()
    since = last_event()
    for decide in (services.approve, services.reject):
        with pytest.raises(ValidationError) as refused:
            decide(item, actor=helpdesk, reason=reason)
        assert refused.value.code == code
    item.refresh_from_db()
    assert item.state == ItemState.OPEN
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


def test_r4_an_item_is_decided_once(school_el, helpdesk, registry_handler):
    services.file_items([held(school_el)])
    item = ReviewItem.objects.get()
    services.approve(item, actor=helpdesk, reason="Εγκρίνεται")
    since = last_event()
    for decide in (services.approve, services.reject):
        with pytest.raises(ValidationError) as refused:
            decide(item, actor=helpdesk, reason="Ξανά")
        assert refused.value.code == "review.already_decided"
        assert refused.value.params["actor"] == "helpdesk"
    assert Affiliation.objects.filter(registration_number="03121999").count() == 1
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


def test_r4_a_record_changed_since_it_was_read_is_not_decided(
    school_el, helpdesk, registry_handler
):
    services.file_items([held(school_el)])
    read = ReviewItem.objects.get()
    services.file_items([held(school_el, given="Ελένη-Μαρία")])
    with pytest.raises(ValidationError) as refused:
        services.approve(read, actor=helpdesk, reason="Εγκρίνεται")
    assert refused.value.code == "review.changed"
    assert ReviewItem.objects.get().state == ItemState.OPEN


def test_r4_a_handlers_error_aborts_the_approval(school_el, helpdesk, monkeypatch):
    def half_then_refuse(item, *, person, actor, client_ip):
        from tests.review.conftest import create_undergraduate

        create_undergraduate(item, person=None, actor=actor, client_ip=client_ip)
        raise error("email.required")

    monkeypatch.setitem(services._handlers, "registry", half_then_refuse)
    services.file_items([held(school_el)])
    item = ReviewItem.objects.get()
    since = last_event()
    with pytest.raises(ValidationError) as refused:
        services.approve(item, actor=helpdesk, reason="Εγκρίνεται")
    assert refused.value.code == "email.required"
    assert not Person.objects.filter(surname="Θεοχάρη").exists()
    assert ReviewItem.objects.get().state == ItemState.OPEN
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


def test_r4_a_source_without_a_handler_cannot_be_approved(school_el, helpdesk, monkeypatch):
    monkeypatch.delitem(services._handlers, "registry", raising=False)
    services.file_items([held(school_el)])
    with pytest.raises(ValidationError) as refused:
        services.approve(ReviewItem.objects.get(), actor=helpdesk, reason="Εγκρίνεται")
    assert refused.value.code == "review.no_handler"
    assert ReviewItem.objects.get().state == ItemState.OPEN


def test_r8_a_secretariat_decides_no_item_not_even_its_schools(
    school_el, school_ch, secretariat, registry_handler
):
    services.file_items([held(school_el, "03121001"), held(school_ch, "05121001")])
    own = ReviewItem.objects.get(school=school_el)
    for decide in (services.approve, services.reject):
        for reason in ("Εγκρίνεται", ""):  # the scope is refused first
            with pytest.raises(ValidationError) as refused:
                decide(own, actor=secretariat, reason=reason)
            assert refused.value.code == "review.helpdesk_only"
    assert ReviewItem.objects.get(pk=own.pk).state == ItemState.OPEN


def test_r4_rejecting_is_audited_with_its_reason(school_el, helpdesk):
    services.file_items([held(school_el)])
    item = ReviewItem.objects.get()
    since = last_event()
    services.reject(item, actor=helpdesk, reason="  Δεν είναι φοιτητής του Τμήματος ")
    item.refresh_from_db()
    assert (item.state, item.decision_reason, item.resolution) == (
        ItemState.REJECTED,
        "Δεν είναι φοιτητής του Τμήματος",
        {},
    )
    assert events("review.rejected", since) == [
        {
            "action": "review.rejected",
            "actor": "helpdesk",
            "actor_name": "helpdesk",
            "client_ip": None,
            "target": f"reviewitem:{item}",
            "school": "el",
            "details": {
                "source": "registry",
                "reason": "held",
                "key": "03121999",
                "decision_reason": "Δεν είναι φοιτητής του Τμήματος",
            },
        }
    ]


def test_search_ignores_accents_case_and_final_sigma(school_el):
    services.file_items(
        [held(school_el, "03121001", surname="Παπαδάκης"), held(school_el, "03121002")]
    )
    items = ReviewItem.objects.all()
    assert [i.key for i in selectors.search_items("ΠΑΠΑΔΑΚΗΣ", items)] == ["03121001"]
    assert [i.key for i in selectors.search_items("παπαδακης", items)] == ["03121001"]
    assert [i.key for i in selectors.search_items("03121002", items)] == ["03121002"]
    assert [i.key for i in selectors.search_items("ελένη θεοχαρη", items)] == ["03121002"]


def test_r16_a_decision_covers_the_record_it_was_about(school_el, helpdesk):
    services.file_items([held(school_el, "03121001"), held(school_el, "03121002")])
    first, second = ReviewItem.objects.order_by("key")
    services.reject(first, actor=helpdesk, reason="Όχι")
    now = {
        "03121001": services.fingerprint(held(school_el, "03121001").record),
        "03121002": second.fingerprint,
    }
    assert selectors.decisions("registry", school_el, now) == {"03121001": first}
    now["03121001"] = services.fingerprint(held(school_el, "03121001", given="Άλλη").record)
    assert selectors.decisions("registry", school_el, now) == {}


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh within our transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_r4_two_runs_filing_the_same_record_at_once_give_one_item(settings):
    """The second run's INSERT waits on the first's uncommitted item, then finds it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from kleidi.portal import demo

    demo.seed()
    school = School.objects.get(code="el")
    first_filed = threading.Event()
    counts, failures = {}, []

    def first():
        try:
            with transaction.atomic():
                counts["first"] = services.file_items([held(school)])
                first_filed.set()
                for _ in range(1000):  # commit once the second run waits on our row
                    if waiting_on_a_lock():
                        break
                    time.sleep(0.01)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            first_filed.set()
            connections.close_all()

    def second():
        try:
            first_filed.wait()
            counts["second"] = services.file_items([held(school)])
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert counts == {
        "first": {"filed": 1, "updated": 0, "unchanged": 0},
        "second": {"filed": 0, "updated": 0, "unchanged": 1},
    }
    assert ReviewItem.objects.filter(state=ItemState.OPEN).count() == 1
