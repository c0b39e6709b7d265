"""`kleidi demo --directory`: the demo's own slapd, kept between runs, shared by demo commands.

Real processes: the demo in a child with its own var dir, a second
`kleidi --demo` command beside it, Ctrl-C to stop it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from ldap3 import Connection

from kleidi.directory import slapd as private
from tests.conftest import require_service

TIMEOUT = 120  # a safety net for a stuck process, never an assertion on speed


@pytest.fixture
def demo_env(tmp_path):
    require_service(private.available(), "needs Debian's slapd (apt-get install slapd ldap-utils)")
    env = {**os.environ, "KLEIDI_VAR_DIR": str(tmp_path)}
    for name in [n for n in env if n.startswith("KLEIDI_LDAP_")] + ["DATABASE_URL", "KLEIDI_DEMO"]:
        env.pop(name, None)
    return env


def kleidi(*args):
    return [sys.executable, "-m", "kleidi.manage", *args]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_r28_demo_seed_only_with_directory_starts_slapd_and_queues_every_account(
    demo_env, tmp_path
):
    command = kleidi("demo", "--seed-only", "--directory")
    first = subprocess.run(command, env=demo_env, capture_output=True, text=True, timeout=TIMEOUT)
    assert first.returncode == 0, first.stderr
    assert "Demo directory: ldap://127.0.0.1:" in first.stdout
    queued = int(first.stdout.split("Directory: ")[1].split()[0])
    root = tmp_path / "demo-directory"
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        (accounts,) = db.execute("SELECT count(*) FROM accounts_account").fetchone()
        (initial,) = db.execute(
            "SELECT count(*) FROM directory_directorychange WHERE reason = 'directory.initial'"
        ).fetchone()
    assert queued == accounts == initial > 0
    # Stopped on exit, its data and passwords kept for the next run.
    assert private.running_pid(root) is None
    assert not (root / "settings.json").exists()
    password = (root / "service.password").read_text()
    again = subprocess.run(command, env=demo_env, capture_output=True, text=True, timeout=TIMEOUT)
    assert again.returncode == 0, again.stderr
    assert (root / "service.password").read_text() == password


@pytest.mark.slow
def test_r28_demo_commands_use_the_running_demo_directory_and_ctrl_c_stops_it(demo_env, tmp_path):
    port = private.free_port()
    process = subprocess.Popen(
        kleidi("demo", "--directory", "--port", str(port)),
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_default_sigint,
    )
    state_file = tmp_path / "demo-directory" / "settings.json"
    try:
        deadline = time.monotonic() + TIMEOUT
        while not state_file.exists() and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.1)
        state = json.loads(state_file.read_text())
        assert state_file.stat().st_mode & 0o077 == 0
        read = "from django.conf import settings as s; print(s.LDAP_ENABLED, s.LDAP_URLS[0])"
        shown = subprocess.run(
            kleidi("--demo", "shell", "--no-imports", "-c", read),
            env=demo_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        )
        assert shown.stdout.split() == ["True", state["url"]]
        with open(state["password_file"], encoding="utf-8") as handle:
            password = handle.read().strip()
        assert Connection(state["url"], state["bind_dn"], password).bind()
        # Not in demo mode, a command knows nothing of the demo's directory.
        plain = subprocess.run(
            [sys.executable, "-c", "import kleidi.settings as s; print(s.LDAP_ENABLED)"],
            env=demo_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        )
        assert plain.stdout.strip() == "False"
        # Ctrl-C once the portal answers: the tour is printed by then, the imports done.
        while time.monotonic() < deadline:
            assert process.poll() is None
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert f"ldapsearch -x -H {state['url']} -b ou=people,dc=ntua,dc=gr uid=el21042" in output
    assert not state_file.exists()
    assert private.running_pid(tmp_path / "demo-directory") is None


def test_r28_demo_directory_without_slapd_is_a_clear_error(db, settings, monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setattr(private, "available", lambda: False)
    settings.DEMO_MODE = True
    with pytest.raises(CommandError, match="--directory needs Debian's slapd"):
        call_command("demo", "--seed-only", "--directory")
