"""The account service and the username policy (R5–R7, R11, R17, R20–R22, R29)."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from kleidi.accounts import services, usernames
from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.errors import codes_of
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Person
from tests.audit import seen

pytestmark = pytest.mark.django_db


def make_person(**fields) -> Person:
    defaults = {"surname": "Δοκιμαστικός", "given_name": "Νίκος", "external_email": "n@example.com"}
    return Person.objects.create(**{**defaults, **fields})


def codes(excinfo) -> list[str]:
    return codes_of(excinfo.value)


def english(excinfo) -> list[str]:
    """The messages as an English reader sees them, with their values filled in."""
    with translation.override("en"):
        return excinfo.value.messages


def test_r7_username_unique_case_insensitively_at_database_level():
    Account.objects.create(username="gpapadopoulos", kind=AccountKind.POSTGRADUATE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(username="GPapadopoulos", kind=AccountKind.POSTGRADUATE)


def test_r7_username_taken_for_ever_even_when_retired(demo, account):
    services.retire_account(account("gpapadopoulos"))
    with pytest.raises(ValidationError) as excinfo:
        services.create_account(username="GPAPADOPOULOS", kind=AccountKind.POSTGRADUATE)
    assert codes(excinfo) == ["username.taken"]
    with pytest.raises(ValidationError) as again:
        usernames.validate_new_username("gpapadopoulos", AccountKind.POSTGRADUATE)
    assert codes(again) == ["username.taken"]
    assert english(excinfo) == [
        "The username “gpapadopoulos” is already taken (usernames are never reused)."
    ]


def test_r7_accounts_are_never_deleted(demo, account):
    with pytest.raises(PermissionError):
        account("salexiou").delete()
    assert Account.objects.filter(username="salexiou").exists()


@pytest.mark.parametrize("name", ["ab", "1abc", "abc-def", "άλφα", "a" * 33, "ab c", ""])
def test_r7_username_syntax_refused(name):
    with pytest.raises(ValidationError) as excinfo:
        usernames.validate_new_username(name, AccountKind.POSTGRADUATE)
    assert codes(excinfo) == ["username.syntax"]
    assert english(excinfo) == [
        f"The username “{name}” is not valid: lowercase Latin letters and digits only, "
        "starting with a letter, 3–32 characters."
    ]


@pytest.mark.parametrize("name", ["abc", "gpapadopoulos", "a" * 32, "x2024"])
def test_r7_username_syntax_accepted(name):
    assert usernames.validate_new_username(name, AccountKind.POSTGRADUATE) == name


def test_r5_undergraduate_username_from_template():
    assert usernames.username_policy().undergraduate_username("el", "03118123") == "el18123"
    assert usernames.username_policy().undergraduate_username("ch", "05121042") == "ch21042"


def test_r5_r11_undergraduate_pattern_reserved_for_undergraduates():
    with pytest.raises(ValidationError) as excinfo:
        usernames.validate_new_username("el18123", AccountKind.POSTGRADUATE)
    assert codes(excinfo) == ["username.undergraduate_pattern"]
    assert "“el18123”" in english(excinfo)[0]
    with pytest.raises(ValidationError) as excinfo:
        usernames.validate_new_username("ch99001", AccountKind.PHD)
    assert codes(excinfo) == ["username.undergraduate_pattern"]
    assert usernames.validate_new_username("el18123", AccountKind.UNDERGRADUATE) == "el18123"


def test_r22_create_account_is_pending_and_audited(demo, account):
    person = make_person()
    expiry = services.end_of_day(dt.date(2030, 6, 30))
    created = services.create_account(
        username="ndokimastikos",
        kind=AccountKind.POSTGRADUATE,
        person=person,
        school=account("gpapadopoulos").school,
        expires_at=expiry,
        actor=account("grammateiael"),
        client_ip="192.0.2.7",
    )
    assert created.state == AccountState.PENDING
    assert not created.has_usable_password()
    event = AuditEvent.objects.get(action="account.created", target_id=str(created.pk))
    assert seen(event) == {
        "action": "account.created",
        "actor": "grammateiael",
        "actor_name": "grammateiael",
        "client_ip": "192.0.2.7",
        "target": "account:ndokimastikos",
        "school": "el",
        "details": {"kind": "postgraduate", "expires_at": "2030-07-01T00:00:00+03:00"},
    }


def test_r6_retired_is_final(demo, account):
    retired = account("el17007")
    for service in (services.activate_account, services.expire_account):
        with pytest.raises(ValidationError) as excinfo:
            service(retired)
        assert codes(excinfo) == ["account.retired"]
        assert english(excinfo) == [
            "Account “el17007” is retired for ever and cannot be activated again."
        ]
    with pytest.raises(ValidationError) as excinfo:
        services.enable_account(retired, actor=None)
    # Enabling is only for a disabled account, so a retired one fails the state check first.
    assert codes(excinfo) == ["account.transition"]
    assert english(excinfo) == ["Account “el17007” cannot go from “retired” to “active”."]
    with pytest.raises(ValidationError) as excinfo:
        services.reactivate_account(retired, expires_at=timezone.now() + dt.timedelta(days=30))
    assert codes(excinfo) == ["account.not_reactivatable"]
    assert english(excinfo) == ["Account “el17007” cannot be reactivated."]
    assert Account.objects.get(username="el17007").state == AccountState.RETIRED


def test_r22_every_transition_audited(demo, account):
    helpdesk = account("helpdesk")
    target = account("gpapadopoulos")
    before = AuditEvent.objects.count()
    address = "192.0.2.5"
    seeded = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    services.disable_account(target, actor=helpdesk, reason="lost laptop", client_ip=address)
    services.enable_account(target, actor=helpdesk, reason="found it", client_ip=address)
    services.expire_account(target)
    services.retire_account(target, actor=helpdesk, reason="left", client_ip=address)
    assert AuditEvent.objects.count() == before + 4
    events = AuditEvent.objects.filter(
        target_type="account", target_id=str(target.pk), pk__gt=seeded
    ).order_by("pk")
    by_helpdesk = {"actor": "helpdesk", "actor_name": "helpdesk", "client_ip": address}
    by_system = {"actor": None, "actor_name": "system", "client_ip": None}
    on_member = {"target": "account:gpapadopoulos", "school": "el"}
    assert [seen(e) for e in events] == [
        {
            "action": "account.disabled",
            **by_helpdesk,
            **on_member,
            "details": {"from": "active", "to": "disabled", "reason": "lost laptop"},
        },
        {
            "action": "account.enabled",
            **by_helpdesk,
            **on_member,
            "details": {"from": "disabled", "to": "active", "reason": "found it"},
        },
        {
            "action": "account.expired",
            **by_system,
            **on_member,
            "details": {"from": "active", "to": "expired"},
        },
        {
            "action": "account.retired",
            **by_helpdesk,
            **on_member,
            "details": {"from": "expired", "to": "retired", "reason": "left"},
        },
    ]


def test_r22_enabling_a_usable_account_writes_nothing(demo, account):
    """Issue 12 §2 (a double click on Enable): already usable, so nothing changes, no error."""
    target = account("salexiou")
    before = AuditEvent.objects.count()
    assert services.enable_account(target, actor=account("helpdesk")).state == "active"
    assert AuditEvent.objects.count() == before
    assert Account.objects.get(pk=target.pk).state == AccountState.ACTIVE


def test_r21_expired_counts_even_before_nightly_run(demo, account):
    target = account("salexiou")
    Account.objects.filter(pk=target.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    target.refresh_from_db()
    assert target.state == AccountState.ACTIVE
    assert target.effective_state == AccountState.EXPIRED
    assert not target.is_active
    assert services.expire_due_accounts() == ["salexiou"]
    target.refresh_from_db()
    assert target.state == AccountState.EXPIRED


def test_r21_reminders_sent_once_to_member_and_supervisor(demo, account):
    target = account("gpapadopoulos")
    today = services.local_today()
    Account.objects.filter(pk=target.pk).update(
        expires_at=services.end_of_day(today + dt.timedelta(days=30))
    )
    assert services.send_expiry_reminders(today=today) == [("gpapadopoulos", 30)]
    assert services.send_expiry_reminders(today=today) == []
    recipients = sorted(
        OutboxMessage.objects.filter(template__startswith="expiry").values_list("to", flat=True)
    )
    assert recipients == ["giorgos.papadopoulos@example.com", "supervisor@ece.ntua.gr"]
    with translation.override("el"):
        expiry = date_format(today + dt.timedelta(days=30), "DATE_FORMAT")
    for message in OutboxMessage.objects.filter(template__startswith="expiry"):
        assert message.account_id == target.pk
        assert "gpapadopoulos" in message.body_text
        assert f"λήγει στις {expiry}" in message.body_text


def test_r20_renewal_reenables_expired_and_tells_member(demo, account):
    target = account("kbakogianni")
    new_expiry = services.local_today() + dt.timedelta(days=365)
    old_expiry = target.expires_at
    services.renew_account(
        target, new_expiry=new_expiry, actor=account("grammateiael"), client_ip="192.0.2.8"
    )
    target.refresh_from_db()
    assert target.state == AccountState.ACTIVE
    assert target.expires_at == services.end_of_day(new_expiry)
    assert seen(AuditEvent.objects.get(action="account.renewed")) == {
        "action": "account.renewed",
        "actor": "grammateiael",
        "actor_name": "grammateiael",
        "client_ip": "192.0.2.8",
        "target": "account:kbakogianni",
        "school": "el",
        "details": {
            "from": "expired",
            "to": "active",
            "old_expiry": old_expiry.isoformat(),
            "new_expiry": services.end_of_day(new_expiry).isoformat(),
        },
    }
    message = OutboxMessage.objects.get(template="renewal")
    assert message.to == "katerina.bakogianni@example.com"
    assert "kbakogianni" in message.body_text


@pytest.mark.parametrize(
    ("username", "days", "code", "message"),
    [
        (
            "el21042",
            100,
            "account.not_renewable",
            "Account “el21042” is not a postgraduate or PhD account and cannot be renewed.",
        ),
        ("kbakogianni", 0, "date.past", "The date “{day}” must be in the future."),
        (
            "kbakogianni",
            3 * 365,
            "expiry.too_far",
            "The expiry date “{day}” is more than 2 years away.",
        ),
    ],
)
def test_r20_renewal_refusals(demo, account, username, days, code, message):
    day = services.local_today() + dt.timedelta(days=days)
    with pytest.raises(ValidationError) as excinfo:
        services.renew_account(account(username), new_expiry=day)
    assert codes(excinfo) == [code]
    assert english(excinfo) == [message.format(day=day.isoformat())]


@pytest.mark.parametrize("years", [1, 2])
def test_r20_renewal_limit_is_the_configured_years_to_the_day(demo, account, settings, years):
    settings.RENEWAL_MAX_YEARS = years
    today = services.local_today()
    limit = services.add_years(today, years)
    target = account("kbakogianni")
    services.check_renewal(target, limit, today=today)
    day_after = limit + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        services.check_renewal(target, day_after, today=today)
    assert english(excinfo) == [
        f"The expiry date “{day_after.isoformat()}” is more than {years} years away."
    ]


def test_r14_expiry_at_end_of_day_athens():
    moment = services.end_of_day(dt.date(2027, 6, 30))
    assert moment.isoformat() == "2027-07-01T00:00:00+03:00"
    assert services.end_of_day(dt.date(2027, 1, 15)).isoformat() == "2027-01-16T00:00:00+02:00"


def test_r17_reactivation_keeps_username_new_expiry_pending(demo, account):
    target = account("kbakogianni")
    expiry = services.end_of_day(services.local_today() + dt.timedelta(days=200))
    services.reactivate_account(target, expires_at=expiry, actor=account("grammateiael"))
    target.refresh_from_db()
    assert target.username == "kbakogianni"
    assert target.expires_at == expiry
    assert target.state == AccountState.PENDING
    assert not target.has_usable_password()
    assert seen(AuditEvent.objects.get(action="account.reactivated")) == {
        "action": "account.reactivated",
        "actor": "grammateiael",
        "actor_name": "grammateiael",
        "client_ip": None,
        "target": "account:kbakogianni",
        "school": "el",
        "details": {"from": "expired", "to": "pending", "expires_at": expiry.isoformat()},
    }


def test_r29_createsuperuser_makes_an_audited_helpdesk_operator():
    account = Account.objects.create_superuser("opskhy", "ocean river candle mountain")
    assert account.role == "helpdesk" and account.is_staff
    assert account.check_password("ocean river candle mountain")
    assert AuditEvent.objects.filter(action="account.created", target_id=str(account.pk)).exists()


def test_r8_permissions_follow_the_staff_role(demo, account):
    helpdesk, secretariat, member = (
        account("helpdesk"),
        account("grammateiael"),
        account("salexiou"),
    )
    assert helpdesk.has_perms(["accounts.view_account", "people.add_school"])
    assert secretariat.has_perm("accounts.view_account")
    assert secretariat.has_perm("people.add_school") is False
    assert member.has_perm("accounts.view_account") is False
    assert helpdesk.has_module_perms("people") and not member.has_module_perms("people")


def test_r21_the_nightly_command_expires_and_reminds(demo, account, capsys):
    today = services.local_today()
    Account.objects.filter(username="salexiou").update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    Account.objects.filter(username="gpapadopoulos").update(
        expires_at=services.end_of_day(today + dt.timedelta(days=30))
    )
    call_command("expire_accounts", "--format", "json")
    assert json.loads(capsys.readouterr().out) == {
        "expired": ["salexiou"],
        "reminded": [{"username": "gpapadopoulos", "days": 30}],
    }
    for text in ([], ["--format", "text"]):
        call_command("expire_accounts", *text)
        assert capsys.readouterr().out == "expired: 0\nreminders: 0\n"
    assert account("salexiou").state == AccountState.EXPIRED


@pytest.mark.django_db
def test_r26_changepassword_command_refuses_and_writes_nothing(demo, account):
    from django.core.management import CommandError, call_command

    from kleidi.errors import message

    before = account("gpapadopoulos").password
    with pytest.raises(CommandError) as refused:
        call_command("changepassword", "gpapadopoulos")
    assert refused.value.returncode == 2
    assert str(refused.value).splitlines() == [
        message("command.changepassword", language="en"),
        message("command.changepassword", language="el"),
    ]
    assert account("gpapadopoulos").password == before


def test_r20_a_29_february_expiry_moves_to_28_february():
    assert services.add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert services.add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


def test_r21_expire_accounts_refuses_an_unknown_format():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        call_command("expire_accounts", "--format", "xml")
