"""Benchmark of the student registry feed (issue 10, item 10): 40,000 students.

    uv run python bench/registry.py [--students 40000] [--skip-postgres] [--repeat 1]

Generates a feed CSV with the SIS view's columns (docs/registry.md, "The
feed"): national-exams undergraduates, all `active`, spread over four
schools the script creates, each with an external email and a mobile. Then,
for each database (SQLite in a temporary file; PostgreSQL at 127.0.0.1:5432,
user postgres, in its own database `kleidi_bench_registry`, created and
dropped here), in a fresh child process each:

1. `first`: the first full import (40,000 people, affiliations, accounts and
   welcome messages);
2. `unchanged`: the same feed again (every record `unchanged`);
3. `changed`: the feed with 1% of the records changed (a third each: new
   external email, new mobile, new father's name and Latin surname).

Each child times `kleidi.registry.feed.read_feed(path)` and
`kleidi.registry.services.import_feed(feed)` separately and reports its own
peak RSS (ru_maxrss; the sheets reader's bounded child is reported apart).
Targets: first ≤ 20 s, unchanged ≤ 3 s, changed ≤ 4 s, peak ≤ 300 MB.
Prints a JSON line per measurement and a table.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import GIVEN as SHEET_GIVEN
from common import SURNAMES, postgres, run_child

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "kleidi_bench_registry"
TARGETS = {"first": 20.0, "unchanged": 3.0, "changed": 4.0}
PEAK_MB = 300

# (code and departmentID, Greek name, English name, username prefix)
SCHOOLS = [
    ("mt", "Σχολή Μηχανολόγων Μηχανικών", "School of Mechanical Engineering", "mc"),
    ("ar", "Σχολή Αρχιτεκτόνων Μηχανικών", "School of Architecture", "ar"),
    ("ag", "Σχολή Αγρονόμων και Τοπογράφων Μηχανικών", "School of Rural and Surveying Eng.", "rs"),
    ("nm", "Σχολή Ναυπηγών Μηχανολόγων Μηχανικών", "School of Naval Architecture", "nm"),
]
COLUMNS = [
    "registrationID",
    "departmentID",
    "lastNameEl",
    "firstNameEl",
    "fatherFirstNameEl",
    "motherFirstNameEl",
    "lastNameEn",
    "firstNameEn",
    "fatherFirstNameEn",
    "motherFirstNameEn",
    "birthDate",
    "extEmail",
    "mobilePhone",
    "enrollmentStatus",
    "enrollmentStatusDate",
    "enrollmentType",
    "loginName",
]
# Three more given names than the sheets bench, for more distinct people.
GIVEN = [*SHEET_GIVEN, "Παναγιώτης", "Ροδάνθη", "Σταύρος"]


# --------------------------------------------------------------------------
# The feed


def make_records(n: int) -> list[dict[str, str]]:
    """n national-exams students, round-robin over SCHOOLS, each with unique contact details."""
    from kleidi.text import transliterate

    latin: dict[str, str] = {}

    def lat(word: str) -> str:
        if word not in latin:
            latin[word] = transliterate(word)
        return latin[word]

    records = []
    for i in range(n):
        school = i % len(SCHOOLS)
        code = SCHOOLS[school][0]
        number = i // len(SCHOOLS)
        year = 20 + number // 100_000
        surname = SURNAMES[i % len(SURNAMES)]
        given = GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
        father = GIVEN[(i * 7 + 3) % len(GIVEN)]
        mother = GIVEN[(i * 11 + 5) % len(GIVEN)]
        birth = dt.date(2004, 1, 1) + dt.timedelta(days=i % 1500)
        records.append(
            {
                # 0, the school, the year, then five digits unique in the school (R5's last 5).
                "registrationID": f"0{school + 1}{year:02d}{number % 100_000:05d}",
                "departmentID": code,
                "lastNameEl": surname,
                "firstNameEl": given,
                "fatherFirstNameEl": father,
                "motherFirstNameEl": mother,
                "lastNameEn": lat(surname),
                "firstNameEn": lat(given),
                "fatherFirstNameEn": lat(father),
                "motherFirstNameEn": lat(mother),
                "birthDate": birth.isoformat(),
                "extEmail": f"student{i}@example.com",
                "mobilePhone": f"69{40000000 + i:08d}",
                "enrollmentStatus": "active",
                "enrollmentStatusDate": "2025-09-15",
                "enrollmentType": "national_exams" if i % 2 else "Πανελλήνιες",
                "loginName": "",
            }
        )
    return records


def changed(records: list[dict[str, str]], share: float = 0.01) -> list[dict[str, str]]:
    """A copy with `share` of the records changed: email, mobile, or father's and Latin names."""
    out = [dict(r) for r in records]
    step = round(1 / share)
    for k, i in enumerate(range(0, len(out), step)):
        record = out[i]
        kind = k % 3
        if kind == 0:
            record["extEmail"] = f"moved{i}@example.org"
        elif kind == 1:
            record["mobilePhone"] = f"69{90000000 + i:08d}"
        else:
            record["fatherFirstNameEl"] = "Χαράλαμπος"
            record["fatherFirstNameEn"] = "Charalampos"
            record["lastNameEn"] = record["lastNameEn"] + "-Nea"
    return out


def write_csv(records: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(records)


# --------------------------------------------------------------------------
# Child process: one import


def child(measure: str, path: str) -> dict:
    import django

    django.setup()
    from kleidi.registry.feed import read_feed
    from kleidi.registry.services import import_feed

    start = time.perf_counter()
    cpu = time.process_time()
    feed = read_feed(path)
    read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    profile = os.environ.get("KLEIDI_BENCH_PROFILE")
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    cpu = time.process_time()
    report = import_feed(feed)
    import_s, import_cpu = time.perf_counter() - start, time.process_time() - cpu
    if profile:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{measure}")
    counts = {k: v for k, v in report.counts.items() if v}
    return {
        "measure": measure,
        "records": len(feed.records),
        "read_s": round(read_s, 3),
        "import_s": round(import_s, 3),
        "seconds": round(read_s + import_s, 3),
        "cpu_s": round(read_cpu + import_cpu, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "counts": counts,
    }


# --------------------------------------------------------------------------
# Parent


def prepare(env: dict) -> None:
    """Migrate a fresh database and create the feed's schools through the people service."""
    schools = json.dumps(SCHOOLS, ensure_ascii=False)
    code = (
        "import json, django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from kleidi.people.models import School;"
        "from kleidi.people.services import create_school;"
        "fields = {f.name for f in School._meta.fields};"
        f"schools = json.loads({schools!r});"
        "[create_school({'code': c, 'name_el': el, 'name_en': en, 'undergraduate_prefix': p,"
        " **({'registry_id': c} if 'registry_id' in fields else {})}) for c, el, en, p in schools]"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole sequence")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="cProfile each import into PREFIX.<measure>"
    )
    parser.add_argument("--child", nargs=2, metavar=("MEASURE", "FILE"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        print(json.dumps(child(*args.child), ensure_ascii=False))
        return

    if args.profile:
        os.environ["KLEIDI_BENCH_PROFILE"] = str(Path(args.profile).resolve())
    results = []
    with tempfile.TemporaryDirectory(prefix="kleidi-bench-registry-") as tmp:
        tmpdir = Path(tmp)
        feed, feed_changed = tmpdir / "feed.csv", tmpdir / "feed_changed.csv"
        records = make_records(args.students)
        write_csv(records, feed)
        write_csv(changed(records), feed_changed)
        for run in range(args.repeat):
            databases = []
            if not args.skip_sqlite:
                databases.append(("sqlite", f"sqlite:///{tmpdir / f'bench{run}.sqlite3'}"))
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
                        "DJANGO_SETTINGS_MODULE": "kleidi.settings",
                    }
                    prepare(env)
                    for measure, path in (
                        ("first", feed),
                        ("unchanged", feed),
                        ("changed", feed_changed),
                    ):
                        row = run_child(__file__, measure, path, env)
                        row = {**row, "database": name, "run": run, "load": os.getloadavg()[0]}
                        results.append(row)
                        print(json.dumps(row, ensure_ascii=False), flush=True)
            finally:
                if any(name == "postgresql" for name, _ in databases):
                    postgres(PG_DB, "drop")
    print()
    print(
        f"{'database':<11}{'measure':<11}{'read s':>8}{'import s':>10}{'total s':>9}"
        f"{'target':>8}{'CPU s':>8}{'peak MB':>9}  met  load"
    )
    for row in results:
        met = row["seconds"] <= TARGETS[row["measure"]] and row["peak_mb"] <= PEAK_MB
        verdict = "yes" if met else "NO"
        print(
            f"{row['database']:<11}{row['measure']:<11}{row['read_s']:>8.2f}"
            f"{row['import_s']:>10.2f}{row['seconds']:>9.2f}{TARGETS[row['measure']]:>8.0f}"
            f"{row['cpu_s']:>8.2f}{row['peak_mb']:>9}  {verdict:<3}  {row['load']:.1f}"
        )


if __name__ == "__main__":
    main()
