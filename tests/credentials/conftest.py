"""Fixtures for credential tests: a clean cache (rate limits) and reading links from the outbox."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from kleidi.notifications.delivery import outgoing
from kleidi.notifications.models import OutboxMessage

EMAIL = "giorgos.papadopoulos@example.com"
STRONG = "agapw poly th mairh"
NEW_PASSWORD = "kokkino podilato sto vouno tis kritis"
LINK = re.compile(r"(https?://[^\s/]+)(/password/link/([A-Za-z0-9_-]+)/)")


@pytest.fixture(autouse=True)
def fresh_cache(db):
    """Rate-limit counters live in the database cache, which no test transaction undoes."""
    cache.clear()
    yield
    cache.clear()


def link_in(message: OutboxMessage) -> tuple[str, str, str]:
    """(origin, path, token) of the one link in a message, as delivery sends it."""
    found = set(LINK.findall(outgoing(message)[0]))
    assert len(found) == 1, found
    return next(iter(found))


def latest(template: str, to: str | None = None) -> OutboxMessage:
    messages = OutboxMessage.objects.filter(template=template)
    if to:
        messages = messages.filter(to=to)
    return messages.order_by("-pk").first()


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def request_link(client):
    """Ask for a reset link through the web and return (path, token) from the outbox."""

    def ask(username="gpapadopoulos", email=EMAIL, c=None):
        response = (c or client).post("/password/forgot/", {"username": username, "email": email})
        assert response.status_code == 302, response.status_code
        _, path, token = link_in(latest("reset", to=email))
        return path, token

    return ask
