"""Peak memory of the demo server under a burst of concurrent sign-in attempts (§6).

    uv run python bench/signin_memory.py [--attempts 40]

Starts `kleidi demo` (one process, Django's threaded server, a SQLite file in
a temporary folder; or, with `--server gunicorn`, one gunicorn gthread worker
of 50 threads on the same data, whose listen queue takes the whole burst),
waits until it answers, notes its resident memory, then sends `--attempts`
sign-ins with distinct unknown usernames at once (every one costs an Argon2
hash; none is stopped by a rate limit) and reads the process's peak
resident memory (VmHWM) afterwards. Run it on old code by putting the old
`src` first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def request(port: int, method: str, path: str, body=None, headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        data = urlencode(body) if body is not None else None
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        cookies = "; ".join(response.msg.get_all("Set-Cookie") or [])
        return response.status, cookies, response.read()
    finally:
        conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=40)
    parser.add_argument(
        "--server",
        choices=["demo", "gunicorn"],
        default="demo",
        help="the demo's threaded server, or one gunicorn gthread worker with 50 threads",
    )
    args = parser.parse_args(argv)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kleidi-memory-") as tmp:
        env = {**os.environ, "KLEIDI_VAR_DIR": tmp, "KLEIDI_LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        command = [sys.executable, "-m", "kleidi.manage", "demo", "--port", str(port)]
        if args.server == "gunicorn":
            env["DATABASE_URL"] = f"sqlite:///{tmp}/memory.sqlite3"
            subprocess.run([*command, "--seed-only"], env=env, check=True, capture_output=True)
            gunicorn = str(Path(sys.executable).with_name("gunicorn"))
            command = [gunicorn, "kleidi.wsgi:application", "--bind", f"{HOST}:{port}"]
            command += ["--workers", "1", "--worker-class", "gthread", "--threads", "50"]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    status, cookies, content = request(port, "GET", "/accounts/login/")
                    if status == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the demo did not start") from None
                    time.sleep(0.3)
            cookie = re.search(r"csrftoken=[^;]+", cookies).group(0)
            token = CSRF_INPUT.search(content.decode()).group(1)
            pid = server.pid
            if args.server == "gunicorn":
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                pid = int(children[0])  # the one worker
            idle = memory_kib(pid, "VmRSS")
            barrier = threading.Barrier(args.attempts)
            statuses: list[int] = []

            def attempt(i: int) -> None:
                body = {
                    "username": f"nobody{i:03d}",
                    "password": f"a guess that is long enough {i}",
                    "csrfmiddlewaretoken": token,
                }
                barrier.wait()
                try:
                    answer = request(port, "POST", "/accounts/login/", body, {"Cookie": cookie})
                    statuses.append(answer[0])
                except OSError:  # the demo's listen queue is short: some connections are reset
                    statuses.append(0)

            started = time.monotonic()
            threads = [threading.Thread(target=attempt, args=(i,)) for i in range(args.attempts)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            peak = memory_kib(pid, "VmHWM")
        finally:
            server.send_signal(signal.SIGINT if args.server == "demo" else signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    answered = sum(1 for status in statuses if status)
    reset = len(statuses) - answered
    print(f"attempts: {args.attempts} at once, answered: {answered}, reset: {reset}")
    print(f"resident memory before: {idle / 1024:.0f} MiB, peak: {peak / 1024:.0f} MiB")
    print(f"burst answered in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
