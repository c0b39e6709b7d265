"""kleidi.linkseal (R24, DESIGN §6): tokens derived at delivery, surviving a key rotation."""

import re

import pytest
from django.core import mail
from django.test import Client

from kleidi import linkseal
from kleidi.notifications.models import OutboxMessage
from kleidi.notifications.tasks import deliver_due

OLD_KEY = "the-key-before-the-rotation-" + "o" * 40
NEW_KEY = "the-key-after-the-rotation-" + "n" * 40
LINK = re.compile(r"/password/link/([^/\s]+)/")


def test_r24_token_depends_on_nonce_and_key(settings):
    settings.SECRET_KEY = OLD_KEY
    placeholder, token = linkseal.seal()
    nonce = placeholder.strip("~").split("~")[1]
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert linkseal.derive(nonce) == token == linkseal.derive(nonce, OLD_KEY)
    assert linkseal.derive(nonce, NEW_KEY) != token
    assert token not in placeholder and OLD_KEY not in placeholder
    assert linkseal.unseal(f"see https://x/password/link/{placeholder}/ now") == (
        f"see https://x/password/link/{token}/ now"
    )
    assert linkseal.seal()[1] != token


@pytest.fixture
def reset_queued_under_old_key(client, demo, settings):
    settings.SECRET_KEY = OLD_KEY
    client.post(
        "/password/forgot/",
        {"username": "gpapadopoulos", "email": "giorgos.papadopoulos@example.com"},
    )
    assert OutboxMessage.objects.filter(template="reset").count() == 1


def delivered_path() -> str:
    deliver_due()
    (message,) = [m for m in mail.outbox if "/password/link/" in m.body]
    return LINK.search(message.body).group(0)


@pytest.mark.django_db
def test_r24_link_queued_before_a_rotation_works_with_the_old_key_as_fallback(
    reset_queued_under_old_key, settings
):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    browser = Client()
    browser.get(delivered_path())
    assert browser.get("/password/set/").status_code == 200


@pytest.mark.django_db
def test_r24_link_whose_key_is_gone_is_sent_as_a_link_that_asks_for_a_new_one(
    reset_queued_under_old_key, settings
):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = []
    path = delivered_path()
    assert path == f"/password/link/{linkseal.UNSEALABLE}/"
    response = Client().get(path, follow=True)
    assert response.status_code == 410
    assert 'href="/password/forgot/"' in response.content.decode()
