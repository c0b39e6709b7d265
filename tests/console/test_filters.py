"""The account list filters the dashboard links to (issue 12 §1, R21): exactly the counted rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kleidi.accounts.models import Account, AccountState

DAY = dt.timedelta(days=1)
LIST = "/console/accounts/account/"


def _set(username: str, **fields) -> None:
    Account.objects.filter(username=username).update(**fields)


def listed(client, **query) -> set[str]:
    response = client.get(LIST, query)
    assert response.status_code == 200
    return {a.username for a in response.context["cl"].queryset}


@pytest.fixture
def helpdesk_client(client, helpdesk):
    client.force_login(helpdesk)
    return client


def test_r21_effective_state_expired_includes_active_past_expiry(helpdesk_client, demo):
    _set("el21042", expires_at=timezone.now() - DAY)
    expired = listed(helpdesk_client, effective_state="expired")
    assert {"el21042", "kbakogianni"} <= expired
    assert "el21042" not in listed(helpdesk_client, effective_state="active")
    assert all(
        Account.objects.get(username=u).effective_state == AccountState.EXPIRED for u in expired
    )


def test_i12_expires_within_counts_only_usable_accounts_in_the_window(helpdesk_client, demo):
    now = timezone.now()
    _set("gpapadopoulos", expires_at=now + 6 * DAY)
    _set("salexiou", expires_at=now + 8 * DAY)
    _set("el21042", expires_at=now - DAY)  # already past: not "expiring"
    _set("kbakogianni", expires_at=now + 2 * DAY)  # expired state: not "expiring"
    assert listed(helpdesk_client, expires_within=7) == {"gpapadopoulos"}
    assert listed(helpdesk_client, expires_within=30) == {"gpapadopoulos", "salexiou"}


def test_i12_expires_in_month_uses_athens_months(helpdesk_client, demo):
    athens = timezone.get_default_timezone()
    # 31 May 2027 22:30 UTC is 1 June 01:30 in Athens: a June expiry.
    june_first = dt.datetime(2027, 6, 1, 1, 30, tzinfo=athens)
    may_last = dt.datetime(2027, 5, 31, 23, 30, tzinfo=athens)
    _set("gpapadopoulos", expires_at=june_first)
    _set("salexiou", expires_at=may_last)
    assert listed(helpdesk_client, expires_month="2027-06") == {"gpapadopoulos"}
    assert listed(helpdesk_client, expires_month="2027-05") == {"salexiou"}


def test_i12_an_unknown_filter_value_leaves_the_list_whole(helpdesk_client, demo):
    everyone = listed(helpdesk_client)
    for query in ({"expires_month": "2027-13"}, {"expires_within": "8"}, {"pending_over": "x"}):
        response = helpdesk_client.get(LIST, query)
        assert response.status_code == 200
        assert {a.username for a in response.context["cl"].queryset} == everyone


def test_i12_pending_over_skips_recent_and_past_expiry(helpdesk_client, demo):
    now = timezone.now()
    _set("el24001", state_changed_at=now - 8 * DAY)
    assert listed(helpdesk_client, state__exact="pending", pending_over=7) == {"el24001"}
    _set("el24001", state_changed_at=now - 6 * DAY)
    assert listed(helpdesk_client, pending_over=7) == set()
    _set("el24001", state_changed_at=now - 8 * DAY, expires_at=now - DAY)  # expired, in effect
    assert listed(helpdesk_client, pending_over=7) == set()


def test_r8_filters_keep_the_school_scope(client, secretariat, demo):
    now = timezone.now()
    _set("gpapadopoulos", expires_at=now + 3 * DAY)
    _set("salexiou", expires_at=now + 3 * DAY)  # school ch
    client.force_login(secretariat)
    assert listed(client, expires_within=7) == {"gpapadopoulos"}
