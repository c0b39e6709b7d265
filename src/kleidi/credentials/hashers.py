"""Argon2id at OWASP's cost, with a bound on how many hashes run at once (§6).

Django's default Argon2 costs 100 MiB (m=102400 KiB, t=2, p=8) per hash, and
every sign-in attempt hashes, unknown usernames included: 40 concurrent
attempts took the demo to 4 GB. OWASP's Password Storage Cheat Sheet gives
m=19 MiB, t=2, p=1 as its first Argon2id configuration; Kleidi uses it. Each
process runs its hashes (encode or verify, the dummy hash of an unknown
username included) on `KLEIDI_PASSWORD_HASH_CONCURRENCY` threads of its own;
requests wait their turn, so hashing memory stays under that many times
19 MiB (plus the old cost for the few hashes not yet upgraded). Hashes made with other
costs are upgraded at the next right sign-in (Django's `must_update`).
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None  # (process id, size): a forked worker makes its own
_in_flight = 0
peak_in_flight = 0  # the most hashes seen at once in this process (for tests and metrics)


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_key
    key = (os.getpid(), settings.PASSWORD_HASH_CONCURRENCY)
    with _lock:
        if _pool is None or _pool_key != key:
            _pool = ThreadPoolExecutor(max_workers=key[1], thread_name_prefix="kleidi-hash")
            _pool_key = key
        return _pool


def _counted(work, *args):
    global _in_flight, peak_in_flight
    with _lock:
        _in_flight += 1
        peak_in_flight = max(peak_in_flight, _in_flight)
    try:
        return work(*args)
    finally:
        with _lock:
            _in_flight -= 1


def bounded(work, *args):
    """Run one hash on the process's few hashing threads and wait for it.

    A semaphore alone would bound the hashes running at once but not the
    memory: glibc keeps each thread's freed 19 MiB in that thread's arena, so
    a server with 50 request threads grew by 50 x 19 MiB. Only the pool's
    threads ever allocate Argon2 memory.
    """
    return _executor().submit(_counted, work, *args).result()


def reset_peak() -> None:
    global peak_in_flight
    with _lock:
        peak_in_flight = _in_flight


class KleidiArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP), at most N at once per process.

    The algorithm name stays `argon2`, so existing hashes are read by this
    hasher and upgraded to these costs when their owner next signs in.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password, salt):
        return bounded(super().encode, password, salt)

    def verify(self, password, encoded):
        return bounded(super().verify, password, encoded)
