"""Credential tests' fixtures: a clean cache (rate limits), links read from delivered mail."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache

from kleidi.notifications.models import OutboxMessage, OutboxStatus
from kleidi.notifications.services import deliver_due

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


def delivered(message: OutboxMessage) -> mail.EmailMessage:
    """The mail the outbox's own delivery sends for `message` (Django's test mailbox)."""
    already = len(mail.outbox)
    deliver_due()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT, message.last_error
    (sent,) = [m for m in mail.outbox[already:] if m.to == [message.to]]
    assert sent.subject == message.subject
    return sent


def links_in(sent: mail.EmailMessage, pattern: re.Pattern = LINK) -> set:
    """The links of a delivered mail; its text and HTML parts must carry the same."""
    text = set(pattern.findall(sent.body))
    (html,) = [content for content, kind in sent.alternatives if kind == "text/html"]
    assert set(pattern.findall(html)) == text
    return text


def link_in(message: OutboxMessage) -> tuple[str, str, str]:
    """(origin, path, token) of the one link in a message, as the member receives it."""
    (found,) = links_in(delivered(message))
    return found


def latest(template: str, to: str | None = None) -> OutboxMessage:
    messages = OutboxMessage.objects.filter(template=template)
    if to:
        messages = messages.filter(to=to)
    return messages.order_by("-pk").first()


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def request_link(client):
    """Ask for a reset link through the web and return (path, token) from the mail."""

    def ask(username="gpapadopoulos", email=EMAIL, c=None):
        response = (c or client).post("/password/forgot/", {"username": username, "email": email})
        assert response.status_code == 302, response.status_code
        _, path, token = link_in(latest("reset", to=email))
        return path, token

    return ask
