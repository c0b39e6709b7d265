"""Load on the forgot-password POST (R23) and the strength endpoint (R25).

    uv run python bench/reset_load.py [--duration 30] [--concurrency 4]

Starts gunicorn (2 sync workers, 127.0.0.1 only) against a PostgreSQL
database it creates and drops itself (`kleidi_bench` on 127.0.0.1:5432, user
postgres), seeds the demo data, and drives a bounded closed-loop load (a few
threads, each waiting for its answer before the next request) for a fixed
time per scenario:

* baseline  - POST to a minimal Django view (same middleware, CSRF included)
* match     - forgot password, username and email match (a link is written)
* mismatch  - forgot password, the right username with a wrong email, and
              unknown usernames (nothing is written)
* strength  - POST /password/strength/ with inputs of 8 to 4,096 characters

Rate limits are raised through the environment for the run. Prints req/s and
p50/p95/p99 per scenario and checks the targets: >= 300 req/s and p95 < 50 ms
for forgot password, match and mismatch p50 within 10 %, strength p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

HOST = "127.0.0.1"
EMAIL = "giorgos.papadopoulos@example.com"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

BENCH_URLS = """
from django.http import HttpResponse
from django.urls import include, path


def ping(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/ping/", ping), path("", include("kleidi.urls"))]
"""
BENCH_SETTINGS = """
from kleidi.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
"""


def kleidi_command() -> str:
    return str(Path(sys.executable).with_name("kleidi"))


class Server:
    """gunicorn on 127.0.0.1 with a fresh PostgreSQL database."""

    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.TemporaryDirectory(prefix="kleidi-bench-")
        self.dir = Path(self.tmp.name)
        self.base = f"http://{HOST}:{args.port}"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        unlimited = str(10**9)
        return {
            **os.environ,
            "DATABASE_URL": f"{self.args.postgres}/{self.args.database}",
            "DATABASE_CONN_MAX_AGE": "600",
            "KLEIDI_VAR_DIR": str(self.dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BASE_URL": self.base,
            "KLEIDI_RESET_RATE_PER_ACCOUNT": unlimited,
            "KLEIDI_RESET_RATE_PER_ADDRESS": unlimited,
            "KLEIDI_STRENGTH_RATE_PER_ADDRESS": unlimited,
            "KLEIDI_LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONPATH": str(self.dir),
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            **({"REDIS_URL": self.args.redis} if self.args.redis else {}),
        }

    def _admin(self, sql: str) -> None:
        with psycopg.connect(f"{self.args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def start(self) -> None:
        (self.dir / "bench_urls.py").write_text(BENCH_URLS)
        (self.dir / "bench_settings.py").write_text(BENCH_SETTINGS)
        self._admin(f'DROP DATABASE IF EXISTS "{self.args.database}"')
        self._admin(f'CREATE DATABASE "{self.args.database}"')
        env = self.env()
        subprocess.run([kleidi_command(), "demo", "--seed-only"], env=env, check=True)
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [
                gunicorn,
                "kleidi.wsgi:application",
                "--bind",
                f"{HOST}:{self.args.port}",
                "--workers",
                str(self.args.workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _, _ = request("GET", self.args.port, "/bench/ping/")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.args.keep:
            self._admin(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')
        self.tmp.cleanup()


def request(method, port, path, body: dict | None = None, cookie: str = ""):
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    headers = {"Host": f"{HOST}:{port}"}
    data = None
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        return response.status, response.getheader("Set-Cookie") or "", content
    finally:
        conn.close()


def csrf_session(port: int) -> tuple[str, str]:
    """A CSRF cookie and its form token, as a browser holds them."""
    _, set_cookie, content = request("GET", port, "/password/forgot/")
    cookie = set_cookie.split(";", 1)[0]
    token = CSRF_INPUT.search(content.decode()).group(1)
    return cookie, token


def forgot_body(kind: str, rng: random.Random) -> dict:
    if kind == "match":
        return {"username": "gpapadopoulos", "email": EMAIL}
    if rng.random() < 0.5:
        return {"username": "gpapadopoulos", "email": f"x{rng.randrange(10**6)}@example.com"}
    return {"username": f"nobody{rng.randrange(10**6)}", "email": EMAIL}


STRENGTH_LENGTHS = (8, 16, 40, 100, 256, 1000, 4096)


def strength_body(rng: random.Random) -> dict:
    length = rng.choice(STRENGTH_LENGTHS)
    alphabet = string.ascii_letters + string.digits + " αβγδεζηθικλμνξοπρστυφχψω!@#"
    return {"password": "".join(rng.choice(alphabet) for _ in range(length))}


def run_scenario(name: str, port: int, duration: float, concurrency: int) -> dict:
    path = {
        "baseline": "/bench/ping/",
        "match": "/password/forgot/",
        "mismatch": "/password/forgot/",
        "strength": "/password/strength/",
    }[name]
    expected = {"baseline": 200, "match": 302, "mismatch": 302, "strength": 200}[name]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        cookie, token = csrf_session(port)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            if name == "strength":
                body = strength_body(rng)
            elif name == "baseline":
                body = {}
            else:
                body = forgot_body(name, rng)
            body["csrfmiddlewaretoken"] = token
            start = time.perf_counter()
            try:
                status, _, _ = request("POST", port, path, body, cookie)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - start
            if status == expected:
                mine.append(elapsed)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if len(latencies) < 2:
        raise SystemExit(f"{name}: no successful requests ({errors[0]} errors)")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "scenario": name,
        "requests": len(latencies),
        "errors": errors[0],
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per scenario")
    parser.add_argument("--strength-duration", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8431)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="kleidi_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--redis",
        default="",
        help="REDIS_URL for the rate-limit counters (production's cache), e.g. redis://127.0.0.1:6379/15",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--scenarios", default="baseline,match,mismatch,strength", help="comma-separated"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 64 or not 1 <= args.duration <= 600:
        parser.error("--concurrency must be 1-64 and --duration 1-600 seconds")

    server = Server(args)
    results = []
    try:
        server.start()
        for name in args.scenarios.split(","):
            seconds = args.strength_duration if name == "strength" else args.duration
            run_scenario(name, args.port, 2.0, args.concurrency)  # warm up
            results.append(run_scenario(name, args.port, seconds, args.concurrency))
            print(json.dumps(results[-1]), file=sys.stderr)
    finally:
        server.stop()

    by_name = {r["scenario"]: r for r in results}
    checks = {}
    for name in ("match", "mismatch"):
        if name in by_name:
            checks[f"{name} >= 300 req/s"] = by_name[name]["req_per_s"] >= 300
            checks[f"{name} p95 < 50 ms"] = by_name[name]["p95_ms"] < 50
    if "match" in by_name and "mismatch" in by_name:
        a, b = by_name["match"]["p50_ms"], by_name["mismatch"]["p50_ms"]
        checks["match/mismatch p50 within 10 %"] = abs(a - b) <= 0.10 * max(a, b)
    if "strength" in by_name:
        checks["strength p99 <= 50 ms"] = by_name["strength"]["p99_ms"] <= 50

    if args.json:
        print(json.dumps({"results": results, "checks": checks}, indent=2))
    else:
        print(f"\n{args.workers} gunicorn workers, {args.concurrency} client threads, PostgreSQL\n")
        print("| scenario | requests | errors | req/s | p50 ms | p95 ms | p99 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            print(
                f"| {r['scenario']} | {r['requests']} | {r['errors']} | {r['req_per_s']} "
                f"| {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |"
            )
        print()
        for check, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
