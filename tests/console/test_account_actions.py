"""Issue 12 §2: the account page acts: disable, enable, a new link, retire, its timeline.

Every action is a POST through the account or credential service, audited,
for the helpdesk only; a secretariat reads its own school's pages; another
school's account is "not found"; no Save button anywhere on the page.
"""

import pytest

from kleidi.accounts.models import AccountState
from kleidi.audit.models import AuditEvent
from kleidi.credentials.models import LinkToken
from kleidi.notifications.models import OutboxMessage


def page(account) -> str:
    return f"/console/accounts/account/{account.pk}/change/"


def act(account, name: str) -> str:
    return f"/console/accounts/account/{account.pk}/{name}/"


def events(action, target):
    return list(AuditEvent.objects.filter(action=action, target_id=str(target.pk)))


@pytest.fixture
def operator(client, helpdesk):
    client.force_login(helpdesk)
    return client


def test_i12_account_page_has_no_save_button_and_shows_actions(operator, account):
    member = account("gpapadopoulos")
    html = operator.get(page(member)).content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert 'id="disable-form"' in html and 'id="enable-form"' not in html
    assert "gi…@example.com" in html
    assert 'type="password"' not in html


def test_i12_disable_and_enable_need_a_reason_and_are_audited(operator, account, helpdesk):
    member = account("gpapadopoulos")
    response = operator.post(act(member, "disable"), {"reason": "   "}, follow=True)
    assert "Γράψτε τον λόγο" in response.content.decode()
    member.refresh_from_db()
    assert member.state == AccountState.ACTIVE and not events("account.disabled", member)

    response = operator.post(act(member, "disable"), {"reason": "lost laptop"})
    assert response.status_code == 302 and response.url == page(member)
    member.refresh_from_db()
    assert member.state == AccountState.DISABLED
    (disabled,) = events("account.disabled", member)
    assert disabled.actor == helpdesk and disabled.details["reason"] == "lost laptop"

    html = operator.get(page(member)).content.decode()
    assert 'id="enable-form"' in html and "lost laptop" in html
    assert 'data-action="account.disabled"' in html

    assert operator.post(act(member, "enable"), {"reason": ""}).status_code == 302
    member.refresh_from_db()
    assert member.state == AccountState.DISABLED
    operator.post(act(member, "enable"), {"reason": "laptop found"})
    member.refresh_from_db()
    assert member.state == AccountState.ACTIVE
    (enabled,) = events("account.enabled", member)
    assert enabled.details == {"from": "disabled", "to": "active", "reason": "laptop found"}


def test_i12_send_link_to_an_active_account_is_a_reset_link(operator, account):
    member = account("gpapadopoulos")
    before = OutboxMessage.objects.count()
    response = operator.post(act(member, "send-link"), follow=True)
    assert "gi…@example.com" in response.content.decode()
    (message,) = OutboxMessage.objects.all()[: OutboxMessage.objects.count() - before]
    assert (message.template, message.to) == ("reset", "giorgos.papadopoulos@example.com")
    (issued,) = events("link.issued", member)
    assert issued.details == {"purpose": "reset", "reason": "helpdesk", "to": "gi…@example.com"}


def test_i12_send_link_refused_for_a_disabled_account(operator, account):
    member = account("el17007")  # retired
    response = operator.post(act(member, "send-link"), follow=True)
    assert "σύνδεσμος στέλνεται μόνο" in response.content.decode()
    assert not LinkToken.objects.filter(account=member).exists()


def test_i12_retire_asks_for_the_username_then_retires(operator, account, helpdesk):
    member = account("salexiou")
    confirm = operator.get(act(member, "retire"))
    assert confirm.status_code == 200 and 'id="retire-form"' in confirm.content.decode()
    wrong = operator.post(act(member, "retire"), {"reason": "left", "confirm_username": "x"})
    assert wrong.status_code == 200 and "salexiou" in wrong.content.decode()
    member.refresh_from_db()
    assert member.state == AccountState.ACTIVE
    blank = operator.post(act(member, "retire"), {"reason": "", "confirm_username": "salexiou"})
    assert "Γράψτε τον λόγο" in blank.content.decode()
    done = operator.post(
        act(member, "retire"), {"reason": "left the university", "confirm_username": "salexiou"}
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.state == AccountState.RETIRED
    (retired,) = events("account.retired", member)
    assert retired.actor == helpdesk and retired.details["reason"] == "left the university"


def test_i12_actions_are_post_only(operator, account):
    member = account("gpapadopoulos")
    for name in ("disable", "enable", "send-link"):
        assert operator.get(act(member, name)).status_code == 405
    assert operator.put(act(member, "retire")).status_code == 405


def test_r8_secretariat_reads_its_own_school_and_cannot_act(client, account, secretariat):
    client.force_login(secretariat)
    member = account("gpapadopoulos")
    html = client.get(page(member)).content.decode()
    assert "read-only" in html or "μόνο για ανάγνωση" in html
    assert 'id="disable-form"' not in html and 'name="_save"' not in html
    assert 'data-action="account.activated"' in html
    for name in ("disable", "enable", "send-link", "retire"):
        assert client.post(act(member, name), {"reason": "x"}).status_code == 403
    member.refresh_from_db()
    assert member.state == AccountState.ACTIVE
    assert not LinkToken.objects.filter(account=member, created_at__gt=member.created_at).exists()


def test_r8_another_schools_account_is_not_found(client, account, secretariat):
    client.force_login(secretariat)
    other = account("salexiou")  # school ch
    assert client.get(page(other)).status_code in (302, 404)
    for name in ("disable", "enable", "send-link", "retire"):
        assert client.post(act(other, name), {"reason": "x"}).status_code == 404
    assert client.get(act(other, "retire")).status_code == 404


def test_r8_csrf_is_checked(account, helpdesk):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(helpdesk)
    member = account("gpapadopoulos")
    assert strict.post(act(member, "disable"), {"reason": "x"}).status_code == 403
    member.refresh_from_db()
    assert member.state == AccountState.ACTIVE


def test_i12_list_has_no_bulk_state_actions(operator):
    html = operator.get("/console/accounts/account/").content.decode()
    assert 'value="disable"' not in html and 'value="retire"' not in html


def test_i12_timeline_in_greek_and_english(operator, account):
    member = account("gpapadopoulos")
    operator.post(act(member, "disable"), {"reason": "phishing"})
    greek = operator.get(page(member)).content.decode()
    assert "Απενεργοποίηση λογαριασμού" in greek and "ενεργός → απενεργοποιημένος" in greek
    assert "phishing" in greek and 'name="_save"' not in greek
    operator.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    english = operator.get(page(member)).content.decode()
    assert "Account disabled" in english and "active → disabled" in english
    assert "Timeline" in english and "Send a password reset link" not in english


def test_i12_a_double_click_disables_and_retires_once(operator, account):
    member = account("gpapadopoulos")
    for _ in range(2):
        assert operator.post(act(member, "disable"), {"reason": "phishing"}).status_code == 302
    assert len(events("account.disabled", member)) == 1
    form = {"reason": "left", "confirm_username": "gpapadopoulos"}
    for _ in range(2):
        assert operator.post(act(member, "retire"), form).status_code == 302
    assert len(events("account.retired", member)) == 1


def test_i12_a_double_click_on_enable_enables_once_with_no_error(operator, account):
    member = account("gpapadopoulos")
    operator.post(act(member, "disable"), {"reason": "phishing"})
    for _ in range(2):
        response = operator.post(act(member, "enable"), {"reason": "found it"}, follow=True)
        html = response.content.decode()
        assert "ενεργοποιήθηκε ξανά" in html
        assert "δεν μπορεί να περάσει" not in html
    assert len(events("account.enabled", member)) == 1
    member.refresh_from_db()
    assert member.state == AccountState.ACTIVE


def test_i12_the_operators_own_page_has_no_disable_nor_retire(operator, helpdesk):
    html = operator.get(page(helpdesk)).content.decode()
    assert 'id="own-account"' in html
    assert 'id="disable-form"' not in html and 'id="retire-link"' not in html
    response = operator.post(act(helpdesk, "disable"), {"reason": "oops"}, follow=True)
    assert "τον δικό σας λογαριασμό" in response.content.decode()
    form = {"reason": "oops", "confirm_username": helpdesk.username}
    response = operator.post(act(helpdesk, "retire"), form)
    assert "τον δικό σας λογαριασμό" in response.content.decode()
    helpdesk.refresh_from_db()
    assert helpdesk.state == AccountState.ACTIVE
    assert not events("account.disabled", helpdesk) and not events("account.retired", helpdesk)


def test_r2_i12_the_timeline_has_the_persons_events_too(operator, account, helpdesk):
    """A new external email is audited against the Person; the account's timeline shows it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kleidi.console.accounts import timeline
    from kleidi.people.services import update_person

    member = account("gpapadopoulos")
    update_person(member.person, {"external_email": "new@example.org"}, actor=helpdesk)
    operator.post(act(member, "disable"), {"reason": "phishing"})
    html = operator.get(page(member)).content.decode()
    assert 'data-action="data.changed"' in html and 'data-action="account.disabled"' in html
    assert "email εκτός ΕΜΠ" in html and "new@example.org" not in html
    with CaptureQueriesContext(connection) as queries:
        rows = timeline(member)
    assert len(queries) == 1
    assert [r["event"].action for r in rows][:2] == ["account.disabled", "data.changed"]
    # Another person's change is not on this account's timeline.
    other = account("salexiou")
    update_person(other.person, {"external_email": "other@example.org"}, actor=helpdesk)
    assert sum(r["event"].action == "data.changed" for r in timeline(member)) == 1
