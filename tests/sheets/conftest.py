import pytest

from kleidi.people.models import School


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """The demo's passwords are hashed on every seed; Argon2 is needlessly slow for that here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def school_el(demo):
    return School.objects.get(code="el")


@pytest.fixture
def school_ch(demo):
    return School.objects.get(code="ch")


@pytest.fixture
def secretariat(account):
    return account("grammateiael")


@pytest.fixture
def helpdesk(account):
    return account("helpdesk")
