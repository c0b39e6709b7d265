import pytest


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """The demo's passwords are hashed on every seed; Argon2 is needlessly slow for that here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
