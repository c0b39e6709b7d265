"""Benchmark of the console's dashboard (issue 12 §1) over 40,000 accounts.

    uv run python bench/dashboard.py [--students 40000] [--repeat 20] [--skip-postgres]

For each database (SQLite in a temporary file; PostgreSQL at 127.0.0.1:5432 in
the database `kleidi_bench_dashboard`, created and dropped here) a fresh child
process imports bench/registry.py's generated feed (four schools, every
student an account), adds an active helpdesk operator and an active
secretariat of one school through the account services, then renders
`/console/` with Django's test client `--repeat` times for each of the two
and reports the median and the slowest render, the number of SQL queries of
one render and the child's peak RSS. Not a test: no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import postgres, run_child

from registry import make_records, prepare, write_csv

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "kleidi_bench_dashboard"


def _staff():
    """An active helpdesk operator and an active secretariat of the first school."""
    from django.utils import timezone

    from kleidi.accounts.services import activate_account, store_password
    from kleidi.accounts.services.staff import create_staff_account
    from kleidi.people.models import School

    made = []
    for username, role, schools in (
        ("benchdesk", "helpdesk", []),
        ("benchsecretariat", "secretariat", [School.objects.order_by("code").first()]),
    ):
        account = create_staff_account(
            username=username,
            surname="Δοκιμαστική",
            given_name="Μέτρηση",
            email=f"{username}@example.com",
            role=role,
            schools=schools,
        )
        store_password(account, "bench dashboard password", now=timezone.now())
        made.append(activate_account(account))
    return made


def child(measure: str, path: str) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from kleidi.accounts.models import Account
    from kleidi.registry.feed import read_feed
    from kleidi.registry.services import import_feed

    setup_test_environment()
    started = time.perf_counter()
    import_feed(read_feed(path))
    seeded_s = time.perf_counter() - started
    repeat = int(os.environ["KLEIDI_BENCH_REPEAT"])
    rows = {"accounts": Account.objects.count(), "seed_s": round(seeded_s, 1)}
    for account in _staff():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(account)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get("/console/")
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get("/console/")
        rows[account.role] = {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
            "queries": len(queries),
        }
    rows["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MEASURE", "FILE"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        print(json.dumps(child(*args.child), ensure_ascii=False))
        return

    results = []
    with tempfile.TemporaryDirectory(prefix="kleidi-bench-dashboard-") as tmp:
        tmpdir = Path(tmp)
        feed = tmpdir / "feed.csv"
        write_csv(make_records(args.students), feed)
        databases = []
        if not args.skip_sqlite:
            databases.append(("sqlite", f"sqlite:///{tmpdir / 'bench.sqlite3'}"))
        if not args.skip_postgres:
            if postgres(PG_DB, "create"):
                databases.append(("postgresql", f"postgres://postgres@127.0.0.1:5432/{PG_DB}"))
            else:
                print("PostgreSQL not reachable: skipped", file=sys.stderr)
        try:
            for name, url in databases:
                env = {
                    **os.environ,
                    "DATABASE_URL": url,
                    "KLEIDI_VAR_DIR": str(tmpdir),
                    "KLEIDI_LOG_LEVEL": "WARNING",
                    "KLEIDI_BENCH_REPEAT": str(args.repeat),
                    "DJANGO_SETTINGS_MODULE": "kleidi.settings",
                }
                prepare(env)
                row = {**run_child(__file__, "render", feed, env), "database": name}
                row["load"] = round(os.getloadavg()[0], 2)
                results.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
        finally:
            if any(name == "postgresql" for name, _ in databases):
                postgres(PG_DB, "drop")
    print()
    print(
        f"{'database':<11}{'viewer':<13}{'accounts':>9}{'median ms':>11}{'max ms':>9}"
        f"{'queries':>9}{'peak MB':>9}  load"
    )
    for row in results:
        for viewer in ("helpdesk", "secretariat"):
            figures = row[viewer]
            print(
                f"{row['database']:<11}{viewer:<13}{row['accounts']:>9}"
                f"{figures['median_ms']:>11}{figures['max_ms']:>9}{figures['queries']:>9}"
                f"{row['peak_mb']:>9}  {row['load']}"
            )


if __name__ == "__main__":
    main()
