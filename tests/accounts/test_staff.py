"""Issue 12 §3: staff administration as services, each audited, each refusal coded."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kleidi.accounts import services
from kleidi.accounts.models import Account, AccountState, SecretariatMembership, StaffRole
from kleidi.audit.models import AuditEvent
from kleidi.notifications.models import OutboxMessage
from tests.audit import last_event


def code(excinfo) -> str:
    return excinfo.value.code


def actions_since(pk: int, target) -> list[tuple[str, dict]]:
    rows = AuditEvent.objects.filter(pk__gt=pk, target_id=str(target.pk), target_type="account")
    return [(e.action, e.details) for e in rows.order_by("pk")]


def test_i12_create_secretariat_is_pending_welcomed_and_audited(helpdesk, school_ch):
    since = last_event()
    account = services.create_secretariat(
        username="grammateiach2",
        surname="Δημητρίου",
        given_name="Ελένη",
        email="eleni.dimitriou@example.com",
        schools=[school_ch],
        actor=helpdesk,
        client_ip="192.0.2.1",
    )
    assert (account.state, account.role, account.kind) == ("pending", "secretariat", "staff")
    assert not account.has_usable_password()
    assert list(account.memberships.values_list("school__code", flat=True)) == ["ch"]
    welcome = OutboxMessage.objects.get(account=account)
    assert (welcome.template, welcome.to) == ("welcome", "eleni.dimitriou@example.com")
    actions = actions_since(since, account)
    assert [a for a, _ in actions] == [
        "account.created",
        "link.issued",
        "staff.role_granted",
        "membership.added",
    ]
    assert dict(actions)["account.created"]["role"] == "secretariat"
    assert dict(actions)["staff.role_granted"] == {"role": "secretariat", "before": ""}
    created = AuditEvent.objects.get(pk__gt=since, action="staff.role_granted")
    assert (created.actor, created.client_ip) == (helpdesk, "192.0.2.1")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": "someone@mail.ntua.gr"}, "email.institutional"),
        ({"email": ""}, "email.required"),
        ({"username": "grammateiael"}, "username.taken"),
        ({"username": "Bad Name"}, "username.syntax"),
        ({"surname": "  "}, "staff.name_required"),
    ],
)
def test_i12_create_secretariat_refusals_write_nothing(helpdesk, school_el, fields, expected):
    since = last_event()
    people = Account.objects.count()
    data = {
        "username": "newsecretary",
        "surname": "Νέα",
        "given_name": "Γραμματεία",
        "email": "new.secretary@example.com",
        **fields,
    }
    with pytest.raises(ValidationError) as excinfo:
        services.create_secretariat(**data, schools=[school_el], actor=helpdesk)
    assert code(excinfo) == expected
    assert Account.objects.count() == people
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


def test_i12_granting_twice_is_refused_and_revoking_what_is_not_there_too(
    account, helpdesk, school_el, school_ch
):
    secretariat = account("grammateiael")
    since = last_event()
    with pytest.raises(ValidationError) as excinfo:
        services.add_membership(secretariat, school_el, actor=helpdesk)
    assert code(excinfo) == "membership.exists"
    services.add_membership(secretariat, school_ch, actor=helpdesk)
    services.revoke_membership(secretariat, school_ch, actor=helpdesk)
    with pytest.raises(ValidationError) as excinfo:
        services.revoke_membership(secretariat, school_ch, actor=helpdesk)
    assert code(excinfo) == "membership.missing"
    assert actions_since(since, secretariat) == [
        ("membership.added", {"school": "ch"}),
        ("membership.removed", {"school": "ch"}),
    ]


def test_r8_only_a_secretariat_account_holds_memberships(account, helpdesk, school_el):
    for username in ("gpapadopoulos", "helpdesk"):
        with pytest.raises(ValidationError) as excinfo:
            services.add_membership(account(username), school_el, actor=helpdesk)
        assert code(excinfo) == "staff.not_secretariat"


def test_i12_make_helpdesk_drops_the_memberships_and_is_audited(account, helpdesk):
    secretariat = account("grammateiael")
    since = last_event()
    services.make_helpdesk(secretariat, actor=helpdesk)
    secretariat.refresh_from_db()
    assert secretariat.role == StaffRole.HELPDESK
    assert not SecretariatMembership.objects.filter(account=secretariat).exists()
    assert actions_since(since, secretariat) == [
        ("membership.removed", {"school": "el"}),
        ("staff.role_granted", {"role": "helpdesk", "before": "secretariat"}),
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.make_helpdesk(secretariat, actor=helpdesk)
    assert code(excinfo) == "staff.role_exists"


def test_i12_make_helpdesk_refuses_a_members_account(account, helpdesk):
    with pytest.raises(ValidationError) as excinfo:
        services.make_helpdesk(account("gpapadopoulos"), actor=helpdesk)
    assert code(excinfo) == "staff.not_staff_account"


def test_i12_revoke_role_ends_console_access_and_is_audited(account, helpdesk):
    secretariat = account("grammateiach")
    since = last_event()
    services.revoke_role(secretariat, actor=helpdesk)
    secretariat = Account.objects.get(pk=secretariat.pk)
    assert secretariat.role == "" and not secretariat.is_staff
    assert secretariat.state == AccountState.ACTIVE
    assert actions_since(since, secretariat) == [
        ("membership.removed", {"school": "ch"}),
        ("staff.role_revoked", {"role": "secretariat"}),
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.revoke_role(secretariat, actor=helpdesk)
    assert code(excinfo) == "staff.no_role"


def test_i12_nobody_revokes_their_own_role_nor_the_last_helpdesk(account, helpdesk):
    with pytest.raises(ValidationError) as excinfo:
        services.revoke_role(helpdesk, actor=helpdesk)
    assert code(excinfo) == "staff.self"
    with pytest.raises(ValidationError) as excinfo:
        services.revoke_role(helpdesk, actor=None)
    assert code(excinfo) == "staff.last_helpdesk"
    services.make_helpdesk(account("grammateiael"), actor=helpdesk)
    services.revoke_role(helpdesk, actor=account("grammateiael"))
    assert Account.objects.get(pk=helpdesk.pk).role == ""


def test_i12_the_demo_secretariat_role_is_in_its_created_event(account):
    secretariat = account("grammateiael")
    created = AuditEvent.objects.get(action="account.created", target_id=str(secretariat.pk))
    assert created.details["role"] == "secretariat"


def test_i12_nobody_disables_or_retires_their_own_account_nor_the_last_helpdesk(helpdesk):
    for service in (services.disable_account, services.retire_account):
        with pytest.raises(ValidationError) as excinfo:
            service(helpdesk, actor=helpdesk, reason="by mistake")
        assert code(excinfo) == "account.self"
        with pytest.raises(ValidationError) as excinfo:
            service(helpdesk, actor=None)
        assert code(excinfo) == "staff.last_helpdesk"
    assert Account.objects.get(pk=helpdesk.pk).state == AccountState.ACTIVE


def test_i12_another_operator_may_disable_a_helpdesk_account(account, helpdesk):
    other = services.make_helpdesk(account("grammateiael"), actor=helpdesk)
    services.disable_account(helpdesk, actor=other, reason="left the team")
    assert Account.objects.get(pk=helpdesk.pk).state == AccountState.DISABLED
    # The one left is now the last active operator.
    with pytest.raises(ValidationError) as excinfo:
        services.retire_account(other, actor=None)
    assert code(excinfo) == "staff.last_helpdesk"


def test_i12_granting_secretariat_to_an_operator_is_checked_as_a_revoke(account, helpdesk):
    with pytest.raises(ValidationError) as excinfo:
        services.grant_role(helpdesk, StaffRole.SECRETARIAT, actor=helpdesk)
    assert code(excinfo) == "staff.self"
    with pytest.raises(ValidationError) as excinfo:
        services.grant_role(helpdesk, StaffRole.SECRETARIAT, actor=None)
    assert code(excinfo) == "staff.last_helpdesk"
    assert Account.objects.get(pk=helpdesk.pk).role == StaffRole.HELPDESK
    with pytest.raises(ValidationError) as excinfo:
        services.grant_role(helpdesk, StaffRole.HELPDESK, actor=None)
    assert code(excinfo) == "staff.role_exists"
    other = services.make_helpdesk(account("grammateiael"), actor=helpdesk)
    services.grant_role(helpdesk, StaffRole.SECRETARIAT, actor=other)
    assert Account.objects.get(pk=helpdesk.pk).role == StaffRole.SECRETARIAT


@pytest.mark.django_db(transaction=True)
def test_i12_two_operators_disabling_each_other_at_once_leave_one_on_postgresql(demo, account):
    """The operators' rows are locked in one order: one wins, the other is the last one."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    first = account("helpdesk")
    second = services.make_helpdesk(account("grammateiael"), actor=first)
    barrier, outcomes = threading.Barrier(2), []

    def click(actor, target):
        try:
            barrier.wait()
            services.disable_account(target, actor=actor, reason="tab")
            outcomes.append("disabled")
        except ValidationError as exc:
            outcomes.append(exc.error_list[0].code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=click, args=(first, second)),
        threading.Thread(target=click, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["disabled", "staff.last_helpdesk"]
    states = set(
        Account.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
    )
    assert states == {AccountState.ACTIVE, AccountState.DISABLED}


@pytest.mark.parametrize("language", ["el", "en"])
def test_i12_staff_refusals_name_fields_and_roles_in_the_readers_language(
    helpdesk, school_el, language
):
    from django.utils import translation

    with translation.override("en" if language == "el" else "el"):  # raised in the other one
        with pytest.raises(ValidationError) as empty:
            services.create_secretariat(
                username="newsecretary",
                surname=" ",
                given_name="Γραμματεία",
                email="new.secretary@example.com",
                schools=[school_el],
                actor=helpdesk,
            )
        with pytest.raises(ValidationError) as too_long:
            services.create_secretariat(
                username="newsecretary",
                surname="Νέα",
                given_name="Γ" * 101,
                email="new.secretary@example.com",
                schools=[school_el],
                actor=helpdesk,
            )
        with pytest.raises(ValidationError) as exists:
            services.make_helpdesk(helpdesk, actor=None)
    assert empty.value.params["field"] == "surname"  # the machine name stays, for the CLI's JSON
    with translation.override(language):
        texts = [" ".join(e.value.messages) for e in (empty, too_long, exists)]
    if language == "el":
        assert texts[0] == "Το πεδίο «επώνυμο» είναι υποχρεωτικό."
        assert texts[1].startswith("Το πεδίο «όνομα» μπορεί")
        assert texts[2].endswith("έχει ήδη τον ρόλο «χειριστής helpdesk».")
    else:
        assert texts[0] == "The field “surname” is required."
        assert texts[1].startswith("The field “given name” may")
        assert texts[2].endswith("already has the role “helpdesk operator”.")
