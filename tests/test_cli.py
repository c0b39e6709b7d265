"""The `kleidi` command for a newcomer: a database without tables, and the demo's data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kleidi.errors import message
from kleidi.manage import NOT_SET_UP

KLEIDI = str(Path(sys.executable).with_name("kleidi"))
TIMEOUT = 300  # a safety net for a stuck process, never an assertion on speed


def run(*args, var_dir: Path, **env):
    environment = {**os.environ, "KLEIDI_VAR_DIR": str(var_dir), **env}
    for name in ("DATABASE_URL", "KLEIDI_DEMO", "DJANGO_SETTINGS_MODULE"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [KLEIDI, *args], env=environment, capture_output=True, text=True, timeout=TIMEOUT
    )


SHELL = ("shell", "--no-imports", "-c")
COUNT_STAFF = (
    "from kleidi.accounts.models import Account; "
    "print(Account.objects.filter(username='helpdesk').count())"
)


@pytest.mark.parametrize(
    "command",
    [["outbox", "list"], ["sheet", "recover"], [*SHELL, COUNT_STAFF]],
)
def test_a_command_on_a_fresh_database_says_to_migrate(tmp_path, command):
    done = run(*command, var_dir=tmp_path)
    assert done.returncode == NOT_SET_UP
    assert "Traceback" not in done.stderr and "no such table" not in done.stderr
    params = {
        "database": str(tmp_path / "kleidi.sqlite3"),
        "command": "kleidi migrate && kleidi createcachetable",
    }
    assert message("database.not_set_up", params, language="en") in done.stderr
    assert message("database.not_set_up", params, language="el") in done.stderr


def test_a_database_behind_its_migrations_says_to_migrate(tmp_path):
    assert run("migrate", "people", "zero", var_dir=tmp_path).returncode == 0
    assert run("createcachetable", var_dir=tmp_path).returncode == 0
    done = run("outbox", "list", var_dir=tmp_path)
    assert done.returncode == NOT_SET_UP
    assert "Run first: kleidi migrate." in done.stderr


@pytest.mark.slow
def test_demo_option_runs_any_command_on_the_demo_database(tmp_path):
    done = run("--demo", "outbox", "list", var_dir=tmp_path)
    assert done.returncode == NOT_SET_UP
    params = {"database": str(tmp_path / "demo.sqlite3")}
    assert message("database.demo_not_set_up", params, language="en") in done.stderr
    assert run("demo", "--seed-only", var_dir=tmp_path).returncode == 0
    demo = run("--demo", *SHELL, COUNT_STAFF, var_dir=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip() == "1"
    same = run(*SHELL, COUNT_STAFF, var_dir=tmp_path, KLEIDI_DEMO="true")
    assert same.stdout.strip() == "1"
    # Without it the command works on Kleidi's own database, which the demo never touched.
    assert run(*SHELL, COUNT_STAFF, var_dir=tmp_path).returncode == NOT_SET_UP


def test_a_real_database_error_is_not_hidden(tmp_path):
    assert run("migrate", var_dir=tmp_path).returncode == 0
    assert run("createcachetable", var_dir=tmp_path).returncode == 0
    query = "from django.db import connection; connection.cursor().execute('SELECT * FROM nowhere')"
    done = run(*SHELL, query, var_dir=tmp_path)
    assert done.returncode not in (0, NOT_SET_UP)
    assert "no such table: nowhere" in done.stderr
