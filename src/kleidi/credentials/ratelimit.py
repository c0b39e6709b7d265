"""Fixed-window rate limits, counted atomically before the work they guard (R23, R25, R27).

`hit` adds one to every limit's counter in one atomic step and refuses when a
counter has gone past its limit, before any password is verified, any link
made or any estimate run; so a burst of concurrent requests gets exactly
`limit` of them through, never "check, work, then count" with a race in the
middle. A sign-in that turns out right gives its count back (`refund`).

Counters live where every web process sees them: in Redis when the cache is
Redis (`INCRBY` and `EXPIRE ... NX` in one MULTI/EXEC), otherwise in the
`RateCounter` table (one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`,
atomic on SQLite and PostgreSQL). Django's database cache is not used for
them: its `incr` is a read-modify-write. Keys hold a keyed hash of the
limited value (a username, an address), never the value itself.
"""

import datetime as dt
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import salted_hmac

from kleidi.errors import CodedError

HOUR = 3600
QUARTER = 900
PURGE_EVERY = 300  # seconds between sweeps of expired RateCounter rows, per process


@dataclass(frozen=True)
class Limit:
    """At most `limit` events for `value` in each window of `window` seconds."""

    scope: str
    value: str
    limit: int
    window: int = HOUR

    def key(self, now: float) -> str:
        bucket = int(now // self.window)
        value = self.value.encode("utf-8", "surrogatepass")
        digest = salted_hmac("kleidi.credentials.ratelimit", value, algorithm="sha256")
        return f"kleidi:rl:{self.scope}:{self.window}:{bucket}:{digest.hexdigest()[:40]}"

    def remaining_seconds(self, now: float) -> int:
        return int(self.window - now % self.window) + 1


@dataclass(frozen=True)
class Counted:
    """The counters one `hit` added to, so that `refund` takes back exactly those."""

    keys: tuple[str, ...]
    timeouts: tuple[int, ...]


class RateLimited(CodedError):
    """`rate.limited`, answered with HTTP 429 and a page saying when to try again."""

    def __init__(self, retry_after: int, scopes: list[str]):
        super().__init__("rate.limited", minutes=max(1, -(-retry_after // 60)))
        self.retry_after = retry_after
        self.scopes = scopes
        self.first = False  # True on the first refused request of the window


def _now(now=None) -> float:
    return (now or timezone.now()).timestamp()


def hit(limits: list[Limit], *, now=None) -> Counted:
    """Count one event against every limit, atomically; raise RateLimited if any is exceeded.

    Every limit is counted even when another is already exceeded, so the work
    (and the time) does not depend on which limit the caller is near.
    """
    ts = _now(now)
    keys = tuple(limit.key(ts) for limit in limits)
    timeouts = tuple(limit.remaining_seconds(ts) + 5 for limit in limits)
    counts = _add(keys, timeouts, 1)
    exceeded, retry, first = [], 0, False
    for limit, count in zip(limits, counts, strict=True):
        if count > limit.limit:
            exceeded.append(limit.scope)
            retry = max(retry, limit.remaining_seconds(ts))
            first = first or count == limit.limit + 1
    if exceeded:
        error = RateLimited(retry, exceeded)
        error.first = first
        raise error
    return Counted(keys, timeouts)


def refund(counted: Counted) -> None:
    """Give back what `hit` counted (a sign-in that was right is not a failed attempt)."""
    _add(counted.keys, counted.timeouts, -1)


def _add(keys: tuple[str, ...], timeouts: tuple[int, ...], amount: int) -> list[int]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_add(backend, keys, timeouts, amount)
    return _table_add(keys, timeouts, amount)


def _redis_add(backend: RedisCache, keys, timeouts, amount: int) -> list[int]:
    """INCRBY and EXPIRE NX for every key in one MULTI/EXEC: atomic, one round trip."""
    client = backend._cache.get_client(write=True)
    with client.pipeline(transaction=True) as pipe:
        for key, timeout in zip(keys, timeouts, strict=True):
            name = backend.make_and_validate_key(key)
            pipe.incrby(name, amount)
            pipe.expire(name, timeout, nx=True)
        results = pipe.execute()
    return [int(value) for value in results[0::2]]


_last_purge = 0.0


def _table_add(keys, timeouts, amount: int) -> list[int]:
    """One UPSERT for every key: the database serialises concurrent increments of a row."""
    from kleidi.credentials.models import RateCounter

    connection = connections[router.db_for_write(RateCounter)]
    quote = connection.ops.quote_name
    table, key, count = quote(RateCounter._meta.db_table), quote("key"), quote("count")
    now = timezone.now()
    rows, params = [], []
    for name, timeout in zip(keys, timeouts, strict=True):
        expires = now + dt.timedelta(seconds=timeout)
        rows.append("(%s, %s, %s)")
        params += [name, amount, connection.ops.adapt_datetimefield_value(expires)]
    # Identifiers come from the model and are quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({key}, {count}, {quote('expires_at')}) "  # noqa: S608
        f"VALUES {', '.join(rows)} "
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + excluded.{count} "
        f"RETURNING {key}, {count}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = dict(cursor.fetchall())
    _purge_expired(now)
    return [int(found[name]) for name in keys]


def _purge_expired(now) -> None:
    """Drop finished windows now and then (per process, never tied to one request's input)."""
    from kleidi.credentials.models import RateCounter

    global _last_purge
    clock = time.monotonic()
    if clock - _last_purge < PURGE_EVERY:
        return
    _last_purge = clock
    RateCounter.objects.filter(expires_at__lt=now).delete()
