"""Initial provisioning through the directory queue (R28): N new accounts, one sync drain.

Creates N undergraduate accounts (people, affiliations, accounts in bulk, so
one change row each) on a fresh database with the directory on, then times
`kleidi.directory.sync.sync_due` until the queue is empty, against a private
slapd; then times a second pass over every account (compare only: nothing
to write). Run: `uv run python bench/directory_sync.py --accounts 5000`
(SQLite and, when reachable, PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import GIVEN, ROOT, SURNAMES, postgres, run_child

PG_DB = "kleidi_bench_directory_sync"


def child(measure: str, path: str) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from kleidi.accounts.models import AccountKind
    from kleidi.accounts.services import NewAccount, create_accounts
    from kleidi.accounts.usernames import username_policy
    from kleidi.directory import sync
    from kleidi.directory.converge import converge
    from kleidi.directory.mapping import accounts_for_directory
    from kleidi.directory.models import DirectoryChange
    from kleidi.directory.slapd import PrivateSlapd
    from kleidi.people.models import AffiliationStatus
    from kleidi.people.services import create_affiliations, create_people, create_school

    n = int(measure)
    call_command("migrate", verbosity=0)
    server = PrivateSlapd(Path(path) / "slapd").start()
    try:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        school = create_school(
            {"code": "el", "name_el": "Ηλεκτρολόγων", "name_en": "ECE"}
            | {"undergraduate_prefix": "el"}
        )
        start = time.perf_counter()
        people = create_people(
            [
                {
                    "surname": SURNAMES[i % len(SURNAMES)],
                    "given_name": GIVEN[(i // len(SURNAMES)) % len(GIVEN)],
                    "mobile": f"+3069{i:08d}",
                }
                for i in range(n)
            ]
        )
        affiliations = create_affiliations(
            [
                {
                    "person": person,
                    "kind": AccountKind.UNDERGRADUATE,
                    "school": school,
                    "registration_number": f"031{i:05d}",
                    "status": AffiliationStatus.ACTIVE,
                }
                for i, person in enumerate(people)
            ]
        )
        policy = username_policy()
        create_accounts(
            [
                NewAccount(
                    username=policy.undergraduate_username("el", f"031{i:05d}"),
                    kind=AccountKind.UNDERGRADUATE,
                    person=person,
                    affiliation=affiliation,
                    school=school,
                )
                for i, (person, affiliation) in enumerate(zip(people, affiliations, strict=True))
            ],
            welcome=False,
        )
        created_s = time.perf_counter() - start
        queued = DirectoryChange.objects.count()
        start, cpu = time.perf_counter(), time.process_time()
        totals: dict[str, int] = {}
        while True:
            counts = sync.sync_due()
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            if not counts["claimed"]:
                break
        sync_s, sync_cpu = time.perf_counter() - start, time.process_time() - cpu
        from kleidi.directory.connection import service_connection

        start = time.perf_counter()
        with service_connection() as conn:
            again = converge(conn, accounts_for_directory().order_by("pk"))
        compare_s = time.perf_counter() - start
    finally:
        server.stop()
    return {
        "accounts": n,
        "queued_rows": queued,
        "create_s": round(created_s, 2),
        "sync_s": round(sync_s, 2),
        "sync_cpu_s": round(sync_cpu, 2),
        "per_second": round(n / sync_s),
        "second_pass_s": round(compare_s, 2),
        "second_pass_in_sync": sum(1 for d in again.values() if getattr(d, "in_sync", False)),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "counts": {k: v for k, v in totals.items() if v},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MEASURE", "DIR"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        print(json.dumps(child(*args.child), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory(prefix="kleidi-bench-dirsync-") as tmp:
        tmpdir = Path(tmp)
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
                    **{k: v for k, v in os.environ.items() if not k.startswith("KLEIDI_LDAP")},
                    "DATABASE_URL": url,
                    "KLEIDI_VAR_DIR": str(tmpdir),
                    "KLEIDI_LOG_LEVEL": "WARNING",
                    "DJANGO_SETTINGS_MODULE": "kleidi.settings",
                }
                work = tmpdir / name
                work.mkdir()
                result = run_child(__file__, str(args.accounts), work, env)
                print(json.dumps({"database": name, **result}, ensure_ascii=False))
        finally:
            if not args.skip_postgres:
                postgres(PG_DB, "drop")


if __name__ == "__main__":
    main()
