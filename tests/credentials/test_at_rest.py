"""R24, DESIGN §6: no usable link at rest, in any table, before or after delivery.

A reset and a sheet of welcomes run through the real services; the links
are read from what the mail backend actually sent. Then every column of
every table (sessions, the cache table, task rows and the audit log
included) is read back through introspection, as a thief with a copy of the
database would, and every value is tried as a token, as a nonce under a
wrong key, as the link cookie and as a session cookie. None may open a link;
the delivered links still work, and the stored nonces do yield the links
under the real key (so the walk looks at the right data).
"""

import json
import re

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client

from kleidi import linkseal
from kleidi.credentials.models import LinkToken
from kleidi.credentials.services.links import hash_token, usable_link
from kleidi.notifications.tasks import deliver_due
from kleidi.people.models import School
from kleidi.sheets.services import request_apply, upload_sheet
from tests.credentials.conftest import EMAIL, NEW_PASSWORD
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_KEY = "a-key-the-thief-guessed-" + "x" * 40
LINK = re.compile(r"https?://[^\s/\"<>]+/password/link/([^/\s\"<>]+)/")
CANDIDATE = re.compile(r"[A-Za-z0-9_-]{16,}")


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def every_stored_value() -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-null value of every table in the database."""
    found = []
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(name)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes | bytearray):
                        text = bytes(value).decode("latin-1")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    found.append((name, column, text))
    return found


def candidates(text: str) -> set[str]:
    """The value itself and every token-like run in it."""
    return {text, *CANDIDATE.findall(text)}


def opens_a_link(candidate: str, usable: set[str]) -> bool:
    return hash_token(candidate) in usable


def signed_with(key: str, value: str, settings) -> str:
    real = settings.SECRET_KEY
    settings.SECRET_KEY = key
    try:
        return signing.get_cookie_signer(salt="kleidi_link").sign(value)
    finally:
        settings.SECRET_KEY = real


def delivered_tokens() -> dict[str, str]:
    """Recipient -> token of the one link in each sent message (text and HTML agree)."""
    tokens = {}
    for message in mail.outbox:
        bodies = [message.body, *(content for content, _ in message.alternatives)]
        found = {token for body in bodies for token in LINK.findall(body)}
        if found:
            assert len(found) == 1, found
            tokens[message.to[0]] = found.pop()
    return tokens


def test_r24_no_table_holds_a_usable_link_before_or_after_delivery(demo, account, settings):
    secretariat = account("grammateiael")
    upload = upload_sheet(
        content=xlsx(table([person_row(i) for i in range(1, 4)])),
        filename="welcomes.xlsx",
        school=School.objects.get(code="el"),
        kind="postgraduate",
        actor=secretariat,
    )
    assert request_apply(upload, actor=secretariat).ok
    web = Client()
    web.post("/password/forgot/", {"username": "gpapadopoulos", "email": EMAIL})
    web.post("/password/forgot/", {"username": "gpapadopoulos", "email": "not.his@example.com"})
    staff = Client()
    staff.force_login(account("helpdesk"))
    staff.get("/account/")  # a signed-in session row exists

    before = every_stored_value()
    deliver_due()
    tokens = delivered_tokens()
    assert {EMAIL, "student1@example.com", "student2@example.com"} <= set(tokens)
    # A member opens a welcome link and stops before setting a password (mid-flow).
    midway = Client()
    assert midway.get(f"/password/link/{tokens['student1@example.com']}/").status_code == 302
    assert midway.get("/password/set/").status_code == 200

    after = every_stored_value()
    tables = {name for name, _, _ in after}
    # The rows a thief would look at first: sessions, rate-limit counters, audit.
    assert {"django_session", "credentials_ratecounter", "audit_auditevent"} <= tables
    assert "kleidi_cache" in connection.introspection.table_names()
    assert any("task" in name for name in tables)
    usable = {link.token_hash for link in LinkToken.objects.all() if usable_link(link.token_hash)}
    assert {hash_token(token) for token in tokens.values()} <= usable

    nonces = set()
    for table_name, column, text in before + after:
        where = f"{table_name}.{column}"
        for token in tokens.values():
            assert token not in text, f"{where} holds a delivered token"
        for candidate in candidates(text):
            assert not opens_a_link(candidate, usable), f"{where} holds a token"
            wrong = linkseal.derive(candidate, WRONG_KEY)
            assert not opens_a_link(wrong, usable), f"{where} opens a link under a wrong key"
            if opens_a_link(linkseal.derive(candidate), usable):
                nonces.add(candidate)
            if candidate in usable:  # a stored hash, presented as the link cookie
                thief = Client()
                for cookie in (candidate, signed_with(WRONG_KEY, candidate, settings)):
                    thief.cookies["kleidi_link"] = cookie
                    assert thief.get("/password/set/").status_code == 410, where
    # Under the real key the stored nonces are the links: the walk saw the right data.
    assert len(nonces) == len(usable)

    for session_key in {text for name, column, text in after if column == "session_key"}:
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = session_key
        assert thief.get("/password/set/").status_code == 410

    # The links as delivered still work, the half-finished one included.
    member = Client()
    member.get(f"/password/link/{tokens[EMAIL]}/")
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert member.post("/password/set/", data)["Location"] == "/password/set/done/"
    assert account("gpapadopoulos").check_password(NEW_PASSWORD)
    assert midway.post("/password/set/", data)["Location"] == "/password/set/done/"
    assert account("nioannou").check_password(NEW_PASSWORD)
