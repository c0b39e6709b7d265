"""Argon2id at OWASP's cost, with a bound on how many hashes run at once (§6).

Django's default Argon2 costs 100 MiB (m=102400 KiB, t=2, p=8) per hash, and
every sign-in attempt hashes, unknown usernames included: 40 concurrent
attempts took the demo to 4 GB. OWASP's Password Storage Cheat Sheet gives
m=19 MiB, t=2, p=1 as its first Argon2id configuration; Kleidi uses it. Each
process lets at most `KLEIDI_PASSWORD_HASH_CONCURRENCY` hashes (encode or
verify, the dummy hash of an unknown username included) run at once; the
others wait their turn, so memory stays under that many times 19 MiB (plus
the old cost for the few hashes not yet upgraded). Hashes made with other
costs are upgraded at the next right sign-in (Django's `must_update`).
"""

import threading

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_size = 0
_in_flight = 0
peak_in_flight = 0  # the most hashes seen at once in this process (for tests and metrics)


def _semaphore() -> threading.BoundedSemaphore:
    global _slots, _size
    size = settings.PASSWORD_HASH_CONCURRENCY
    with _lock:
        if _slots is None or _size != size:
            _slots, _size = threading.BoundedSemaphore(size), size
        return _slots


class _Slot:
    """Hold one hashing slot; count what runs at once."""

    def __enter__(self):
        self.slots = _semaphore()
        self.slots.acquire()
        global _in_flight, peak_in_flight
        with _lock:
            _in_flight += 1
            peak_in_flight = max(peak_in_flight, _in_flight)

    def __exit__(self, *exc):
        global _in_flight
        with _lock:
            _in_flight -= 1
        self.slots.release()


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
        with _Slot():
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with _Slot():
            return super().verify(password, encoded)
