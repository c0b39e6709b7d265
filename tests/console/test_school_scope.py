"""The console's school scope (R8, §6) is one mixin, applied to list, change page and search."""

import pytest
from django.contrib import admin

from kleidi.accounts.models import ROLE_PERMISSIONS, StaffRole
from kleidi.audit.models import AuditEvent
from kleidi.audit.services import record
from kleidi.console.base import SchoolScopedAdmin
from kleidi.people.models import School


@pytest.fixture
def secretariat_reads_audit(monkeypatch):
    """Secretariats have no audit permission today; grant it to test that the scope holds."""
    granted = ROLE_PERMISSIONS[StaffRole.SECRETARIAT] | {"audit.view_auditevent"}
    monkeypatch.setitem(ROLE_PERMISSIONS, StaffRole.SECRETARIAT, granted)


@pytest.fixture
def other_school_rows(account):
    """Rows of school `ch` (Σοφία Αλεξίου's) and of `el`, as seen by `grammateiael`."""
    sofia = account("salexiou")
    giorgos = account("gpapadopoulos")
    for target in (sofia, giorgos):
        record("account.disabled", target=target, school=target.school)
    return {
        "person": (sofia.person, giorgos.person),
        "account": (sofia, giorgos),
        "auditevent": (
            AuditEvent.objects.get(action="account.disabled", target_id=str(sofia.pk)),
            AuditEvent.objects.get(action="account.disabled", target_id=str(giorgos.pk)),
        ),
    }


PAGES = {
    "person": "/console/people/person/",
    "account": "/console/accounts/account/",
    "auditevent": "/console/audit/auditevent/",
}
SEARCHES = {"person": "Αλεξίου", "account": "salexiou", "auditevent": "salexiou"}


def listed(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


@pytest.mark.parametrize("model", PAGES)
def test_r8_secretariat_lists_and_searches_only_its_school(
    client, account, other_school_rows, secretariat_reads_audit, model
):
    url, theirs, ours = PAGES[model], *other_school_rows[model]
    client.force_login(account("grammateiael"))
    rows = listed(client, url)
    assert ours in rows and theirs not in rows
    assert listed(client, url, q=SEARCHES[model]) == set()
    client.force_login(account("helpdesk"))
    assert theirs in listed(client, url, q=SEARCHES[model])


@pytest.mark.parametrize("model", PAGES)
def test_r8_secretariat_cannot_open_another_schools_change_page(
    client, account, other_school_rows, secretariat_reads_audit, model
):
    url = PAGES[model]
    theirs, ours = other_school_rows[model]
    client.force_login(account("grammateiael"))
    assert client.get(f"{url}{ours.pk}/change/").status_code == 200
    response = client.get(f"{url}{theirs.pk}/change/", follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/console/"
    assert str(theirs) not in response.content.decode()


def test_r8_secretariat_sees_only_its_school_in_the_school_list(rf, account):
    request = rf.get("/console/people/school/")
    request.user = account("grammateiael")
    assert School.objects.exclude(code="el").exists()
    school_admin = admin.site.get_model_admin(School)
    assert list(school_admin.get_queryset(request)) == [School.objects.get(code="el")]
    request.user = account("helpdesk")
    assert school_admin.get_queryset(request).count() == School.objects.count()


def test_every_console_page_a_secretariat_may_read_is_school_scoped():
    readable = {
        tuple(perm.replace("view_", "").split("."))
        for perm in ROLE_PERMISSIONS[StaffRole.SECRETARIAT]
        if ".view_" in perm
    }
    registered = {
        (model._meta.app_label, model._meta.model_name): model_admin
        for model, model_admin in admin.site._registry.items()
    }
    assert readable & registered.keys() >= {("people", "person"), ("accounts", "account")}
    for key in readable & registered.keys():
        assert isinstance(registered[key], SchoolScopedAdmin), key
