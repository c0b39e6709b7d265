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
    for name in [name for name in env if name.startswith("KLEIDI_LDAP_")]:
        if name not in variables:
            env.pop(name)
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


def refused_naming(tmp_path, variable: str, **variables) -> str:
    """Start-up with these variables stops, naming `variable`; the problem it gives."""
    result = start(tmp_path, **variables)
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


# -- R28: the directory's settings (docs/configuration.md) ---------------------------

LDAP_NAMES = [
    "LDAP_ENABLED",
    "LDAP_URLS",
    "LDAP_START_TLS",
    "LDAP_CA_FILE",
    "LDAP_BIND_DN",
    "LDAP_BIND_PASSWORD_FILE",
    "LDAP_BASE_DN",
    "LDAP_CONNECT_TIMEOUT",
    "LDAP_TIMEOUT",
]


def password_file(tmp_path, mode=0o600):
    path = tmp_path / "ldap.password"
    path.write_text("secret\n", encoding="utf-8")
    path.chmod(mode)
    return str(path)


def test_r28_the_directory_is_off_by_default(tmp_path):
    found = accepted(tmp_path, ["LDAP_ENABLED", "LDAP_URLS"])
    assert found == {"LDAP_ENABLED": False, "LDAP_URLS": []}


def test_r28_failover_urls_and_the_password_file_are_read(tmp_path):
    found = accepted(
        tmp_path,
        LDAP_NAMES,
        KLEIDI_LDAP_URL=" ldaps://ldap1.ntua.gr , ldaps://ldap2.ntua.gr:1636/ ",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
        KLEIDI_LDAP_CONNECT_TIMEOUT="3",
    )
    assert found["LDAP_ENABLED"] is True
    assert found["LDAP_URLS"] == ["ldaps://ldap1.ntua.gr", "ldaps://ldap2.ntua.gr:1636"]
    assert found["LDAP_CONNECT_TIMEOUT"] == 3
    assert found["LDAP_BASE_DN"] == "ou=people,dc=ntua,dc=gr"


def test_r28_a_bind_password_in_the_environment_stops_startup(tmp_path):
    problem = refused_naming(
        tmp_path, "KLEIDI_LDAP_BIND_PASSWORD", KLEIDI_LDAP_BIND_PASSWORD="hunter2hunter2"
    )
    assert problem == "the bind password is read from a file: set KLEIDI_LDAP_BIND_PASSWORD_FILE"
    # Even with the directory off: the variable should not exist at all.
    result = start(tmp_path, KLEIDI_LDAP_BIND_PASSWORD="hunter2hunter2")
    assert "hunter2hunter2" not in result.stderr + result.stdout


def test_r28_a_missing_or_unreadable_password_file_stops_startup(tmp_path):
    url = "ldaps://ldap.ntua.gr"
    problem = refused_naming(tmp_path, "KLEIDI_LDAP_BIND_PASSWORD_FILE", KLEIDI_LDAP_URL=url)
    assert problem == "required when KLEIDI_LDAP_URL is set"
    absent = str(tmp_path / "absent")
    problem = refused_naming(
        tmp_path,
        "KLEIDI_LDAP_BIND_PASSWORD_FILE",
        KLEIDI_LDAP_URL=url,
        KLEIDI_LDAP_BIND_PASSWORD_FILE=absent,
    )
    assert problem == f"cannot read {absent}"
    problem = refused_naming(
        tmp_path,
        "KLEIDI_LDAP_BIND_PASSWORD_FILE",
        KLEIDI_LDAP_URL=url,
        KLEIDI_LDAP_BIND_PASSWORD_FILE=str(tmp_path),
    )
    assert problem == f"cannot read {tmp_path}"


def test_r28_a_password_file_other_users_may_read_stops_startup(tmp_path):
    path = password_file(tmp_path, mode=0o644)
    problem = refused_naming(
        tmp_path,
        "KLEIDI_LDAP_BIND_PASSWORD_FILE",
        KLEIDI_LDAP_URL="ldaps://ldap.ntua.gr",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=path,
    )
    assert problem == f"{path} is open to other users: chmod 0600 (or 0640 for a group)"
    found = accepted(
        tmp_path,
        ["LDAP_ENABLED"],
        KLEIDI_LDAP_URL="ldaps://ldap.ntua.gr",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path, mode=0o640),
    )
    assert found == {"LDAP_ENABLED": True}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ldap.ntua.gr", "'ldap.ntua.gr': expected ldap:// or ldaps://"),
        ("https://ldap.ntua.gr", "'https://ldap.ntua.gr': expected ldap:// or ldaps://"),
        ("ldapi:///run/slapd", "'ldapi:///run/slapd': expected ldap:// or ldaps://"),
        ("ldaps://", "'ldaps://' has no host"),
        ("ldaps://ldap.ntua.gr:99999", "'ldaps://ldap.ntua.gr:99999' has an invalid port"),
        (
            "ldaps://kleidi:pw@ldap.ntua.gr",
            "'ldaps://kleidi:pw@ldap.ntua.gr': no credentials in the URL (use the password file)",
        ),
        (
            "ldaps://ldap.ntua.gr/ou=people",
            "'ldaps://ldap.ntua.gr/ou=people': only scheme, host and port",
        ),
        ("ldaps://a.ntua.gr,ldaps://a.ntua.gr/", "ldaps://a.ntua.gr appears twice"),
    ],
)
def test_r28_bad_directory_urls_stop_startup(tmp_path, value, problem):
    assert refused(tmp_path, "KLEIDI_LDAP_URL", value) == problem


def test_r28_starttls_with_ldaps_stops_startup(tmp_path):
    problem = refused_naming(
        tmp_path,
        "KLEIDI_LDAP_START_TLS",
        KLEIDI_LDAP_URL="ldap://ldap1.ntua.gr,ldaps://ldap2.ntua.gr",
        KLEIDI_LDAP_START_TLS="true",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
    )
    assert problem == "StartTLS is for ldap:// URLs, not ldaps://"
    found = accepted(
        tmp_path,
        ["LDAP_START_TLS"],
        KLEIDI_LDAP_URL="ldap://ldap1.ntua.gr",
        KLEIDI_LDAP_START_TLS="true",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
    )
    assert found == {"LDAP_START_TLS": True}


def test_r28_an_unreadable_ca_file_stops_startup(tmp_path):
    absent = str(tmp_path / "ca.pem")
    problem = refused_naming(
        tmp_path,
        "KLEIDI_LDAP_CA_FILE",
        KLEIDI_LDAP_URL="ldaps://ldap.ntua.gr",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
        KLEIDI_LDAP_CA_FILE=absent,
    )
    assert problem == f"cannot read {absent}"


@pytest.mark.parametrize("variable", ["KLEIDI_LDAP_BIND_DN", "KLEIDI_LDAP_BASE_DN"])
def test_r28_a_dn_that_does_not_parse_stops_startup(tmp_path, variable):
    problem = refused_naming(
        tmp_path,
        variable,
        KLEIDI_LDAP_URL="ldaps://ldap.ntua.gr",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
        **{variable: "people at ntua"},
    )
    assert problem == "'people at ntua' is not a distinguished name (e.g. ou=people,dc=ntua,dc=gr)"


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("KLEIDI_LDAP_CONNECT_TIMEOUT", "0", "must be at least 1"),
        ("KLEIDI_LDAP_TIMEOUT", "x", "expected a whole number"),
    ],
)
def test_r28_bad_directory_timeouts_stop_startup(tmp_path, variable, value, problem):
    assert problem in refused(tmp_path, variable, value)


def test_r28_demo_commands_use_the_running_demo_directory_only(tmp_path):
    """`kleidi --demo ...` reads demo-directory/settings.json while its slapd's pid is alive."""
    state_dir = tmp_path / "demo-directory"
    state_dir.mkdir()
    state = {
        "url": "ldap://127.0.0.1:3890",
        "bind_dn": "cn=kleidi,ou=services,dc=ntua,dc=gr",
        "password_file": password_file(tmp_path),
        "base_dn": "ou=people,dc=ntua,dc=gr",
        "pid": os.getpid(),  # alive, but pytest, not slapd
    }
    (state_dir / "settings.json").write_text(json.dumps(state), encoding="utf-8")
    names = ["LDAP_ENABLED", "DEMO_DIRECTORY"]
    off = {"LDAP_ENABLED": False, "DEMO_DIRECTORY": False}
    assert accepted(tmp_path, names, KLEIDI_DEMO="true") == off
    assert accepted(tmp_path, names) == off


def test_r28_an_unencrypted_directory_off_this_host_stops_startup(tmp_path):
    """The bind password and members' new passwords would cross the network in clear."""
    problem = refused_naming(
        tmp_path,
        "KLEIDI_LDAP_URL",
        KLEIDI_LDAP_URL="ldaps://ldap1.ntua.gr,ldap://ldap2.ntua.gr",
        KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
    )
    assert problem == (
        "ldap://ldap2.ntua.gr is not on this host and would be unencrypted: use ldaps:// "
        "or KLEIDI_LDAP_START_TLS=true"
    )
    for url in ("ldap://127.0.0.1:3890", "ldap://localhost", "ldap://[::1]:389"):
        found = accepted(
            tmp_path,
            ["LDAP_URLS"],
            KLEIDI_LDAP_URL=url,
            KLEIDI_LDAP_BIND_PASSWORD_FILE=password_file(tmp_path),
        )
        assert found == {"LDAP_URLS": [url]}
