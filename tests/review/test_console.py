"""The review queue's console page: scoped list and item, decisions by POST with a reason."""

import pytest
from django.test import Client

from kleidi.people.services import create_person
from kleidi.review import services
from kleidi.review.models import ItemState, ReviewItem
from tests.review.factories import held

pytestmark = pytest.mark.django_db

LIST = "/console/review/reviewitem/"


def page(pk):
    return f"{LIST}{pk}/change/"


@pytest.fixture
def eleni(school_el):
    return create_person(
        {"surname": "Θεοχάρη", "given_name": "Ελένη", "external_email": "eleni@example.com"},
        school=school_el,
    )


@pytest.fixture
def items(school_el, school_ch, eleni):
    """A disputed registry record of `el` naming Ελένη as its candidate, and one of `ch`."""
    ours = held(school_el, "03121001", external_email="eleni.new@example.com")
    ours = services.NewItem(**{**ours.__dict__, "reason": "disputed", "candidates": (eleni.pk,)})
    services.file_items([ours, held(school_ch, "05121001", surname="Αλεξίου", given="Ιωάννα")])
    return ReviewItem.objects.get(school=school_el), ReviewItem.objects.get(school=school_ch)


def listed(client, **query):
    response = client.get(LIST, query)
    assert response.status_code == 200
    return {item.key for item in response.context["cl"].result_list}


def test_r4_the_helpdesk_lists_filters_and_searches_ignoring_accents(client, helpdesk, items):
    client.force_login(helpdesk)
    assert listed(client) == {"03121001", "05121001"}
    assert listed(client, reason__exact="held") == {"05121001"}
    assert listed(client, school__id__exact=items[1].school_id) == {"05121001"}
    assert listed(client, q="ΘΕΟΧΑΡΗ") == {"03121001"}
    assert listed(client, q="αλεξιου ιωαννα") == {"05121001"}
    assert listed(client, q="05121001") == {"05121001"}


def test_r16_the_item_page_shows_the_record_beside_the_candidate(client, helpdesk, items, eleni):
    client.force_login(helpdesk)
    response = client.get(page(items[0].pk))
    assert response.status_code == 200
    lines = {line.label: line for line in response.context["lines"]}
    assert lines["Επώνυμο"].cells[0].same is True
    email = lines["Εξωτερικό email"]
    assert (email.value, email.cells[0].value, email.cells[0].same) == (
        "eleni.new@example.com",
        "eleni@example.com",
        False,
    )
    content = response.content.decode()
    assert "Έγκριση" in content and "Απόρριψη" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert 'name="_save"' not in content  # nothing to save outside the two decisions
    assert f'value="{eleni.pk}"' in content


def test_r16_the_helpdesk_links_the_record_to_the_candidate(
    client, helpdesk, items, eleni, monkeypatch
):
    from tests.review.conftest import create_undergraduate

    monkeypatch.setitem(services._handlers, "registry", create_undergraduate)
    client.force_login(helpdesk)
    item = items[0]
    response = client.post(
        f"{LIST}{item.pk}/approve/",
        {"decision": str(eleni.pk), "reason": "Ίδια φοιτήτρια", "fingerprint": item.fingerprint},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.person, item.decision_reason) == (
        ItemState.APPROVED,
        eleni,
        "Ίδια φοιτήτρια",
    )
    assert eleni.affiliations.get().registration_number == "03121001"


def test_r4_a_decision_without_a_reason_is_refused_in_greek(client, helpdesk, items):
    client.force_login(helpdesk)
    item = items[1]
    response = client.post(
        f"{LIST}{item.pk}/reject/", {"reason": "  ", "fingerprint": item.fingerprint}, follow=True
    )
    assert "Γράψτε την αιτιολογία της απόφασης." in response.content.decode()
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_r4_the_helpdesk_rejects_with_a_reason(client, helpdesk, items):
    client.force_login(helpdesk)
    item = items[1]
    response = client.post(
        f"{LIST}{item.pk}/reject/", {"reason": "Όχι φοιτήτρια", "fingerprint": item.fingerprint}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.decided_by) == (ItemState.REJECTED, helpdesk)
    # The queue opens on the open items; the decided one is under its state, or "all".
    assert listed(client) == {"03121001"}
    assert listed(client, state="rejected") == {"05121001"}
    assert listed(client, state="all") == {"03121001", "05121001"}
    decided = client.get(page(item.pk)).content.decode()
    assert "Όχι φοιτήτρια" in decided and "/reject/" not in decided


def test_r4_a_record_changed_while_the_operator_read_it_is_not_decided(
    client, helpdesk, items, school_ch
):
    client.force_login(helpdesk)
    item = items[1]
    seen = item.fingerprint
    services.file_items([held(school_ch, "05121001", surname="Αλεξίου", given="Ιωάννης")])
    response = client.post(
        f"{LIST}{item.pk}/reject/", {"reason": "Όχι", "fingerprint": seen}, follow=True
    )
    assert "Η εγγραφή άλλαξε" in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).state == ItemState.OPEN


def test_r8_a_secretariat_reads_its_schools_items_without_actions(client, secretariat, items):
    client.force_login(secretariat)
    assert listed(client) == {"03121001"}
    response = client.get(page(items[0].pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "/approve/" not in content and "/reject/" not in content
    assert 'name="_save"' not in content
    item = items[0]
    for action in ("approve", "reject"):
        response = client.post(
            f"{LIST}{item.pk}/{action}/",
            {"decision": "new", "reason": "Εμείς", "fingerprint": item.fingerprint},
        )
        assert response.status_code == 403
    assert ReviewItem.objects.get(pk=item.pk).state == ItemState.OPEN


def test_r8_another_schools_item_is_not_found(client, secretariat, items):
    client.force_login(secretariat)
    theirs = items[1]
    assert client.get(page(theirs.pk)).status_code == 404
    response = client.post(
        f"{LIST}{theirs.pk}/reject/", {"reason": "Όχι", "fingerprint": theirs.fingerprint}
    )
    assert response.status_code == 404


def test_decisions_need_the_csrf_token(helpdesk, items):
    client = Client(enforce_csrf_checks=True)
    client.force_login(helpdesk)
    item = items[1]
    response = client.post(
        f"{LIST}{item.pk}/reject/", {"reason": "Όχι", "fingerprint": item.fingerprint}
    )
    assert response.status_code == 403
    assert ReviewItem.objects.get(pk=item.pk).state == ItemState.OPEN


def test_r8_a_secretariat_sees_only_its_schools_people_among_the_candidates(
    client, secretariat, helpdesk, school_el, eleni, account
):
    giorgos = account("gpapadopoulos").person  # an undergraduate of `el`
    item = held(school_el, "03121007", surname="Παπαδόπουλος", given="Γεώργιος")
    both = (eleni.pk, giorgos.pk)  # Ελένη has no affiliation with `el`
    services.file_items([services.NewItem(**{**item.__dict__, "candidates": both})])
    item = ReviewItem.objects.get(key="03121007")
    client.force_login(secretariat)
    response = client.get(page(item.pk))
    assert (response.context["people"], response.context["hidden"]) == ([giorgos], 1)
    content = response.content.decode()
    assert "eleni@example.com" not in content
    assert "Ένα πιθανό άτομο άλλης σχολής δεν εμφανίζεται." in content
    client.force_login(helpdesk)
    response = client.get(page(item.pk))
    assert (set(response.context["people"]), response.context["hidden"]) == ({eleni, giorgos}, 0)
