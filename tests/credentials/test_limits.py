"""Rate limits that hold under bursts of concurrent requests (R23, R25, R27, §6).

Each burst is 50 (or 2 x 30) real HTTP requests released together from 50
threads against a real gunicorn (two processes of 25 threads): on a SQLite
file with the database cache in the SQLite pass, on PostgreSQL with Redis in
the PostgreSQL pass. Before the atomic counters, a burst of 40 sign-ins ran
39 guesses and two bursts of 30 resets queued 60 mails.
"""

import os
import secrets

import pytest
from django.test import Client

from kleidi.audit.models import AuditEvent
from kleidi.audit.services import pseudonym
from kleidi.notifications.models import OutboxMessage
from tests.conftest import require_service
from tests.credentials.conftest import EMAIL, STRONG
from tests.credentials.servers import Server

DATABASE_URL = os.environ.get("DATABASE_URL", "")
LIMITS = {
    "KLEIDI_LOGIN_RATE_PER_ACCOUNT": "10",
    "KLEIDI_LOGIN_RATE_PER_ADDRESS": "20",
    "KLEIDI_RESET_RATE_PER_ACCOUNT": "5",
    "KLEIDI_RESET_RATE_PER_ADDRESS": "20",
    "KLEIDI_STRENGTH_RATE_PER_ADDRESS": "10",
}


def _admin(sql: str) -> None:
    import psycopg

    base = DATABASE_URL.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _redis_url() -> str:
    import redis

    url = (
        os.environ.get("KLEIDI_TEST_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or "redis://127.0.0.1:6379/0"
    )
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        require_service(False, f"no Redis at {url}")
    return url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("burst")
    name = ""
    if DATABASE_URL.startswith("postgres"):
        redis_url = _redis_url()
        name = DATABASE_URL.rsplit("/", 1)[1] + "_burst"
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{name}"')
        url = DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    else:
        redis_url, url = "", f"sqlite:///{tmp / 'burst.sqlite3'}"
    running = Server(tmp, database_url=url, redis_url=redis_url, env=LIMITS)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        if name:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def addresses(count: int, *, same: bool = False) -> list[str]:
    """Client addresses no other test uses: `count` distinct ones, or one repeated."""
    prefix = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return [f"{prefix}.1"] * count if same else [f"{prefix}.{i + 1}" for i in range(count)]


@pytest.mark.slow
def test_r27_a_burst_of_50_sign_ins_checks_at_most_the_limit_of_passwords(server):
    """49 wrong guesses and the right password at once: at most 10 (+1) are verified."""
    bodies = [{"username": "gpapadopoulos", "password": f"guess number {i}"} for i in range(49)]
    bodies.append({"username": "gpapadopoulos", "password": STRONG})
    statuses = server.burst("/accounts/login/", bodies, addresses(50))
    assert set(statuses) <= {200, 302, 429}, statuses
    verified = statuses.count(200) + statuses.count(302)
    assert 9 <= verified <= 11, statuses
    failed = server.query(
        "SELECT count(*) FROM audit_auditevent WHERE action = %s AND target_repr = %s",
        ("login.failed", "gpapadopoulos"),
    )[0][0]
    assert failed == statuses.count(200)


@pytest.mark.slow
def test_r27_a_burst_from_one_address_stops_at_its_limit(server):
    bodies = [{"username": f"probe{i:03d}", "password": "whatever it is"} for i in range(50)]
    statuses = server.burst("/accounts/login/", bodies, addresses(50, same=True))
    assert 19 <= statuses.count(200) <= 21, statuses
    assert statuses.count(200) + statuses.count(429) == 50


@pytest.mark.slow
def test_r23_two_bursts_of_30_resets_queue_at_most_five_mails(server):
    body = {"username": "gpapadopoulos", "email": EMAIL}
    first = server.burst("/password/forgot/", [body] * 30, addresses(30))
    second = server.burst("/password/forgot/", [body] * 30, addresses(30))
    statuses = first + second
    assert set(statuses) <= {302, 429}, statuses
    assert 4 <= statuses.count(302) <= 6, statuses
    mails = server.query(
        'SELECT count(*) FROM notifications_outboxmessage WHERE template = %s AND "to" = %s',
        ("reset", EMAIL),
    )[0][0]
    assert mails == statuses.count(302)


@pytest.mark.slow
def test_r23_a_burst_from_one_address_stops_at_its_limit(server):
    bodies = [{"username": f"someone{i:03d}", "email": EMAIL} for i in range(50)]
    statuses = server.burst("/password/forgot/", bodies, addresses(50, same=True))
    assert 19 <= statuses.count(302) <= 21, statuses
    assert statuses.count(302) + statuses.count(429) == 50


@pytest.mark.slow
def test_r25_a_burst_of_50_strength_checks_stops_at_the_limit(server):
    bodies = [{"password": f"some password {i}"} for i in range(50)]
    statuses = server.burst("/password/strength/", bodies, addresses(50, same=True))
    assert 9 <= statuses.count(200) <= 11, statuses
    assert statuses.count(200) + statuses.count(429) == 50


# --------------------------------------------------------------------------
# Who a limit may block (in process: the same services, one request at a time)


def forgot(client, username="gpapadopoulos", email=EMAIL):
    return client.post("/password/forgot/", {"username": username, "email": email})


@pytest.mark.django_db
def test_r23_a_stranger_cannot_block_a_members_reset_with_wrong_emails(demo, settings):
    settings.RESET_RATE_PER_ACCOUNT = 5
    for i in range(12):
        stranger = Client(REMOTE_ADDR=f"192.0.2.{i + 1}")
        assert forgot(stranger, email=f"guess{i}@example.com").status_code == 302
    assert forgot(Client(REMOTE_ADDR="203.0.113.5")).status_code == 302
    assert OutboxMessage.objects.filter(template="reset", to=EMAIL).count() == 1


@pytest.mark.django_db
def test_r23_a_repeated_wrong_email_is_limited_exactly_like_the_right_one(demo, settings):
    """The per-account limit answers the same for a match and a mismatch: no email oracle."""
    settings.RESET_RATE_PER_ACCOUNT = 3
    right = [forgot(Client(REMOTE_ADDR=f"192.0.2.{i + 1}")).status_code for i in range(4)]
    wrong = [
        forgot(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), email="not.his@example.com").status_code
        for i in range(4)
    ]
    assert right == wrong == [302, 302, 302, 429]
    assert OutboxMessage.objects.filter(template="reset").count() == 3


@pytest.mark.django_db
def test_r27_a_right_sign_in_gives_its_count_back(client, demo, settings):
    """Only failures use up the limit: a member who signs in often is never locked out."""
    settings.LOGIN_RATE_PER_ACCOUNT = 3
    for _ in range(6):
        assert (
            client.post(
                "/accounts/login/", {"username": "gpapadopoulos", "password": STRONG}
            ).status_code
            == 302
        )
        client.post("/accounts/logout/")
    for _ in range(3):
        client.post("/accounts/login/", {"username": "gpapadopoulos", "password": "wrong one"})
    response = client.post("/accounts/login/", {"username": "gpapadopoulos", "password": STRONG})
    assert response.status_code == 429


@pytest.mark.django_db
def test_r23_rate_limited_audit_keeps_no_readable_username(demo, settings):
    settings.RESET_RATE_PER_ADDRESS = 1
    forgot(Client(), username="my secret words")
    forgot(Client(), username="my secret words")
    event = AuditEvent.objects.get(details__reason="rate_limited")
    assert event.details["username"] == pseudonym("my secret words")
    assert "secret" not in str(event.details)
