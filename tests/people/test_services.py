"""The people service, the only writer of schools, people and affiliations (R2, R6)."""

import datetime as dt

from kleidi.accounts.models import Account, SecretariatMembership
from kleidi.audit.models import AuditEvent
from kleidi.people.models import AffiliationKind, AffiliationStatus, School
from kleidi.people.services import (
    create_affiliations,
    create_person,
    graduate,
    update_affiliation,
)
from tests import writers


def events(action: str, target) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=action, target_type=target._meta.model_name, target_id=str(target.pk)
        ).order_by("pk")
    )


def test_r2_affiliations_in_bulk_each_audited_with_its_values(demo, account):
    helpdesk = account("helpdesk")
    school = School.objects.get(code="ch")
    people = [create_person({"surname": s, "given_name": "Νίκος"}) for s in ("Ράγκος", "Ρίγκας")]
    made = create_affiliations(
        [
            {
                "person": person,
                "school": school,
                "kind": AffiliationKind.PHD,
                "registration_number": number,
                "end_date": dt.date(2028, 9, 30),
            }
            for person, number in zip(people, ("05800001", "05800002"), strict=True)
        ],
        actor=helpdesk,
        client_ip="192.0.2.7",
    )
    assert [a.person for a in made] == people
    (event,) = events("affiliation.created", made[1])
    assert (event.actor_name, event.client_ip, event.school) == ("helpdesk", "192.0.2.7", school)
    assert event.details == {
        "after": {
            "kind": "phd",
            "registration_number": "05800002",
            "status": "active",
            "end_date": "2028-09-30",
        }
    }


def test_r2_affiliation_change_audited_with_before_and_after(demo, account):
    affiliation = account("salexiou").affiliation
    changed = update_affiliation(
        affiliation,
        {"supervisor_email": "new@chemeng.ntua.gr", "end_date": dt.date(2029, 1, 31)},
        actor=account("grammateiach"),
    )
    expected = {
        "supervisor_email": {"before": "supervisor@ece.ntua.gr", "after": "new@chemeng.ntua.gr"},
        "end_date": {"before": None, "after": "2029-01-31"},
    }
    assert changed == expected
    affiliation.refresh_from_db()
    assert affiliation.end_date == dt.date(2029, 1, 31)
    (event,) = events("affiliation.changed", affiliation)
    assert event.details == {"changes": expected}
    assert event.actor_name == "grammateiach" and event.school.code == "ch"


def test_r2_an_affiliation_change_to_the_same_values_writes_nothing(demo, account):
    affiliation = account("salexiou").affiliation
    assert update_affiliation(affiliation, {"kind": affiliation.kind}) == {}
    assert events("affiliation.changed", affiliation) == []


def test_r6_graduation_is_audited_once(demo, account):
    affiliation = account("el21042").affiliation
    assert affiliation.is_ungraduated_undergraduate
    changed = graduate(affiliation, on=dt.date(2027, 7, 15))
    assert changed["status"] == {"before": "active", "after": "graduated"}
    affiliation.refresh_from_db()
    assert affiliation.status == AffiliationStatus.GRADUATED
    assert not affiliation.is_ungraduated_undergraduate
    assert graduate(affiliation, on=dt.date(2027, 7, 15)) == {}
    assert len(events("affiliation.graduated", affiliation)) == 1


def test_r2_the_demo_seed_is_audited_like_any_other_writer(demo):
    gpapadopoulos = Account.objects.get(username="gpapadopoulos")
    assert [e.details["to"] for e in events("account.activated", gpapadopoulos)] == ["active"]
    assert events("person.created", gpapadopoulos.person)
    assert events("affiliation.created", gpapadopoulos.affiliation)
    membership = SecretariatMembership.objects.get(account__username="grammateiael")
    assert events("membership.added", membership.account)[0].details == {"school": "el"}


def test_r2_console_school_add_and_change_go_through_the_service(client, account):
    client.force_login(account("helpdesk"))
    form = {
        "code": "mech",
        "name_el": "Σχολή Μηχανολόγων",
        "name_en": "Mechanical",
        "undergraduate_prefix": "mc",
    }
    response = client.post("/console/people/school/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    school = School.objects.get(code="mech")
    (created,) = events("school.created", school)
    assert created.details["after"]["undergraduate_prefix"] == "mc"
    assert created.actor_name == "helpdesk"
    response = client.post(
        f"/console/people/school/{school.pk}/change/", {**form, "name_en": "Mech Eng"}
    )
    assert response.status_code == 302
    (changed,) = events("school.changed", school)
    assert changed.details == {
        "changes": {"name_en": {"before": "Mechanical", "after": "Mech Eng"}}
    }
    assert (
        client.post(f"/console/people/school/{school.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_r8_console_memberships_are_added_and_removed_through_the_account_service(client, account):
    client.force_login(account("helpdesk"))
    secretariat = account("grammateiael")
    chemeng = School.objects.get(code="ch")
    form = {"account": secretariat.pk, "school": chemeng.pk}
    response = client.post("/console/accounts/secretariatmembership/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = SecretariatMembership.objects.get(account=secretariat, school=chemeng)
    (added,) = events("membership.added", secretariat)[-1:]
    assert (added.actor_name, added.details) == ("helpdesk", {"school": "ch"})
    url = f"/console/accounts/secretariatmembership/{membership.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not SecretariatMembership.objects.filter(pk=membership.pk).exists()
    (removed,) = events("membership.removed", secretariat)
    assert removed.details == {"school": "ch"} and removed.school == chemeng


def test_r22_saving_the_consoles_read_only_account_form_writes_nothing(client, account):
    client.force_login(account("helpdesk"))
    target = account("salexiou")
    with writers.expect_violations() as caught:
        response = client.post(f"/console/accounts/account/{target.pk}/change/", {})
    assert response.status_code == 302
    assert caught == []  # Django's default save_model would UPDATE the row itself
