"""Shared test fixtures: the demo data, the rule that CI never skips a real service,
and the one-writer-per-table check (tests/writers.py) around every test."""

import os

import pytest
from hypothesis import settings

from tests import writers

# Hypothesis' default 200 ms deadline is a timed assertion (docs/testing.md forbids
# them): on a loaded machine it fails correct code, so no property test has one.
settings.register_profile("kleidi", deadline=None)
settings.load_profile("kleidi")


def pytest_configure(config):
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(writers.on_connect, dispatch_uid="kleidi_writer_check")
    for connection in connections.all(initialized_only=True):
        writers.install(connection)


@pytest.fixture(autouse=True)
def _one_writer_per_table():
    """Fail a test during which a Kleidi table was written outside its app's services."""
    writers.take()
    yield
    found = writers.take()
    if found:
        pytest.fail(
            "written outside the owning app's services (tests/writers.py):\n"
            + "\n".join(sorted({str(v) for v in found})),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Greek) and leaves no language behind.

    A request through the test client activates its language in the test's
    thread (GreekFirstLocaleMiddleware, like Django's LocaleMiddleware, does not
    undo it), so without this a test that follows an English request would see
    English messages: an order-dependent result under pytest-randomly.
    """
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def require_service(available: bool, reason: str) -> None:
    """Skip on a laptop without the service; fail in CI, where it must be there."""
    if available:
        return
    if os.environ.get("KLEIDI_REQUIRE_SERVICES") or os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def demo(db):
    """The demo's fixed people and accounts (kleidi.portal.demo)."""
    from kleidi.portal import demo as demo_data

    demo_data.seed()
    return demo_data


@pytest.fixture
def account(demo):
    """Look up a demo account by username."""
    from kleidi.accounts.models import Account

    def get(username: str) -> Account:
        return Account.objects.select_related("person", "school", "affiliation").get(
            username=username
        )

    return get


@pytest.fixture
def school_el(demo):
    from kleidi.people.models import School

    return School.objects.get(code="el")


@pytest.fixture
def school_ch(demo):
    from kleidi.people.models import School

    return School.objects.get(code="ch")


@pytest.fixture
def helpdesk(account):
    """The demo's helpdesk operator (all schools)."""
    return account("helpdesk")


@pytest.fixture
def secretariat(account):
    """The demo's secretariat of `el`."""
    return account("grammateiael")


# The directory's fixtures (a private slapd per session, Kleidi pointed at it),
# registered once here so every test directory shares one server per session.
from tests.ldap_fixtures import (  # noqa: E402, F401
    directory,
    directory_tls,
    ldap_admin,
    slapd,
    slapd_tls,
)
