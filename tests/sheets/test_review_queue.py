"""R16's possible duplicates through the helpdesk's review queue, from upload to account."""

import pytest
from django.core.exceptions import ValidationError

from kleidi.accounts.models import Account
from kleidi.people.models import Person
from kleidi.people.services import create_person
from kleidi.review.models import ItemState, ReviewItem
from kleidi.review.services import approve, reject
from kleidi.sheets.models import SheetState
from kleidi.sheets.services import apply_upload, upload_sheet, validate_upload
from tests.audit import last_event, only
from tests.sheets.factories import errors_at, person_row, table, xlsx

pytestmark = pytest.mark.django_db

# A person the university knows with an old email; the sheet names her with a new one.
ELENI = {"surname": "Θεοχάρη", "given_name": "Ελένη", "external_email": "eleni.old@example.com"}
ROW = dict(
    username="etheochari",
    surname="Θεοχάρη",
    given_name="Ελένη",
    father_name="",
    mother_name="",
    external_email="eleni.new@example.com",
)


@pytest.fixture
def eleni(school_el):
    return create_person(ELENI, school=school_el)


def codes(sheet, row):
    return [e["code"] for e in sheet.result["errors"] if e["row"] == row]


def upload(rows, school, actor):
    return upload_sheet(
        content=xlsx(table(rows)),
        filename="ΔΠΜΣ.xlsx",
        school=school,
        kind="postgraduate",
        actor=actor,
        client_ip="192.0.2.1",
    )


def test_r16_a_possible_duplicate_is_filed_linked_by_the_helpdesk_and_applied(
    school_el, secretariat, helpdesk, eleni
):
    since = last_event()
    sheet = upload([person_row(1, **ROW), person_row(2)], school_el, secretariat)
    assert sheet.state == SheetState.INVALID
    item = ReviewItem.objects.get()
    assert (item.source, item.reason, item.school, item.key, item.candidates, item.state) == (
        "sheet",
        "possible_duplicate",
        school_el,
        "el:3500001",
        [eleni.pk],
        ItemState.OPEN,
    )
    assert item.record["external_email"] == "eleni.new@example.com"
    assert item.record["username"] == "etheochari"
    assert item.record["upload"] == str(sheet.pk)
    assert only("review.filed", since) == {
        "action": "review.filed",
        "actor": "grammateiael",
        "actor_name": "grammateiael",
        "client_ip": "192.0.2.1",
        "target": f"reviewitem:{item}",
        "school": "el",
        "details": {
            "source": "sheet",
            "reason": "possible_duplicate",
            "key": "el:3500001",
            "candidates": [eleni.pk],
        },
    }

    approve(item, actor=helpdesk, reason="Η ίδια φοιτήτρια, νέο email", person=eleni)
    item.refresh_from_db()
    assert item.resolution == {"decision": "link", "person": eleni.pk}

    # The secretariat uploads the same sheet again: the row now is Ελένη's.
    again = upload([person_row(1, **ROW), person_row(2)], school_el, secretariat)
    assert again.state == SheetState.VALID, again.result["errors"]
    assert [o["action"] for o in again.result["outcomes"]] == ["create", "create"]
    assert apply_upload(again, actor=secretariat).ok
    account = Account.objects.get(username="etheochari")
    assert account.person == eleni
    eleni.refresh_from_db()
    assert eleni.external_email == "eleni.new@example.com"
    assert Person.objects.filter(surname="Θεοχάρη").count() == 1


def test_r16_approving_a_new_person_creates_one_beside_the_candidate(
    school_el, secretariat, helpdesk, eleni
):
    sheet = upload([person_row(1, **ROW)], school_el, secretariat)
    approve(ReviewItem.objects.get(), actor=helpdesk, reason="Συνωνυμία: άλλο πρόσωπο")
    assert ReviewItem.objects.get().resolution == {"decision": "create"}
    assert validate_upload(sheet, actor=secretariat).ok
    assert apply_upload(sheet, actor=secretariat).ok
    account = Account.objects.get(username="etheochari")
    assert account.person != eleni
    assert Person.objects.filter(surname="Θεοχάρη").count() == 2
    assert not eleni.accounts.exists()


def test_r16_a_rejected_row_stays_refused_saying_so(school_el, secretariat, helpdesk, eleni):
    sheet = upload([person_row(1, **ROW)], school_el, secretariat)
    reject(ReviewItem.objects.get(), actor=helpdesk, reason="Ζητήστε ταυτότητα")
    result = validate_upload(sheet, actor=secretariat)
    assert errors_at(result, 2) == ["person.review_rejected"]
    (error,) = result.errors
    assert error["params"] == {"existing": f"#{eleni.pk}", "reason": "Ζητήστε ταυτότητα"}
    assert ReviewItem.objects.count() == 1  # not filed again
    sheet.refresh_from_db()
    assert sheet.state == SheetState.INVALID


def test_r16_the_same_row_uploaded_again_is_the_same_item(school_el, secretariat, eleni):
    upload([person_row(1, **ROW)], school_el, secretariat)
    upload([person_row(2), person_row(1, **ROW)], school_el, secretariat)
    assert ReviewItem.objects.count() == 1


def test_r16_a_decision_does_not_cover_a_row_whose_data_changed(
    school_el, secretariat, helpdesk, eleni
):
    upload([person_row(1, **ROW)], school_el, secretariat)
    approve(ReviewItem.objects.get(), actor=helpdesk, reason="Ίδιο πρόσωπο", person=eleni)
    changed = upload([person_row(1, **{**ROW, "mobile": "6977777777"})], school_el, secretariat)
    assert "person.possible_duplicate" in codes(changed, 2)
    assert sorted(ReviewItem.objects.values_list("state", flat=True)) == [
        ItemState.APPROVED,
        ItemState.OPEN,
    ]


def test_r16_a_row_with_other_errors_waits_for_them_to_be_corrected(school_el, secretariat, eleni):
    sheet = upload([person_row(1, **{**ROW, "mobile": "12"})], school_el, secretariat)
    assert "person.possible_duplicate" in codes(sheet, 2)
    assert not ReviewItem.objects.exists()


def test_r16_a_new_person_whose_registration_number_a_candidate_holds_is_refused(
    school_el, secretariat, helpdesk, eleni
):
    from kleidi.people.services import create_affiliation

    maria = create_person({"surname": "Θεοχάρη", "given_name": "Μαρία"}, school=school_el)
    create_affiliation(
        {
            "person": maria,
            "kind": "postgraduate",
            "school": school_el,
            "registration_number": "03500001",
        },
        school=school_el,
    )
    sheet = upload([person_row(1, **ROW)], school_el, secretariat)
    item = ReviewItem.objects.get()
    assert sorted(item.candidates) == sorted([eleni.pk, maria.pk])
    approve(item, actor=helpdesk, reason="Άλλο πρόσωπο")
    result = validate_upload(sheet, actor=secretariat)
    assert errors_at(result, 2) == ["person.review_conflict"]
    assert result.errors[0]["params"] == {"value": "03500001", "existing": f"#{maria.pk}"}


def test_r8_a_secretariat_cannot_decide_its_own_rows(school_el, secretariat, eleni):
    upload([person_row(1, **ROW)], school_el, secretariat)
    with pytest.raises(ValidationError) as refused:
        approve(ReviewItem.objects.get(), actor=secretariat, reason="Εμείς το λέμε", person=eleni)
    assert refused.value.code == "review.helpdesk_only"
