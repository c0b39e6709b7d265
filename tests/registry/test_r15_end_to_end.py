"""R15 end to end: an undergraduate from the registry feed gets no postgraduate account through
a secretariat's sheet until the feed declares them graduated; then the same sheet applies, for
the same person, and the undergraduate account stays retired."""

import datetime as dt

import pytest

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.people.models import Person
from kleidi.registry.records import GRADUATED
from kleidi.registry.services import import_feed
from kleidi.sheets.apply import apply_table
from kleidi.sheets.reader import read_sheet
from tests.registry.importing import feed, make_school, rec
from tests.sheets.factories import errors_at, person_row, table, xlsx

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
NAMES = dict(surname="Ραφαηλίδου", given_name="Ελένη", father_name="Ιωάννης", mother_name="Μαρία")


def sheet() -> bytes:
    row = person_row(
        1,
        username="erafailidou",
        mobile="6970000000",
        external_email="student0@example.com",
        registration_number="03500777",
        **NAMES,
    )
    return xlsx(table([row]))


def test_r15_a_graduate_of_the_feed_then_gets_a_postgraduate_account_by_sheet():
    school = make_school()
    import_feed(feed([rec(0, **NAMES)]), today=TODAY)
    undergraduate = Account.objects.get(username="el18000")

    refused = apply_table(read_sheet(sheet()), school=school, kind="postgraduate")
    assert "person.not_graduated" in errors_at(refused, 2)
    assert not Account.objects.filter(kind=AccountKind.POSTGRADUATE).exists()

    import_feed(
        feed([rec(0, status=GRADUATED, status_date=dt.date(2026, 10, 15), **NAMES)]),
        today=TODAY,
    )
    applied = apply_table(read_sheet(sheet()), school=school, kind="postgraduate")
    assert applied.ok, applied.errors
    postgraduate = Account.objects.get(username="erafailidou")
    assert postgraduate.kind == AccountKind.POSTGRADUATE
    assert postgraduate.person_id == undergraduate.person_id
    assert Person.objects.count() == 1
    undergraduate.refresh_from_db()
    assert undergraduate.state == AccountState.RETIRED
    # The feed's next night leaves both as they are.
    again = import_feed(
        feed([rec(0, status=GRADUATED, status_date=dt.date(2026, 10, 15), **NAMES)]),
        today=TODAY,
    )
    assert again.as_json()["counts"]["unchanged"] == 1
