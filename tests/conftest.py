"""Shared test fixtures: the demo data, and the rule that CI never skips a real service."""

import os

import pytest
from hypothesis import settings

# Hypothesis' default 200 ms deadline is a timed assertion (docs/testing.md forbids
# them): on a loaded machine it fails correct code, so no property test has one.
settings.register_profile("kleidi", deadline=None)
settings.load_profile("kleidi")


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
