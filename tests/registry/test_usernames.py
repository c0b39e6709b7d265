"""R5, R7, R11: undergraduate usernames from the template, the registry's loginName when it
fits and is free, a documented deterministic next choice on a collision, record order within
a feed."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kleidi.accounts.models import AccountKind, AccountState
from kleidi.accounts.services import NewAccount, create_account_in_state
from kleidi.accounts.usernames import username_policy
from kleidi.people.services import create_person
from kleidi.registry import usernames
from kleidi.registry.services import import_feed, preview_feed
from tests.registry.importing import feed, make_school, number, rec

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def school():
    return make_school()


def existing(username: str, state: str = AccountState.RETIRED):
    person = create_person({"surname": "Άλλη", "given_name": "Ζωή"})
    create_account_in_state(
        NewAccount(username, AccountKind.UNDERGRADUATE, person=person), state=state
    )


def names(report) -> list[tuple[str, str]]:
    return [
        (o["registration_number"], o["username"] or o["errors"][0]["code"])
        for o in report.as_json()["outcomes"]
    ]


def test_r5_the_template_gives_prefix_and_last_digits(school):
    report = preview_feed(feed([rec(123)]), today=TODAY)
    assert names(report) == [(number(123), "el18123")]
    assert username_policy().is_undergraduate("el18123")


def test_r5_the_registry_login_name_is_used_when_it_fits_and_is_free(school):
    report = import_feed(feed([rec(1, login_name="el19999")]), today=TODAY)
    assert names(report) == [(number(1), "el19999")]


def test_r5_a_login_name_outside_the_undergraduate_pattern_is_not_used(school):
    report = preview_feed(feed([rec(1, login_name="gpapadopoulos")]), today=TODAY)
    assert names(report) == [(number(1), "el18001")]


def test_r5_a_taken_login_name_falls_back_to_the_template(school):
    existing("el19999", AccountState.ACTIVE)
    report = preview_feed(feed([rec(1, login_name="el19999")]), today=TODAY)
    assert names(report) == [(number(1), "el18001")]


def test_r7_a_retired_name_is_never_reused_the_next_choice_is_a_letter(school):
    existing("el18001")
    report = import_feed(feed([rec(1)]), today=TODAY)
    assert names(report) == [(number(1), "ela18001")]
    assert username_policy().is_undergraduate("ela18001")


def test_r5_the_letter_skips_another_schools_prefix(school):
    make_school("arch", "ela")
    existing("el18001")
    report = preview_feed(feed([rec(1)]), today=TODAY, schools=[school])
    assert names(report) == [(number(1), "elb18001")]


def test_r5_collisions_within_a_feed_resolve_in_record_order(school):
    # 03118001 and 03218001 both want el18001: the first record gets it.
    records = [rec(1), rec(2, registration_number="03218001")]
    report = import_feed(feed(records), today=TODAY)
    assert names(report) == [(number(1), "el18001"), ("03218001", "ela18001")]


def test_r5_a_fallback_never_takes_another_records_own_name(school):
    existing("el18001")
    # Record 2 asks for ela18001 by loginName; record 1's fallback moves on.
    records = [rec(1), rec(2, login_name="ela18001")]
    report = preview_feed(feed(records), today=TODAY)
    assert names(report) == [(number(1), "elb18001"), (number(2), "ela18001")]


def test_r5_more_digits_when_the_pattern_allows_them(school, settings):
    settings.UNDERGRADUATE_USERNAME_REGEX = r"^[a-z]{2,3}[0-9]{5,8}$"
    existing("el18001")
    report = preview_feed(feed([rec(1)]), today=TODAY)
    assert names(report) == [(number(1), "el118001")]


def test_r5_no_free_name_is_username_taken(school, settings):
    settings.UNDERGRADUATE_USERNAME_REGEX = r"^el[0-9]{5}$"
    existing("el18001")
    report = preview_feed(feed([rec(1)]), today=TODAY)
    (row,) = report.as_json()["outcomes"]
    assert row["situation"] == "error"
    assert [(e["field"], e["code"]) for e in row["errors"]] == [("loginName", "username.taken")]


def test_r5_a_number_too_short_for_the_pattern_is_no_username(school):
    report = preview_feed(feed([rec(1, registration_number="123")]), today=TODAY)
    (row,) = report.as_json()["outcomes"]
    assert [e["code"] for e in row["errors"]] == ["registry.no_username"]
    assert row["errors"][0]["params"]["registration_number"] == "123"


def test_r11_the_candidates_all_match_the_reserved_pattern():
    policy = username_policy()
    wanted = usernames.Wanted(1, "el", "03118123", "el11111")
    found = usernames.candidates(policy, wanted, frozenset({"elc"}))
    assert found[:3] == ["el11111", "el18123", "ela18123"]
    assert "elc18123" not in found
    assert all(policy.accepts(n, AccountKind.UNDERGRADUATE) for n in found)
    assert len(found) == len(set(found))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    numbers=st.lists(st.from_regex(r"0[0-9]{2}1[0-9]{4}", fullmatch=True), min_size=1, max_size=40),
    logins=st.lists(st.sampled_from(["", "el18001", "ela18001", "el1800", "ch18001"]), max_size=40),
)
def test_r5_r7_a_feeds_names_are_distinct_valid_and_the_same_every_time(db, numbers, logins):
    policy = username_policy()
    wanted = [
        usernames.Wanted(i, "el", n, logins[i] if i < len(logins) else "")
        for i, n in enumerate(numbers)
    ]
    first = usernames.assign(wanted, prefixes=["el", "ch", "elb"])
    again = usernames.assign(wanted, prefixes=["el", "ch", "elb"])
    assert first == again
    given_out = [n for n in first.values() if isinstance(n, str)]
    assert len(given_out) == len(set(given_out))
    assert all(policy.accepts(n, AccountKind.UNDERGRADUATE) for n in given_out)
    assert not any(n.startswith("elb") for n in given_out)
    # A record falls back only when another record holds its own template name.
    for w in wanted:
        name = first[w.key]
        own = policy.undergraduate_username("el", w.registration_number)
        if isinstance(name, str) and name not in (own, w.login_name):
            holders = [k for k, v in first.items() if v == own and k != w.key]
            assert holders, (w, name, own)
