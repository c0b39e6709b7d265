"""Issue 12 §3: the console's Staff page, for the helpdesk only, through the staff services."""

from kleidi.accounts.models import Account, SecretariatMembership, StaffRole
from kleidi.audit.models import AuditEvent
from kleidi.people.models import School

STAFF = "/console/accounts/account/staff/"


def test_i12_staff_page_lists_staff_and_their_schools(client, helpdesk):
    client.force_login(helpdesk)
    response = client.get(STAFF)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-username="grammateiael"' in html and 'data-username="gpapadopoulos"' not in html
    assert 'type="password"' not in html
    listing = client.get("/console/accounts/account/").content.decode()
    assert STAFF in listing


def test_r8_only_the_helpdesk_reaches_the_staff_page(client, secretariat):
    client.force_login(secretariat)
    assert client.get(STAFF).status_code == 403
    form = {"account": "grammateiael", "school": School.objects.get(code="ch").pk}
    assert client.post(STAFF + "grant/", form).status_code == 403
    assert STAFF not in client.get("/console/accounts/account/").content.decode()


def test_i12_staff_page_creates_a_secretariat_and_grants_and_revokes(client, helpdesk):
    client.force_login(helpdesk)
    el = School.objects.get(code="el")
    ch = School.objects.get(code="ch")
    form = {
        "username": "grammateianew",
        "surname": "Νέα",
        "given_name": "Άννα",
        "email": "anna.nea@example.com",
        "school": el.pk,
    }
    assert client.post(STAFF + "create/", form).status_code == 302
    created = Account.objects.get(username="grammateianew")
    assert (created.role, created.state) == (StaffRole.SECRETARIAT, "pending")
    again = client.post(STAFF + "create/", form)
    assert again.status_code == 400 and "grammateianew" in again.content.decode()

    grant = {"account": "grammateianew", "school": ch.pk}
    assert client.post(STAFF + "grant/", grant).status_code == 302
    assert SecretariatMembership.objects.filter(account=created, school=ch).exists()
    twice = client.post(STAFF + "grant/", grant, follow=True).content.decode()
    assert "είναι ήδη γραμματεία" in twice
    client.post(STAFF + "revoke/", grant)
    assert not SecretariatMembership.objects.filter(account=created, school=ch).exists()

    assert client.post(STAFF + "helpdesk/", {"account": "grammateianew"}).status_code == 302
    assert Account.objects.get(pk=created.pk).role == StaffRole.HELPDESK
    client.post(STAFF + "revoke-role/", {"account": "grammateianew", "confirmed": "yes"})
    assert Account.objects.get(pk=created.pk).role == ""
    actions = AuditEvent.objects.filter(target_id=str(created.pk), actor=helpdesk)
    assert {"staff.role_granted", "membership.added", "membership.removed"} <= set(
        actions.values_list("action", flat=True)
    )
    assert actions.filter(action="staff.role_revoked").exists()


def test_i12_staff_forms_are_post_only(client, helpdesk):
    client.force_login(helpdesk)
    for name in ("create/", "grant/", "revoke/", "helpdesk/", "revoke-role/"):
        assert client.get(STAFF + name).status_code == 405


def test_r8_membership_form_offers_only_secretariat_accounts(client, helpdesk, account):
    client.force_login(helpdesk)
    member = account("gpapadopoulos")
    form = {"account": member.pk, "school": School.objects.get(code="el").pk}
    response = client.post("/console/accounts/secretariatmembership/add/", form)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not SecretariatMembership.objects.filter(account=member).exists()
    twice = {"account": account("grammateiael").pk, "school": form["school"]}
    response = client.post("/console/accounts/secretariatmembership/add/", twice)
    assert response.status_code == 200 and response.context["adminform"].form.errors


def test_i12_revoke_role_asks_for_a_confirmation_first(client, helpdesk, account):
    """One click on "Revoke role…" only shows what it means; the confirmation's POST revokes."""
    client.force_login(helpdesk)
    secretariat = account("grammateiael")
    since = AuditEvent.objects.count()
    response = client.post(STAFF + "revoke-role/", {"account": "grammateiael"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="revoke-role-form"' in html
    assert 'name="confirmed" value="yes"' in html and "δεν συνδέεται πια στην κονσόλα" in html
    assert Account.objects.get(pk=secretariat.pk).role == StaffRole.SECRETARIAT
    assert AuditEvent.objects.count() == since
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    english = client.post(STAFF + "revoke-role/", {"account": "grammateiael"}).content.decode()
    assert "no longer to the console" in english
    confirmed = {"account": "grammateiael", "confirmed": "yes"}
    assert client.post(STAFF + "revoke-role/", confirmed).status_code == 302
    assert Account.objects.get(pk=secretariat.pk).role == ""
    assert AuditEvent.objects.filter(
        action="staff.role_revoked", target_id=str(secretariat.pk)
    ).exists()
