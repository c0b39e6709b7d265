"""R6: a graduate's undergraduate account is retired for ever, audited, the member told by
email; with a grace period the affiliation graduates at once and a later run retires."""

import datetime as dt

import pytest
from django.utils import translation
from django.utils.formats import date_format

from kleidi.accounts.models import Account, AccountState
from kleidi.accounts.services import enable_account, reactivate_account
from kleidi.audit.models import AuditEvent
from kleidi.errors import CodedError
from kleidi.notifications.models import OutboxMessage
from kleidi.notifications.tasks import deliver_due
from kleidi.people.models import AffiliationStatus
from kleidi.registry.records import GRADUATED
from kleidi.registry.services import import_feed
from tests.credentials.conftest import delivered
from tests.registry.importing import feed, make_school, rec, students

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
ON = dt.date(2026, 11, 20)


@pytest.fixture
def school():
    school = make_school()
    import_feed(feed(students(3)), today=TODAY)
    deliver_due()  # the welcomes, so that a test reads back only the graduation email
    return school


def graduated_feed():
    return feed([rec(0, status=GRADUATED, status_date=ON), *students(2, 1)])


def test_r6_graduation_retires_the_account_audited(school):
    report = import_feed(graduated_feed(), today=TODAY)
    (row,) = [o for o in report.as_json()["outcomes"] if o["situation"] == "graduate"]
    assert row["username"] == "el18000"
    assert row["changes"]["status"] == {"before": "active", "after": "graduated"}
    assert row["changes"]["account"] == {"before": "pending", "after": "retired"}
    assert row["retire_on"] == ON.isoformat()
    account = Account.objects.select_related("affiliation").get(username="el18000")
    assert account.state == AccountState.RETIRED
    assert account.affiliation.status == AffiliationStatus.GRADUATED
    assert account.affiliation.end_date == ON
    retired = AuditEvent.objects.get(action="account.retired")
    assert retired.target_id == str(account.pk)
    assert retired.details == {"from": "pending", "to": "retired", "reason": "graduated"}
    assert AuditEvent.objects.filter(action="affiliation.graduated").count() == 1


def test_r6_the_graduate_is_told_by_email_what_stays_and_how_to_go_on(school):
    import_feed(graduated_feed(), today=TODAY)
    message = OutboxMessage.objects.get(template="graduated")
    assert message.to == "student0@example.com"
    sent = delivered(message)
    assert "el18000" in sent.subject
    assert "αποσύρθηκε οριστικά" in sent.body
    assert "has been retired for ever" in sent.body
    assert "never given to anyone else" in sent.body
    assert "δεν δίνεται ποτέ σε άλλο πρόσωπο" in sent.body
    assert "postgraduate account" in sent.body and "μεταπτυχιακού" in sent.body


def test_r6_retired_for_ever(school):
    import_feed(graduated_feed(), today=TODAY)
    account = Account.objects.get(username="el18000")
    with pytest.raises(CodedError) as refused:
        enable_account(account, actor=None)
    assert refused.value.error_list[0].code in {"account.retired", "account.transition"}
    with pytest.raises(CodedError):
        reactivate_account(account, expires_at=None, affiliation=None)
    account.refresh_from_db()
    assert account.state == AccountState.RETIRED


def test_r6_graduating_again_is_unchanged(school):
    import_feed(graduated_feed(), today=TODAY)
    report = import_feed(graduated_feed(), today=TODAY)
    assert report.as_json()["counts"]["unchanged"] == 3
    assert OutboxMessage.objects.filter(template="graduated").count() == 1


def test_r6_grace_period_retires_on_a_later_run(school, settings):
    settings.REGISTRY_GRADUATION_GRACE_DAYS = 30
    report = import_feed(graduated_feed(), today=TODAY)
    (row,) = [o for o in report.as_json()["outcomes"] if o["situation"] == "graduate"]
    retire_on = ON + dt.timedelta(days=30)
    assert row["retire_on"] == retire_on.isoformat()
    assert "account" not in row["changes"]
    account = Account.objects.select_related("affiliation").get(username="el18000")
    # R15 unblocked at once; the account still works until its day.
    assert account.affiliation.status == AffiliationStatus.GRADUATED
    assert account.state == AccountState.PENDING
    body = delivered(OutboxMessage.objects.get(template="graduated")).body
    with translation.override("el"):
        assert date_format(retire_on, "DATE_FORMAT") in body
    # The day before: still nothing to do.
    before = import_feed(graduated_feed(), today=retire_on - dt.timedelta(days=1))
    assert before.as_json()["counts"]["unchanged"] == 3
    # On the day: the run retires it, and sends no second email.
    later = import_feed(graduated_feed(), today=retire_on)
    (row,) = [o for o in later.as_json()["outcomes"] if o["situation"] == "graduate"]
    assert row["changes"] == {"account": {"before": "pending", "after": "retired"}}
    account.refresh_from_db()
    assert account.state == AccountState.RETIRED
    assert OutboxMessage.objects.filter(template="graduated").count() == 1
