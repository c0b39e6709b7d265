"""The demo's registry feed (issue 10, item 8): the README tour's one command shows every
situation, the welcomes land in the demo mailbox, the held records in the review queue,
and a second import finds nothing new (R3, R4, R6; docs/registry.md, "The demo feed")."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command

from kleidi.accounts.models import Account, AccountState
from kleidi.notifications.models import OutboxMessage
from kleidi.people.models import AffiliationStatus
from kleidi.review.models import ReviewItem
from tests.credentials.conftest import delivered

pytestmark = pytest.mark.django_db
WAIT = 300  # a safety net for a stuck child process, never an assertion on speed
HOLDER = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
import django
django.setup()
from kleidi.registry import lock
held = lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""

FIRST = {
    "create": 5,
    "update": 1,
    "graduate": 1,
    "unchanged": 19,
    "waiting_email": 2,
    "held": 2,
    "disputed": 1,
    "missing": 1,
    "error": 1,
}
CREATED = ["el25003", "el25011", "el25024", "ch25002", "ch25019"]


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # this test's own lock file
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEMO_MODE = True


def tour(*extra: str) -> tuple[int, dict]:
    """`uv run kleidi --demo registry import src/kleidi/portal/demo_registry.csv`, as JSON."""
    from kleidi.portal import demo

    out = io.StringIO()
    try:
        call_command(
            "registry",
            "import",
            str(demo.REGISTRY_FEED),
            "--format",
            "json",
            *extra,
            stdout=out,
            stderr=io.StringIO(),
        )
    except SystemExit as exc:
        return exc.code, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def by_situation(report: dict, situation: str) -> list[dict]:
    return [o for o in report["outcomes"] if o["situation"] == situation]


def test_r4_demo_feed_preview_shows_every_situation_and_changes_nothing(demo):
    states = dict(Account.objects.values_list("username", "state"))
    status, report = tour("--dry-run")
    assert status == 1  # one record in error
    assert report["records"] == 32
    assert report["counts"] == FIRST
    assert dict(Account.objects.values_list("username", "state")) == states
    assert not OutboxMessage.objects.exists()


def test_r4_r6_demo_feed_import_every_situation_welcomes_and_review_queue(demo, client):
    status, report = tour()
    assert status == 1
    assert report["counts"] == FIRST
    assert sorted(o["username"] for o in by_situation(report, "create")) == sorted(CREATED)
    (update,) = by_situation(report, "update")
    assert update["username"] == "el21042"
    assert set(update["changes"]) == {"latin_surname", "mobile"}
    (graduate,) = by_situation(report, "graduate")
    assert graduate["username"] == "el19033"
    (missing,) = by_situation(report, "missing")
    assert missing["username"] == "ch19050"
    (disputed,) = by_situation(report, "disputed")
    assert disputed["registration_number"] == "05121060"
    (error,) = by_situation(report, "error")
    assert [e["code"] for e in error["errors"]] == ["phone.invalid"]
    assert sorted(o["registration_number"] for o in by_situation(report, "waiting_email")) == [
        "03125030",
        "05125027",
    ]

    # R3: the new undergraduates' welcomes, in the outbox and on the demo mailbox page.
    welcomes = OutboxMessage.objects.filter(template="welcome")
    assert sorted(m.account.username for m in welcomes) == sorted(CREATED)
    mailbox = client.get("/demo/mailbox/")
    assert mailbox.status_code == 200
    for message in welcomes:
        assert message.to in mailbox.content.decode()
    sent = delivered(welcomes.get(account__username="el25003"))
    assert sent.to == ["marina.papadaki@example.com"]
    assert "el25003" in sent.body

    # R6: the graduate retired and told; missing never retires (or deletes) anyone.
    accounts = Account.objects.select_related("affiliation")
    assert accounts.get(username="el19033").state == AccountState.RETIRED
    assert accounts.get(username="el19033").affiliation.status == AffiliationStatus.GRADUATED
    told = OutboxMessage.objects.filter(template="graduated", to="m.argyropoulos@example.com")
    assert told.exists()
    assert accounts.get(username="ch19050").state == AccountState.ACTIVE
    assert accounts.get(username="ch21060").state == AccountState.ACTIVE  # disputed: untouched

    # R4: the held and the disputed records wait in the review queue.
    items = ReviewItem.objects.filter(source="registry")
    assert sorted(items.values_list("reason", "key")) == [
        ("disputed", "05121060"),
        ("held", "03125041"),
        ("held", "05125033"),
    ]
    client.force_login(Account.objects.get(username="helpdesk"))
    queue = client.get("/console/review/reviewitem/")
    assert queue.status_code == 200
    for key in ("03125041", "05125033", "05121060"):
        assert key in queue.content.decode()


def test_r4_demo_feed_second_import_finds_nothing_new(demo):
    tour()
    messages, items = OutboxMessage.objects.count(), ReviewItem.objects.count()
    status, report = tour()
    assert status == 1  # the same record is still in error
    assert report["counts"] == {
        **dict.fromkeys(FIRST, 0),
        "unchanged": 19 + 5 + 1 + 1,
        "waiting_email": 2,
        "held": 2,
        "disputed": 1,
        "missing": 1,
        "error": 1,
    }
    assert OutboxMessage.objects.count() == messages  # no new welcome
    assert ReviewItem.objects.count() == items


@pytest.mark.slow
def test_r4_demo_tour_command_as_the_readme_runs_it_with_the_lock_beside_the_file(tmp_path):
    """Real processes on a fresh demo under its own VAR_DIR: `kleidi demo --seed-only`, a
    holder of the run lock (the flock file beside var/demo.sqlite3), the README's command
    refused with exit 2, the holder killed with SIGKILL, the command again: every situation."""
    from kleidi.portal import demo

    env = {**os.environ, "KLEIDI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    kleidi = [sys.executable, "-m", "kleidi.manage"]
    seeded = subprocess.run(
        [*kleidi, "demo", "--seed-only"], env=env, capture_output=True, text=True, timeout=WAIT
    )
    assert seeded.returncode == 0, seeded.stderr
    command = [*kleidi, "--demo", "registry", "import", str(demo.REGISTRY_FEED), "--format", "json"]

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env={**env, "KLEIDI_DEMO": "true"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().startswith("held")
        assert (tmp_path / "demo.sqlite3.registry-import.lock").exists()
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WAIT)
        assert refused.returncode == 2, refused.stderr
        assert json.loads(refused.stdout)["error"]["code"] == "registry.locked"
        assert f"pid {holder.pid} " in json.loads(refused.stdout)["error"]["params"]["holder"]
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(WAIT)

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 1, done.stderr  # the one record in error
    assert done.stderr == ""  # not a terminal: no progress bar
    assert json.loads(done.stdout)["counts"] == FIRST
