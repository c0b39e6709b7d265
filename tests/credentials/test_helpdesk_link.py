"""Issue 12 §2: the helpdesk sends a new activation or reset link, never a password.

Pending accounts get a welcome (activation), active ones a reset link; the
older links die; nothing readable rests in the database or the outbox; the
event names the purpose and the operator; a double click sends one message;
a secretariat cannot send; other states and missing emails are refused.
"""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from kleidi.accounts.services import disable_account
from kleidi.audit.models import AuditEvent
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.services import helpdesk as links
from kleidi.credentials.services.links import hash_token
from kleidi.notifications.models import OutboxMessage
from tests.audit import last_event, seen


def refused(excinfo) -> str:
    return excinfo.value.code


def outbox_since(pk: int) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(pk__gt=pk).order_by("pk"))


def last_message() -> int:
    return OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_i12_mask_email():
    assert links.mask_email("giorgos.papadopoulos@example.com") == "gi…@example.com"
    assert links.mask_email("a@example.com") == "a…@example.com"
    assert links.mask_email("") == "…"


def test_i12_pending_account_gets_a_new_activation_link(account, helpdesk):
    member = account("el24001")  # pending
    since, mail = last_event(), last_message()
    old = LinkToken.objects.create(
        account=member,
        purpose=LinkPurpose.ACTIVATION,
        token_hash=hash_token("old"),
        created_at=timezone.now() - dt.timedelta(hours=1),
        expires_at=timezone.now() + dt.timedelta(days=6),
    )
    outcome = links.send_link_for(member, actor=helpdesk, client_ip="192.0.2.9")
    assert (outcome.purpose, outcome.to, outcome.sent) == ("activation", "gi…@example.com", True)
    old.refresh_from_db()
    assert old.voided_at is not None
    (live,) = LinkToken.objects.filter(account=member, voided_at__isnull=True)
    assert live.purpose == LinkPurpose.ACTIVATION
    (message,) = outbox_since(mail)
    assert (message.template, message.to) == ("welcome", "giannis.georgiou@example.com")
    assert "el24001" in message.body_text
    (event,) = [seen(e) for e in AuditEvent.objects.filter(pk__gt=since)]
    assert event == {
        "action": "link.issued",
        "actor": "helpdesk",
        "actor_name": "helpdesk",
        "client_ip": "192.0.2.9",
        "target": "account:el24001",
        "school": "el",
        "details": {"purpose": "activation", "reason": "helpdesk", "to": "gi…@example.com"},
    }


def test_i12_active_account_gets_a_reset_link_and_no_token_rests(account, helpdesk):
    member = account("gpapadopoulos")
    mail = last_message()
    outcome = links.send_link_for(member, actor=helpdesk)
    assert (outcome.purpose, outcome.sent) == ("reset", True)
    (message,) = outbox_since(mail)
    assert message.template == "reset" and message.to == member.email
    (live,) = LinkToken.objects.filter(account=member, voided_at__isnull=True, used_at=None)
    # The outbox holds a sealed placeholder, never a usable token: no stored hash matches
    # any word of the message as it rests.
    words = set(message.body_text.replace("/", " ").split())
    assert not any(hash_token(word) == live.token_hash for word in words)
    event = AuditEvent.objects.filter(action="link.issued", target_id=str(member.pk)).get()
    assert "token" not in str(event.details) and live.token_hash not in str(event.details)


@pytest.mark.parametrize("username", ["el17007", "kbakogianni"])  # retired, expired
def test_i12_link_refused_for_retired_and_expired(account, helpdesk, username):
    member = account(username)
    before = AuditEvent.objects.count(), OutboxMessage.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        links.send_link_for(member, actor=helpdesk)
    assert refused(excinfo) == "link.state"
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == before


def test_i12_link_refused_for_disabled(account, helpdesk):
    member = account("gpapadopoulos")
    disable_account(member, actor=helpdesk, reason="phishing")
    with pytest.raises(ValidationError) as excinfo:
        links.send_link_for(member, actor=helpdesk)
    assert refused(excinfo) == "link.state"
    assert excinfo.value.params["state"] == "disabled"


def test_i12_link_refused_without_an_external_email(account, helpdesk):
    from kleidi.accounts.models import Account

    operator_without_person = Account.objects.get(username="helpdesk")
    operator_without_person.person = None
    operator_without_person.save(update_fields=["person"])
    with pytest.raises(ValidationError) as excinfo:
        links.send_link_for(operator_without_person, actor=helpdesk)
    assert refused(excinfo) == "link.no_email"


def test_r8_a_secretariat_cannot_send_links(account, secretariat):
    member = account("gpapadopoulos")  # its own school
    with pytest.raises(ValidationError) as excinfo:
        links.send_link_for(member, actor=secretariat)
    assert refused(excinfo) == "permission.school"
    with pytest.raises(ValidationError):
        links.send_link_for(member, actor=None)
    assert not LinkToken.objects.filter(account=member).exists()


def test_i12_double_click_sends_one_message(account, helpdesk):
    member = account("gpapadopoulos")
    mail = last_message()
    first = links.send_link_for(member, actor=helpdesk)
    second = links.send_link_for(member, actor=helpdesk)
    assert first.sent and not second.sent and second.at == first.at
    assert len(outbox_since(mail)) == 1
    assert AuditEvent.objects.filter(action="link.issued", target_id=str(member.pk)).count() == 1
    later = timezone.now() + dt.timedelta(seconds=links.COALESCE_SECONDS + 1)
    assert links.send_link_for(member, actor=helpdesk, now=later).sent
    assert len(outbox_since(mail)) == 2


@pytest.mark.django_db(transaction=True)
def test_i12_two_tabs_at_once_send_one_message_on_postgresql(demo, account):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    member, operator = account("gpapadopoulos"), account("helpdesk")
    barrier, outcomes = threading.Barrier(2), []

    def click():
        try:
            barrier.wait()
            outcomes.append(links.send_link_for(member, actor=operator).sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    assert OutboxMessage.objects.filter(account=member, template="reset").count() == 1


def test_i12_link_state_reads_in_the_language_it_is_shown_in(account, helpdesk):
    """The state's label is filled in when the message is shown, not when it is raised."""
    from django.utils import translation

    member = account("gpapadopoulos")
    disable_account(member, actor=helpdesk, reason="phishing")
    for raised, shown in (("el", "en"), ("en", "el")):
        with translation.override(raised), pytest.raises(ValidationError) as excinfo:
            links.send_link_for(member, actor=helpdesk)
        with translation.override(shown):
            text = " ".join(excinfo.value.messages)
        if shown == "en":
            assert "is disabled:" in text and "απενεργοποιημένος" not in text
        else:
            assert "«απενεργοποιημένος»" in text and "disabled" not in text
