"""A real Kleidi server in a child process, for bursts of concurrent requests.

gunicorn with two worker processes of 25 threads each (50 requests really at
once, counters shared across processes), on a fresh SQLite file with the
database cache (the demo's setup) or on PostgreSQL with Redis (production's).
The client address comes from X-Forwarded-For (one trusted proxy), so each
test picks its own addresses and its counters touch no other test's.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, *, database_url: str, redis_url: str = "", env=None):
        self.tmp = tmp
        self.port = free_port()
        self.database_url = database_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "KLEIDI_VAR_DIR": str(tmp),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BASE_URL": f"http://{HOST}:{self.port}",
            "KLEIDI_TRUSTED_PROXY_COUNT": "1",
            "KLEIDI_LOG_LEVEL": "WARNING",
            "KLEIDI_CACHE_PREFIX": "t" + secrets.token_hex(6),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            **(env or {}),
        }
        self.env.pop("REDIS_URL", None)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        bin_dir = Path(sys.executable).parent
        subprocess.run(
            [str(bin_dir / "kleidi"), "demo", "--seed-only"],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        self.process = subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "kleidi.wsgi:application",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "25",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env=self.env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/password/forgot/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("gunicorn did not answer within 120 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, method, path, body=None, headers=None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            all_headers = {"Host": f"{HOST}:{self.port}", **(headers or {})}
            data = None
            if body is not None:
                data = urlencode(body)
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            headers = dict(response.getheaders())
            headers["Set-Cookie"] = "; ".join(response.msg.get_all("Set-Cookie") or [])
            return response.status, headers, response.read()
        finally:
            conn.close()

    def csrf(self, path: str) -> tuple[str, str]:
        """A CSRF cookie and its form token, as a browser holds them."""
        _, headers, content = self.request("GET", path)
        cookie = re.search(r"csrftoken=[^;]+", headers["Set-Cookie"]).group(0)
        return cookie, CSRF_INPUT.search(content.decode()).group(1)

    def burst(self, path: str, bodies: list[dict], addresses: list[str]) -> list[int]:
        """POST every body at once (one thread each, released together); the statuses."""
        cookie, token = self.csrf("/password/forgot/")
        barrier = threading.Barrier(len(bodies))
        statuses: list[int] = [0] * len(bodies)

        def post(i: int) -> None:
            headers = {"Cookie": cookie, "X-Forwarded-For": addresses[i]}
            barrier.wait()
            statuses[i] = self.request(
                "POST", path, {**bodies[i], "csrfmiddlewaretoken": token}, headers
            )[0]

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses

    def query(self, sql: str, params=()) -> list[tuple]:
        """Read the server's database directly (SQLite file or PostgreSQL)."""
        if self.database_url.startswith("sqlite:///"):
            with sqlite3.connect(self.database_url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()
