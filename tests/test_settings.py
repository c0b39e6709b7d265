"""Settings refuse bad values: start-up stops naming the variable (docs/configuration.md).

Each case imports kleidi.settings in a fresh interpreter with one variable
set, as a real start-up would.
"""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

READ = "import json, kleidi.settings as s; print(json.dumps({n: getattr(s, n) for n in %r}))"


def start(tmp_path, names=(), **variables):
    env = {**os.environ, "KLEIDI_VAR_DIR": str(tmp_path), **variables}
    for name in ("DATABASE_URL", "REDIS_URL", "BASE_URL", "ALLOWED_HOSTS"):
        if name not in variables:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", READ % (list(names),)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def refused(tmp_path, variable: str, value: str) -> str:
    result = start(tmp_path, **{variable: value})
    assert result.returncode != 0, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"kleidi.config.ConfigError: {variable}: "), result.stderr
    return last.split(f"{variable}: ", 1)[1]


def accepted(tmp_path, names, **variables) -> dict:
    result = start(tmp_path, names, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("30,x,7", "expected whole numbers separated by commas, got 'x'"),
        ("30,,7", "expected whole numbers separated by commas, got ''"),
        ("30,7.5", "expected whole numbers separated by commas, got '7.5'"),
        ("30,0", "each must be at least 1 and at most 366, got 0"),
        ("-7", "each must be at least 1 and at most 366, got -7"),
        ("400", "each must be at least 1 and at most 366, got 400"),
        ("30,7,30", "30 appears twice"),
    ],
)
def test_r21_bad_reminder_days_stop_startup(tmp_path, value, problem):
    assert refused(tmp_path, "KLEIDI_EXPIRY_REMINDER_DAYS", value) == problem


def test_r21_reminder_days_are_read_in_full(tmp_path):
    found = accepted(tmp_path, ["EXPIRY_REMINDER_DAYS"], KLEIDI_EXPIRY_REMINDER_DAYS=" 60, 14 ,1")
    assert found == {"EXPIRY_REMINDER_DAYS": [60, 14, 1]}
    assert accepted(tmp_path, ["EXPIRY_REMINDER_DAYS"]) == {"EXPIRY_REMINDER_DAYS": [30, 7]}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("kleidi.ntua.gr", "expected a URL starting with http:// or https://"),
        ("ftp://kleidi.ntua.gr", "expected a URL starting with http:// or https://"),
        ("https://", "'https://' has no host"),
        ("https:///portal", "'https:///portal' has no host"),
        ("https://kleidi.ntua.gr:99999", "'https://kleidi.ntua.gr:99999' has an invalid port"),
        ("https://kleidi.ntua.gr:https", "'https://kleidi.ntua.gr:https' has an invalid port"),
        ("https://kleidi.ntua.gr/?next=/", "must not have a ?query"),
        ("https://kleidi.ntua.gr/?", "must not have a ?query"),
        ("https://kleidi.ntua.gr/#top", "must not have a #fragment"),
        ("https://admin:pw@kleidi.ntua.gr", "must not hold a user name or password"),
    ],
)
def test_r24_bad_base_url_stops_startup(tmp_path, value, problem):
    assert refused(tmp_path, "BASE_URL", value) == problem


def test_r24_base_url_gives_the_links_host_and_origin(tmp_path):
    names = ["BASE_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"]
    found = accepted(tmp_path, names, BASE_URL="https://Kleidi.ntua.gr:8443/portal/")
    assert found == {
        "BASE_URL": "https://Kleidi.ntua.gr:8443/portal",
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "kleidi.ntua.gr"],
        "CSRF_TRUSTED_ORIGINS": ["https://Kleidi.ntua.gr:8443"],
    }
    found = accepted(tmp_path, ["ALLOWED_HOSTS"], BASE_URL="http://[::1]:8000")
    assert found == {"ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]"]}


def test_redis_url_over_a_unix_socket_is_accepted_and_one_without_path_refused(tmp_path):
    found = accepted(tmp_path, ["REDIS_URL"], REDIS_URL="unix:///run/redis/redis.sock?db=2")
    assert found == {"REDIS_URL": "unix:///run/redis/redis.sock?db=2"}
    assert refused(tmp_path, "REDIS_URL", "unix://") == "a unix:// URL needs the socket's path"
    assert refused(tmp_path, "REDIS_URL", "redis://") == "'redis://' has no host"


def test_r14_the_time_zone_has_one_source(settings):
    from django.utils import timezone

    from kleidi.accounts.services import end_of_day

    timezone.activate("UTC")  # a request's zone does not move the institution's day
    try:
        assert end_of_day(dt.date(2027, 9, 30)).isoformat() == "2027-10-01T00:00:00+03:00"
        settings.TIME_ZONE = "Asia/Tokyo"
        assert end_of_day(dt.date(2027, 9, 30)).isoformat() == "2027-10-01T00:00:00+09:00"
    finally:
        timezone.deactivate()


def test_r29_cut_lengths_come_from_the_model_fields(db):
    from kleidi.audit.models import AuditEvent
    from kleidi.audit.services import record
    from kleidi.people.services import create_person

    person = create_person({"surname": "Α" * 150, "given_name": "Β" * 150})
    event = record("data.changed", target=person)
    limit = AuditEvent._meta.get_field("target_repr").max_length
    assert event.target_repr == str(person)[:limit] and len(str(person)) > limit
    event.refresh_from_db()
    assert len(event.target_repr) == limit
