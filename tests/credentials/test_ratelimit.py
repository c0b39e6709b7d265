"""Rate limits at their exact boundary on each store of counters (R23, R25, R27).

The counters live in Redis when the cache is Redis, else in the RateCounter
table (behind the database cache and behind a local-memory cache alike).
Each test runs on all three, one request at a time, with the configured
limits: `limit` events pass, the next is refused. The real Redis comes from
KLEIDI_TEST_REDIS_URL (see docs/testing.md); the keys carry a fresh prefix
and are deleted after the test, nothing is flushed.
"""

import datetime as dt
import secrets
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from kleidi.audit.models import AuditEvent
from kleidi.audit.services import pseudonym
from kleidi.credentials import ratelimit
from kleidi.credentials.models import RateCounter
from kleidi.notifications.models import OutboxMessage
from tests.credentials.conftest import EMAIL
from tests.credentials.test_limits import _redis_url

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "locmem", "redis"])
def store(request, settings):
    """The cache configuration whose counters the test exercises."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    elif request.param == "redis":
        prefix = f"kleidi-test-{secrets.token_hex(6)}"
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": _redis_url(),
                "KEY_PREFIX": prefix,
            }
        }
        yield request.param
        client = caches["default"]._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        return
    yield request.param


def counted_in_table(store: str) -> bool:
    """Where the counters went: the table on every store but Redis."""
    return RateCounter.objects.exists() is (store != "redis")


def aligned(window: int, into: int) -> dt.datetime:
    """A moment `into` seconds after the start of a window (so the bucket is known)."""
    start = int(timezone.now().timestamp()) // window * window + window
    return dt.datetime.fromtimestamp(start + into, tz=dt.UTC)


@pytest.fixture
def clock():
    """Every `timezone.now()` answers one minute into an hour (so into a quarter too).

    The web tests count against real windows: without a still clock, a run that
    crosses a window's end would start counting again and pass the limit.
    """
    with mock.patch("django.utils.timezone.now", return_value=aligned(3600, 60)):
        yield


def test_r27_hit_lets_exactly_the_limit_through_then_tells_when(store):
    limit = ratelimit.Limit("probe", "value", 3, window=60)
    now = aligned(60, 10)
    for _ in range(3):
        ratelimit.hit([limit], now=now)
    with pytest.raises(ratelimit.RateLimited) as first:
        ratelimit.hit([limit], now=now)
    assert (first.value.scopes, first.value.retry_after, first.value.first) == (["probe"], 51, True)
    assert first.value.params == {"minutes": 1}
    with pytest.raises(ratelimit.RateLimited) as second:
        ratelimit.hit([limit], now=now)
    assert second.value.first is False
    ratelimit.hit([limit], now=now + dt.timedelta(seconds=50))  # the next window starts at zero
    assert counted_in_table(store)


def test_r27_refund_gives_back_exactly_one(store):
    limit = ratelimit.Limit("probe", "value", 2, window=60)
    now = aligned(60, 0)
    ratelimit.hit([limit], now=now)
    ratelimit.refund(ratelimit.hit([limit], now=now))
    ratelimit.hit([limit], now=now)
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit([limit], now=now)


def test_r27_every_limit_counts_even_when_another_refuses(store):
    tight = ratelimit.Limit("tight", "value", 1, window=60)
    loose = ratelimit.Limit("loose", "value", 3, window=900)
    now = aligned(900, 0)
    ratelimit.hit([tight, loose], now=now)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit([tight, loose], now=now)
    assert (refused.value.scopes, refused.value.retry_after) == (["tight"], 61)
    ratelimit.hit([loose], now=now)  # its third
    with pytest.raises(ratelimit.RateLimited) as both:
        ratelimit.hit([tight, loose], now=now)
    assert (both.value.scopes, both.value.retry_after) == (["tight", "loose"], 901)


WRONG = "not the right one at all"


def sign_in(client, username="gpapadopoulos", password=WRONG):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_r27_ten_failed_sign_ins_per_account_then_429(store, clock, demo, settings):
    assert settings.LOGIN_RATE_PER_ACCOUNT == 10  # docs/configuration.md's default
    for n in range(10):
        assert sign_in(Client(REMOTE_ADDR=f"192.0.2.{n + 1}")).status_code == 200
    response = sign_in(Client(REMOTE_ADDR="192.0.2.99"))
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60 - 60 + 1)
    assert "Δοκιμάστε ξανά σε 15 λεπτά" in response.content.decode()
    event = AuditEvent.objects.get(action="login.throttled")
    assert (event.actor_id, event.client_ip) == (None, "192.0.2.99")
    assert event.details == {"username": pseudonym("gpapadopoulos"), "scopes": ["login-account"]}
    assert counted_in_table(store)


def forgot(client, username="gpapadopoulos", email=EMAIL):
    return client.post("/password/forgot/", {"username": username, "email": email})


@pytest.mark.parametrize(
    ("send", "setting", "limit", "passes"),
    [(sign_in, "LOGIN_RATE_PER_ADDRESS", 50, 200), (forgot, "RESET_RATE_PER_ADDRESS", 20, 302)],
    ids=["sign-in", "reset"],
)
def test_r23_r27_per_address_limit_then_429(
    store, clock, demo, settings, send, setting, limit, passes
):
    """50 failed sign-ins per quarter, 20 resets an hour, from one address; others go on."""
    assert getattr(settings, setting) == limit
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(limit):
        assert send(client, username=f"nobody{n}").status_code == passes
    assert send(client, username=f"nobody{limit}").status_code == 429
    assert send(Client(REMOTE_ADDR="198.51.100.8"), username=f"nobody{limit}").status_code == passes


def test_r23_five_resets_per_account_then_429(store, clock, demo, settings):
    assert settings.RESET_RATE_PER_ACCOUNT == 5
    for n in range(5):
        assert forgot(Client(REMOTE_ADDR=f"192.0.2.{n + 1}")).status_code == 302
    response = forgot(Client(REMOTE_ADDR="192.0.2.99"))
    assert response.status_code == 429
    assert response["Retry-After"] == str(3600 - 60 + 1)
    assert "Δοκιμάστε ξανά σε 60 λεπτά" in response.content.decode()
    assert OutboxMessage.objects.filter(template="reset").count() == 5
    event = AuditEvent.objects.get(action="password.reset_refused")
    assert (event.actor_id, event.client_ip) == (None, "192.0.2.99")
    assert event.details == {
        "reason": "rate_limited",
        "username": pseudonym("gpapadopoulos"),
        "scopes": ["reset-account"],
    }
    assert counted_in_table(store)


def test_r25_six_hundred_strength_checks_per_address_then_429(store, clock, settings):
    assert settings.STRENGTH_RATE_PER_ADDRESS == 600
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(600):
        assert client.post("/password/strength/", {"password": "a"}).status_code == 200
    response = client.post("/password/strength/", {"password": "a"})
    assert response.status_code == 429
    assert response["Retry-After"] == str(3600 - 60 + 1)
    assert response.json() == {
        "error": {
            "code": "rate.limited",
            "message": "Πάρα πολλές προσπάθειες. Δοκιμάστε ξανά σε 60 λεπτά.",
        },
        "retry_after": 3600 - 60 + 1,
    }
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert other.post("/password/strength/", {"password": "a"}).status_code == 200
