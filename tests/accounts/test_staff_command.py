"""Issue 12 §3: `kleidi staff ...`, its JSON and its exit status (0 done, 2 nothing changed)."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from kleidi.accounts.models import Account, SecretariatMembership
from kleidi.audit.models import AuditEvent


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("staff", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def run_json(*args: str) -> tuple[int, dict]:
    status, out, _ = run(*args, "--format", "json")
    return status, json.loads(out)


@pytest.fixture(autouse=True)
def greek(settings):
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_i12_staff_list_json(demo):
    status, body = run_json("list")
    assert status == 0 and body["ok"] is True
    assert {row["username"]: row for row in body["staff"]}["grammateiael"] == {
        "username": "grammateiael",
        "role": "secretariat",
        "state": "active",
        "schools": ["el"],
    }
    assert {row["username"] for row in body["staff"]} == {
        "helpdesk",
        "grammateiael",
        "grammateiach",
    }


def test_i12_staff_list_text(demo):
    status, out, _ = run("list")
    assert status == 0 and "grammateiael  secretariat  active  el" in out
    assert "όλες οι σχολές" in out


def test_i12_create_secretariat_grant_revoke_and_roles(demo):
    status, body = run_json(
        "create-secretariat",
        "grammateiamech",
        "--surname",
        "Παππά",
        "--given-name",
        "Νίκη",
        "--email",
        "niki.pappa@example.com",
        "--school",
        "el",
        "--as",
        "helpdesk",
    )
    assert status == 0, body
    assert body == {
        "ok": True,
        "action": "create-secretariat",
        "account": {
            "username": "grammateiamech",
            "role": "secretariat",
            "state": "pending",
            "schools": ["el"],
        },
    }
    event = AuditEvent.objects.get(action="staff.role_granted", target_repr="grammateiamech")
    assert event.actor_name == "helpdesk"

    assert run_json("grant", "grammateiamech", "ch")[1]["account"]["schools"] == ["ch", "el"]
    status, body = run_json("grant", "grammateiamech", "ch")
    assert status == 2 and body["ok"] is False
    assert body["error"]["code"] == "membership.exists"
    assert body["error"]["params"] == {"username": "grammateiamech", "school": "ch"}
    assert body["error"]["message"].startswith("Ο λογαριασμός")
    assert run_json("revoke", "grammateiamech", "ch")[0] == 0
    assert run_json("revoke", "grammateiamech", "ch")[1]["error"]["code"] == "membership.missing"

    status, body = run_json("make-helpdesk", "grammateiamech")
    assert status == 0 and body["account"] == {
        "username": "grammateiamech",
        "role": "helpdesk",
        "state": "pending",
        "schools": [],
    }
    status, body = run_json("revoke-role", "grammateiamech")
    assert status == 0 and body["account"]["role"] == ""
    assert not SecretariatMembership.objects.filter(account__username="grammateiamech").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("grant", "nobody", "el"), "username.unknown"),
        (("grant", "grammateiael", "xx"), "staff.no_such_school"),
        (("grant", "gpapadopoulos", "ch"), "staff.not_secretariat"),
        (("make-helpdesk", "gpapadopoulos"), "staff.not_staff_account"),
        (("revoke-role", "helpdesk"), "staff.last_helpdesk"),
        (("grant", "grammateiael", "ch", "--as", "grammateiael"), "permission.school"),
    ],
)
def test_i12_staff_refusals_exit_2_with_their_code(demo, args, expected):
    before = AuditEvent.objects.count()
    status, body = run_json(*args)
    assert status == 2 and body["ok"] is False and body["error"]["code"] == expected
    assert AuditEvent.objects.count() == before


def test_i12_staff_refusal_in_text_goes_to_stderr(demo):
    status, out, err = run("grant", "grammateiael", "el")
    assert status == 2 and out == "" and err.startswith("membership.exists: ")
    assert Account.objects.get(username="grammateiael").memberships.count() == 1
