"""Argon2id at OWASP's cost, bounded per process, old hashes upgraded (§6, R27)."""

import threading

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password

from kleidi.accounts.models import Account
from kleidi.credentials import hashers
from tests.credentials.conftest import STRONG

pytestmark = pytest.mark.django_db


def costs(encoded: str) -> dict:
    decoded = identify_hasher(encoded).decode(encoded)
    return {key: decoded[key] for key in ("memory_cost", "time_cost", "parallelism")}


def test_s6_new_hashes_use_owasps_argon2id_costs():
    encoded = make_password("kokkino podilato sto vouno")
    assert encoded.startswith("argon2$argon2id$")
    assert costs(encoded) == {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


def test_r27_an_old_hash_is_upgraded_at_the_next_right_sign_in(client, demo):
    old = Argon2PasswordHasher().encode(STRONG, Argon2PasswordHasher().salt())
    assert costs(old)["memory_cost"] == 102400  # Django's default: 100 MiB per hash
    Account.objects.filter(username="gpapadopoulos").update(password=old)
    login = {"username": "gpapadopoulos", "password": "not the password"}
    client.post("/accounts/login/", login)
    assert Account.objects.get(username="gpapadopoulos").password == old  # a wrong one: no
    login["password"] = STRONG
    assert client.post("/accounts/login/", login).status_code == 302
    upgraded = Account.objects.get(username="gpapadopoulos").password
    assert upgraded != old
    assert costs(upgraded) == {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", login).status_code == 302


def test_s6_concurrent_hashes_are_bounded_per_process(settings):
    """Eight threads hash at once (as eight sign-ins of unknown usernames would): two run."""
    settings.PASSWORD_HASH_CONCURRENCY = 2
    hashers.reset_peak()
    barrier = threading.Barrier(8)

    def hash_one(i: int) -> None:
        barrier.wait()
        make_password(f"unknown user's guess {i}")

    threads = [threading.Thread(target=hash_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hashers.peak_in_flight == 2
