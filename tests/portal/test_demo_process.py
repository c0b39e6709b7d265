"""`kleidi demo` as a member would start it: a real process, real HTTP, Ctrl-C stops it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                return response.status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _default_sigint() -> None:
    """Ctrl-C's default in the child: a shell without job control starts its
    background commands (a CI runner's, say) with SIGINT ignored, the child
    inherits that, and Python then never turns SIGINT into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_demo(var_dir, *environ_drop: str) -> tuple[subprocess.Popen, str]:
    """A real `kleidi demo` on a free port with its own var dir; returns it and its base URL."""
    port = free_port()
    env = {**os.environ, "KLEIDI_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", *environ_drop):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "kleidi.manage", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_default_sigint,
    )
    return process, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_demo_serves_portal_mailbox_and_stops_on_ctrl_c(tmp_path):
    process, base = start_demo(tmp_path)
    try:
        assert wait_for(base + "/") == 200
        assert wait_for(base + "/demo/mailbox/") == 200
        assert wait_for(base + "/static/portal/kleidi.css") == 200
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert "gpapadopoulos" in output
    assert "agapw poly th mairh" in output
    assert (tmp_path / "demo.sqlite3").exists()
    assert not (tmp_path / "kleidi.sqlite3").exists()


def test_demo_seed_only_twice_is_idempotent(tmp_path):
    env = {**os.environ, "KLEIDI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "kleidi.manage", "demo", "--seed-only"]
    first = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    second = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert "created" in first.stdout
    assert "already present" in second.stdout
