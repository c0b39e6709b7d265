"""R29: the credential events say who acted, from which address, on which account and school."""

import pytest
from django.test import Client

from kleidi.audit.services import pseudonym
from tests.audit import last_event, only
from tests.credentials.conftest import EMAIL, NEW_PASSWORD, STRONG, latest, link_in

pytestmark = pytest.mark.django_db

MEMBER = "gpapadopoulos"
ADDRESS = "198.51.100.23"


@pytest.fixture
def client():
    """A browser at a known address (the test client's default is 127.0.0.1)."""
    return Client(REMOTE_ADDR=ADDRESS)


def forgot(client, email=EMAIL):
    return client.post("/password/forgot/", {"username": MEMBER, "email": email})


def member_event(action: str, details: dict, actor: str | None = None) -> dict:
    return {
        "action": action,
        "actor": actor,
        "actor_name": actor or "system",
        "client_ip": ADDRESS,
        "target": f"account:{MEMBER}",
        "school": "el",
        "details": details,
    }


def test_r29_reset_requested_and_completed_are_audited_in_full(client, demo):
    forgot(client)
    assert only("password.reset_requested") == member_event(
        "password.reset_requested", {"state": "active"}
    )
    _, path, _ = link_in(latest("reset"))
    client.get(path)
    client.post("/password/set/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert only("password.reset_completed") == member_event(
        "password.reset_completed", {"purpose": "reset"}, actor=MEMBER
    )


def test_r29_refused_reset_keeps_the_account_and_a_pseudonym(client, demo):
    forgot(client, email="someone.else@example.com")
    assert only("password.reset_refused") == member_event(
        "password.reset_refused", {"reason": "email_mismatch", "username": pseudonym(MEMBER)}
    )


def test_r29_failed_sign_in_and_password_change(client, demo):
    client.post("/accounts/login/", {"username": MEMBER, "password": "not it at all, sorry"})
    assert only("login.failed") == member_event("login.failed", {"via": "login"})
    client.post("/accounts/login/", {"username": MEMBER, "password": STRONG})
    client.post(
        "/password/change/",
        {
            "current_password": STRONG,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert only("password.changed") == member_event("password.changed", {}, actor=MEMBER)


def test_r29_a_pending_member_activates_by_link_and_is_the_actor(client, demo):
    email = "giannis.georgiou@example.com"
    seeded = last_event()
    client.post("/password/forgot/", {"username": "el24001", "email": email})
    _, path, _ = link_in(latest("reset", to=email))
    client.get(path)
    client.post("/password/set/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    by_member = {"actor": "el24001", "actor_name": "el24001", "client_ip": ADDRESS}
    on_member = {"target": "account:el24001", "school": "el"}
    assert only("account.activated", since=seeded) == {
        "action": "account.activated",
        **by_member,
        **on_member,
        "details": {"from": "pending", "to": "active"},
    }
    assert only("password.reset_completed", since=seeded) == {
        "action": "password.reset_completed",
        **by_member,
        **on_member,
        "details": {"purpose": "reset"},
    }
