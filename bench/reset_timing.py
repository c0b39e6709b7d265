"""Does `request_reset` take longer for a known username than for an unknown one? (R23)

    uv run python bench/reset_timing.py [--samples 1500] [--database sqlite|postgres]

In process, on a fresh database with the demo data (a SQLite file in a
temporary folder, or PostgreSQL's `kleidi_bench_timing`, created and dropped),
rate limits raised. Calls `kleidi.credentials.services.reset.request_reset` with, in
a shuffled order, an unknown username and a known username with a wrong email
(both refused, both with a fresh random email), after a warm-up. Prints the
medians, their difference, and a two-sided Mann-Whitney U test (normal
approximation with tie correction): a small p means the two cases are told
apart by their time.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time


def mann_whitney(a: list[float], b: list[float]) -> tuple[float, float]:
    """U statistic of `a` and the two-sided p-value (normal approximation, tie-corrected)."""
    pooled = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        size = j - i + 1
        ties += size**3 - size
        i = j + 1
    n1, n2 = len(a), len(b)
    rank_a = sum(rank for rank, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_a - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (u - n1 * n2 / 2) / sigma if sigma else 0.0
    return u, math.erfc(abs(z) / math.sqrt(2))


def setup(database: str, tmp: str) -> str:
    os.environ["KLEIDI_VAR_DIR"] = tmp
    os.environ["KLEIDI_RESET_RATE_PER_ACCOUNT"] = str(10**9)
    os.environ["KLEIDI_RESET_RATE_PER_ADDRESS"] = str(10**9)
    os.environ["KLEIDI_LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    name = ""
    if database == "postgres":
        import psycopg

        name = "kleidi_bench_timing"
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/timing.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from kleidi.portal import demo

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    demo.seed()
    return name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1500, help="per case")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kleidi-timing-") as tmp:
        name = setup(args.database, tmp)
        from kleidi.credentials.services.reset import request_reset

        rng = random.Random(args.seed)
        cases = {
            "unknown username": lambda: (f"nobody{rng.randrange(10**6):06d}",),
            "known username": lambda: ("gpapadopoulos",),
        }
        order = [case for case in cases for _ in range(args.samples)]
        rng.shuffle(order)
        for case in list(cases) * 50:  # warm-up
            request_reset(*cases[case](), f"w{rng.randrange(10**9)}@example.com")
        times: dict[str, list[float]] = {case: [] for case in cases}
        for case in order:
            username = cases[case]()[0]
            email = f"x{rng.randrange(10**9)}@example.com"
            start = time.perf_counter_ns()
            outcome = request_reset(username, email, client_ip="192.0.2.1")
            times[case].append((time.perf_counter_ns() - start) / 1e6)
            assert not outcome.sent
        unknown, known = times["unknown username"], times["known username"]
        _, p = mann_whitney(known, unknown)
        print(f"database: {args.database}, samples per case: {args.samples}")
        for case, values in times.items():
            cuts = statistics.quantiles(values, n=100)
            print(
                f"{case:18s} p25 {cuts[24]:.3f} ms  p50 {statistics.median(values):.3f} ms  "
                f"p75 {cuts[74]:.3f} ms"
            )
        diff = statistics.median(known) - statistics.median(unknown)
        print(f"median difference (known - unknown): {diff * 1000:+.1f} µs")
        print(f"Mann-Whitney U two-sided p = {p:.3g}")
        from django.db import connections

        connections.close_all()
        if name:
            import psycopg

            url = "postgres://postgres@127.0.0.1:5432/postgres"
            with psycopg.connect(url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
