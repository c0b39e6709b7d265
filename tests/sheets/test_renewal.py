"""R20: renewal sheets (username, new expiry), against the demo accounts."""

import datetime as dt

import pytest

from kleidi.accounts.models import AccountState
from kleidi.accounts.services import end_of_day, local_today
from kleidi.notifications.models import OutboxMessage
from kleidi.sheets.apply import apply_table
from kleidi.sheets.reader import read_sheet
from kleidi.sheets.services import validate_content
from tests.sheets.factories import errors_at, future, outcome, renewal

pytestmark = pytest.mark.django_db


def check(rows, school):
    return validate_content(renewal(rows), school=school, kind="renewal")


def test_r20_renewal_of_a_postgraduate_of_the_school(school_el):
    result = check([("gpapadopoulos", future(300))], school_el)
    assert result.ok, result.errors
    assert outcome(result, 2) == "renew"


def test_r20_unknown_username(school_el):
    assert errors_at(check([("nobodyhere", future())], school_el), 2, "username") == [
        "username.unknown"
    ]


def test_r20_renewing_el17007_is_refused(school_el):
    result = check([("el17007", future())], school_el)
    assert errors_at(result, 2, "username") == ["account.not_renewable"]


def test_r20_grammateiael_renewing_salexiou_is_refused(school_el):
    # salexiou is a postgraduate of school ch; an upload for school el cannot touch it.
    result = check([("salexiou", future())], school_el)
    assert errors_at(result, 2, "username") == ["permission.school"]


def test_r20_helpdesk_renews_salexiou_for_school_ch(school_ch):
    assert check([("salexiou", future())], school_ch).ok


def test_r20_date_in_the_past_and_too_far(school_el):
    result = check([("gpapadopoulos", local_today())], school_el)
    assert errors_at(result, 2, "expiry_date") == ["date.past"]
    result = check([("gpapadopoulos", future(365 * 2 + 5))], school_el)
    assert errors_at(result, 2, "expiry_date") == ["expiry.too_far"]


def test_r20_cap_is_a_setting(school_el, settings):
    settings.RENEWAL_MAX_YEARS = 3
    assert check([("gpapadopoulos", future(365 * 2 + 5))], school_el).ok


def test_r20_date_as_text_and_invalid(school_el):
    day = future(100)
    assert check([("gpapadopoulos", day.strftime("%d/%m/%Y"))], school_el).ok
    assert errors_at(check([("gpapadopoulos", "soon")], school_el), 2, "expiry_date") == [
        "date.invalid"
    ]


def test_r18_renewal_duplicate_username_marks_both_rows(school_el):
    result = check([("gpapadopoulos", future(100)), ("gpapadopoulos", future(200))], school_el)
    assert errors_at(result, 2, "username") == ["row.duplicate"]
    assert errors_at(result, 3, "username") == ["row.duplicate"]


def test_r20_renewing_an_expired_account_reenables_it_and_tells_the_member(
    school_el, secretariat, account
):
    day = future(200)
    before = OutboxMessage.objects.filter(template="renewal").count()
    result = apply_table(
        read_sheet(renewal([("kbakogianni", day)])),
        school=school_el,
        kind="renewal",
        actor=secretariat,
    )
    assert result.ok, result.errors
    renewed = account("kbakogianni")
    assert renewed.state == AccountState.ACTIVE
    assert renewed.expires_at == end_of_day(day)
    assert OutboxMessage.objects.filter(template="renewal").count() == before + 1
    again = apply_table(
        read_sheet(renewal([("kbakogianni", day)])),
        school=school_el,
        kind="renewal",
        actor=secretariat,
    )
    assert [o["action"] for o in again.outcomes] == ["unchanged"]
    assert OutboxMessage.objects.filter(template="renewal").count() == before + 1


def test_r20_headers_in_english(school_el):
    from tests.sheets.factories import xlsx

    data = xlsx(
        [
            ["Username", "Expiry date"],
            ["gpapadopoulos", dt.date.today().replace(year=dt.date.today().year + 1, day=1)],
        ]
    )
    assert validate_content(data, school=school_el, kind="renewal").ok
