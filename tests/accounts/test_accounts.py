"""The account service and the username policy (R5–R7, R11, R17, R20–R22, R29)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kleidi.accounts import services, usernames
from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.audit.models import AuditEvent
from kleidi.errors import codes_of
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import Person

pytestmark = pytest.mark.django_db


def make_person(**fields) -> Person:
    defaults = {"surname": "Δοκιμαστικός", "given_name": "Νίκος", "external_email": "n@example.com"}
    return Person.objects.create(**{**defaults, **fields})


def codes(excinfo) -> list[str]:
    return codes_of(excinfo.value)


def test_r7_username_unique_case_insensitively_at_database_level():
    Account.objects.create(username="gpapadopoulos", kind=AccountKind.POSTGRADUATE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(username="GPapadopoulos", kind=AccountKind.POSTGRADUATE)


def test_r7_username_taken_for_ever_even_when_retired(demo, account):
    services.retire_account(account("gpapadopoulos"))
    with pytest.raises(Exception) as excinfo:
        services.create_account(username="GPAPADOPOULOS", kind=AccountKind.POSTGRADUATE)
    assert codes(excinfo) == ["username.taken"]


def test_r7_accounts_are_never_deleted(demo, account):
    with pytest.raises(PermissionError):
        account("salexiou").delete()
    assert Account.objects.filter(username="salexiou").exists()


@pytest.mark.parametrize("name", ["ab", "1abc", "abc-def", "άλφα", "a" * 33, "ab c", ""])
def test_r7_username_syntax_refused(name):
    with pytest.raises(Exception) as excinfo:
        usernames.validate_new_username(name, AccountKind.POSTGRADUATE)
    assert codes(excinfo) == ["username.syntax"]


@pytest.mark.parametrize("name", ["abc", "gpapadopoulos", "a" * 32, "x2024"])
def test_r7_username_syntax_accepted(name):
    assert usernames.validate_new_username(name, AccountKind.POSTGRADUATE) == name


def test_r5_undergraduate_username_from_template():
    assert usernames.undergraduate_username("el", "03118123") == "el18123"
    assert usernames.undergraduate_username("ch", "05121042") == "ch21042"


def test_r5_r11_undergraduate_pattern_reserved_for_undergraduates():
    with pytest.raises(Exception) as excinfo:
        usernames.validate_new_username("el18123", AccountKind.POSTGRADUATE)
    assert codes(excinfo) == ["username.undergraduate_pattern"]
    with pytest.raises(Exception) as excinfo:
        usernames.validate_new_username("ch99001", AccountKind.PHD)
    assert codes(excinfo) == ["username.undergraduate_pattern"]
    assert usernames.validate_new_username("el18123", AccountKind.UNDERGRADUATE) == "el18123"


def test_r22_create_account_is_pending_and_audited():
    person = make_person()
    account = services.create_account(
        username="ndokimastikos", kind=AccountKind.POSTGRADUATE, person=person
    )
    assert account.state == AccountState.PENDING
    assert not account.has_usable_password()
    event = AuditEvent.objects.get(action="account.created", target_id=str(account.pk))
    assert event.details["kind"] == "postgraduate"


def test_r6_retired_is_final(demo, account):
    retired = account("el17007")
    for service in (services.activate_account, services.expire_account):
        with pytest.raises(Exception) as excinfo:
            service(retired)
        assert codes(excinfo) == ["account.retired"]
    with pytest.raises(Exception) as excinfo:
        services.enable_account(retired, actor=None)
    assert codes(excinfo) == ["account.retired"] or codes(excinfo) == ["account.transition"]
    with pytest.raises(Exception) as excinfo:
        services.reactivate_account(retired, expires_at=timezone.now() + dt.timedelta(days=30))
    assert codes(excinfo) == ["account.not_reactivatable"]
    assert Account.objects.get(username="el17007").state == AccountState.RETIRED


def test_r22_every_transition_audited(demo, account):
    helpdesk = account("helpdesk")
    target = account("gpapadopoulos")
    before = AuditEvent.objects.count()
    seeded = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    services.disable_account(target, actor=helpdesk, reason="lost laptop")
    services.enable_account(target, actor=helpdesk)
    services.expire_account(target)
    services.retire_account(target, actor=helpdesk)
    events = list(
        AuditEvent.objects.filter(target_type="account", target_id=str(target.pk), pk__gt=seeded)
        .order_by("pk")
        .values_list("action", "details")
    )
    assert AuditEvent.objects.count() == before + 4
    assert [a for a, _ in events] == [
        "account.disabled",
        "account.enabled",
        "account.expired",
        "account.retired",
    ]
    assert events[0][1] == {"from": "active", "to": "disabled", "reason": "lost laptop"}
    assert events[1][1]["to"] == "active"


def test_r22_invalid_transition_refused_and_nothing_written(demo, account):
    target = account("salexiou")
    before = AuditEvent.objects.count()
    with pytest.raises(Exception) as excinfo:
        services.enable_account(target, actor=account("helpdesk"))
    assert codes(excinfo) == ["account.transition"]
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


def test_r20_renewal_reenables_expired_and_tells_member(demo, account):
    target = account("kbakogianni")
    new_expiry = services.local_today() + dt.timedelta(days=365)
    services.renew_account(target, new_expiry=new_expiry, actor=account("grammateiael"))
    target.refresh_from_db()
    assert target.state == AccountState.ACTIVE
    assert target.expires_at == services.end_of_day(new_expiry)
    message = OutboxMessage.objects.get(template="renewal")
    assert message.to == "katerina.bakogianni@example.com"
    assert "kbakogianni" in message.body_text


@pytest.mark.parametrize(
    ("username", "days", "code"),
    [
        ("el21042", 100, "account.not_renewable"),
        ("kbakogianni", 0, "date.past"),
        ("kbakogianni", 3 * 365, "expiry.too_far"),
    ],
)
def test_r20_renewal_refusals(demo, account, username, days, code):
    with pytest.raises(Exception) as excinfo:
        services.renew_account(
            account(username), new_expiry=services.local_today() + dt.timedelta(days=days)
        )
    assert codes(excinfo) == [code]


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
    assert AuditEvent.objects.filter(
        action="account.reactivated", target_id=str(target.pk)
    ).exists()


def test_r29_createsuperuser_makes_an_audited_helpdesk_operator():
    account = Account.objects.create_superuser("opskhy", "ocean river candle mountain")
    assert account.role == "helpdesk" and account.is_staff
    assert AuditEvent.objects.filter(action="account.created", target_id=str(account.pk)).exists()
