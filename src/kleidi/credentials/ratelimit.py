"""Fixed-window rate limits in Django's cache (R23, R25, R27).

Counters live in the shared cache, so every web process sees the same
numbers: the database cache by default, Redis in production. Keys hold a
hash of the limited value (a username, an address), never the value itself.

Redis (and locmem) increment atomically and keep the key's expiry. The
database cache's `incr` is a read-modify-write that also resets the expiry
to the cache default, so there Kleidi reads and writes the counter itself
with the window's expiry; concurrent requests may then undercount slightly,
which is why production uses Redis.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.utils import timezone

HOUR = 3600
QUARTER = 900


@dataclass(frozen=True)
class Limit:
    """At most `limit` events for `value` in each window of `window` seconds."""

    scope: str
    value: str
    limit: int
    window: int = HOUR

    def key(self, now: float) -> str:
        bucket = int(now // self.window)
        digest = hashlib.sha256(self.value.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"kleidi:rl:{self.scope}:{self.window}:{bucket}:{digest}"

    def remaining_seconds(self, now: float) -> int:
        return int(self.window - now % self.window) + 1


class RateLimited(Exception):
    """Answered with HTTP 429 and a page saying when to try again."""

    def __init__(self, retry_after: int, scopes: list[str]):
        super().__init__(f"rate limited: {', '.join(scopes)}")
        self.retry_after = retry_after
        self.scopes = scopes
        self.first = False  # True on the first refused request of the window

    @property
    def minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


def _now(now=None) -> float:
    return (now or timezone.now()).timestamp()


def _atomic_incr() -> bool:
    return type(caches["default"]).incr is not BaseCache.incr


def _increment(limit: Limit, key: str, current: int | None, now: float) -> int:
    timeout = limit.remaining_seconds(now) + 5
    if _atomic_incr():
        if cache.add(key, 1, timeout=timeout):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
            return 1
    count = (current or 0) + 1
    cache.set(key, count, timeout=timeout)
    return count


def hit(limits: list[Limit], *, now=None) -> None:
    """Count one event against every limit; raise RateLimited if any is exceeded.

    Every limit is counted even when another is already exceeded, so the work
    (and the time) does not depend on which limit the caller is near.
    """
    ts = _now(now)
    keys = [limit.key(ts) for limit in limits]
    current = {} if _atomic_incr() else cache.get_many(keys)
    exceeded, retry, first = [], 0, False
    for limit, key in zip(limits, keys, strict=True):
        count = _increment(limit, key, current.get(key), ts)
        if count > limit.limit:
            exceeded.append(limit.scope)
            retry = max(retry, limit.remaining_seconds(ts))
            first = first or count == limit.limit + 1
    if exceeded:
        error = RateLimited(retry, exceeded)
        error.first = first
        raise error


def check(limits: list[Limit], *, now=None) -> None:
    """Raise RateLimited if any limit is already used up, without counting."""
    ts = _now(now)
    keys = [limit.key(ts) for limit in limits]
    current = cache.get_many(keys)
    exceeded = [
        (limit.scope, limit.remaining_seconds(ts))
        for limit, key in zip(limits, keys, strict=True)
        if (current.get(key) or 0) >= limit.limit
    ]
    if exceeded:
        raise RateLimited(max(r for _, r in exceeded), [s for s, _ in exceeded])


def count(limits: list[Limit], *, now=None) -> None:
    """Count one event against every limit without deciding anything."""
    ts = _now(now)
    keys = [limit.key(ts) for limit in limits]
    current = {} if _atomic_incr() else cache.get_many(keys)
    for limit, key in zip(limits, keys, strict=True):
        _increment(limit, key, current.get(key), ts)
