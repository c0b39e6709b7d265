"""Benchmark of secretariat sheets: 10,000-row provisioning sheets, validate and apply.

    uv run --group bench python bench/sheets.py [--rows 10000] [--skip-postgres]

For each database (SQLite in a temporary file; PostgreSQL at 127.0.0.1:5432,
user postgres, in its own database `kleidi_bench_sheets`, created and dropped
here) every measurement runs in a fresh child process, so its peak memory
(ru_maxrss) is its own: the bare python-calamine parse of the file, Kleidi's
validation (read + every rule + the bulk database checks) of an all-valid sheet
and of one with 5% invalid rows, the apply of the valid sheet, and
django-import-export's dry run of the same rows into Person for comparison.
Prints a table and a JSON line per measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import GIVEN, SURNAMES, postgres, run_child

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "kleidi_bench_sheets"


def make_rows(n: int, invalid_every: int = 0) -> list[list]:
    from kleidi.text import username_form

    end = dt.date.today() + dt.timedelta(days=500)
    rows = []
    for i in range(n):
        surname = SURNAMES[i % len(SURNAMES)]
        given = GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
        row = [
            f"{username_form(surname)}{i}",
            surname,
            given,
            GIVEN[(i * 7) % len(GIVEN)],
            GIVEN[(i * 11) % len(GIVEN)],
            f"69{i:08d}",
            f"bench.student{i}@example.com",
            f"09{i:06d}",
            "Καθ. Μαρία Κωνσταντίνου",
            "mkonst@ece.ntua.gr",
            end,
        ]
        if invalid_every and i % invalid_every == 0:
            kind = (i // invalid_every) % 4
            if kind == 0:
                row[6] = "someone@mail.ntua.gr"
            elif kind == 1:
                row[5] = "12345"
            elif kind == 2:
                row[0] = f"wrong{i}"
            else:
                row[10] = "31/02/2030"
        rows.append(row)
    return rows


# The template's Greek headers, in the order make_rows writes the cells.
COLUMNS = [
    "username",
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "mobile",
    "external_email",
    "registration_number",
    "supervisor_name",
    "supervisor_email",
    "end_date",
]


def write_xlsx(rows: list[list], path) -> None:
    import openpyxl

    from kleidi.sheets.headers import LABELS

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Λογαριασμοί")
    ws.append([LABELS[name][0] for name in COLUMNS])
    for row in rows:
        ws.append(row)
    wb.save(path)


# --------------------------------------------------------------------------
# Child process: one measurement


def child(measure: str, path: str) -> dict:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if measure == "parse":
        import python_calamine

        data = Path(path).read_bytes()
        start = time.perf_counter()
        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = sheet.get_sheet_by_index(0).to_python()
        seconds = time.perf_counter() - start
        return _report(measure, seconds, len(rows) - 1, peak_before)

    import django

    django.setup()
    from kleidi.people.models import School

    school = School.objects.get(code="el")
    data = Path(path).read_bytes()
    if measure == "read":
        from kleidi.sheets.reader import Limits, parse_sheet, read_sheet

        # Issue 8: the same read in this process and in the bounded child; best of five.
        limits = Limits.from_settings()
        read_sheet(data)
        in_process, in_child = [], []
        for _ in range(5):
            start = time.perf_counter()
            parse_sheet(data, limits)
            in_process.append(time.perf_counter() - start)
            start = time.perf_counter()
            table = read_sheet(data)
            in_child.append(time.perf_counter() - start)
        return _report(
            measure,
            min(in_child),
            len(table.rows) - 1,
            peak_before,
            in_process=round(min(in_process), 3),
            child_peak_mb=table.peak_mb,
        )
    if measure == "validate":
        from kleidi.sheets.services import validate_content

        # A long-running server has its imports, compiled patterns and phone metadata warm.
        warm = io.BytesIO()
        write_xlsx(make_rows(3), warm)
        validate_content(warm.getvalue(), school=school, kind="postgraduate")
        start = time.perf_counter()
        result = validate_content(data, school=school, kind="postgraduate")
        seconds = time.perf_counter() - start
        return _report(measure, seconds, result.rows, peak_before, errors=len(result.errors))
    if measure == "apply":
        from kleidi.accounts.models import Account
        from kleidi.sheets.apply import apply_table
        from kleidi.sheets.reader import read_sheet

        actor = Account.objects.get(username="grammateiael")
        start, cpu = time.perf_counter(), time.process_time()
        result = apply_table(read_sheet(data), school=school, kind="postgraduate", actor=actor)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert result.ok, result.errors[:3]
        return _report(
            measure,
            seconds,
            result.rows,
            peak_before,
            changes=result.changes(),
            cpu=round(cpu, 3),
            load=round(os.getloadavg()[0], 1),
        )
    if measure == "import_export":
        import tablib
        from import_export import resources

        from kleidi.people.models import Person
        from kleidi.sheets.reader import read_sheet

        class PersonResource(resources.ModelResource):
            class Meta:
                model = Person
                fields = (
                    "surname",
                    "given_name",
                    "father_name",
                    "mother_name",
                    "mobile",
                    "external_email",
                )
                import_id_fields = ("external_email",)

        start = time.perf_counter()
        table = read_sheet(data)
        person_columns = COLUMNS[:7]  # username .. external_email, as make_rows writes them
        dataset = tablib.Dataset(headers=person_columns)
        for _, cells in table.rows[1:]:
            dataset.append(cells[: len(person_columns)])
        outcome = PersonResource().import_data(dataset, dry_run=True)
        seconds = time.perf_counter() - start
        return _report(
            measure, seconds, len(dataset), peak_before, errors=int(outcome.has_errors())
        )
    raise SystemExit(f"unknown measure {measure}")


def _report(measure, seconds, rows, peak_before, **extra) -> dict:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "measure": measure,
        "seconds": round(seconds, 3),
        "rows": rows,
        "peak_mb": round(peak / 1024, 1),
        **extra,
    }


# --------------------------------------------------------------------------
# Parent: databases and the table


def prepare(env: dict) -> None:
    """Migrate and seed the demo schools and staff into a fresh database."""
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from kleidi.portal import demo; demo.seed()"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-import-export", action="store_true")
    parser.add_argument("--skip-apply", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MEASURE", "FILE"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        print(json.dumps(child(*args.child)))
        return

    with tempfile.TemporaryDirectory(prefix="kleidi-bench-") as tmp:
        tmpdir = Path(tmp)
        valid, invalid = tmpdir / "valid.xlsx", tmpdir / "invalid.xlsx"
        write_xlsx(make_rows(args.rows), valid)
        write_xlsx(make_rows(args.rows, invalid_every=20), invalid)
        databases = [("sqlite", f"sqlite:///{tmpdir / 'bench.sqlite3'}")]
        if not args.skip_postgres:
            if postgres(PG_DB, "create"):
                databases.append(("postgresql", f"postgres://postgres@127.0.0.1:5432/{PG_DB}"))
            else:
                print("PostgreSQL not reachable: skipped", file=sys.stderr)
        results = []
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
                parse = run_child(__file__, "parse", valid, env)
                steps = [
                    ("parse", valid),
                    ("read", valid),
                    ("validate", valid),
                    ("validate", invalid),
                ]
                if not args.skip_import_export:
                    steps.append(("import_export", valid))
                if not args.skip_apply:
                    steps.append(("apply", valid))
                for measure, path in steps:
                    row = parse if measure == "parse" else run_child(__file__, measure, path, env)
                    row = {**row, "database": name, "sheet": path.stem}
                    if measure != "parse":
                        row["x_parse"] = round(row["seconds"] / parse["seconds"], 1)
                    results.append(row)
                    print(json.dumps(row, ensure_ascii=False), flush=True)
        finally:
            if len(databases) > 1:
                postgres(PG_DB, "drop")
    print()
    print(f"{'database':<11}{'measure':<15}{'sheet':<9}{'seconds':>9}{'× parse':>9}{'peak MB':>9}")
    for row in results:
        print(
            f"{row['database']:<11}{row['measure']:<15}{row['sheet']:<9}"
            f"{row['seconds']:>9.3f}{row.get('x_parse', 1.0):>9}{row['peak_mb']:>9}"
        )


if __name__ == "__main__":
    main()
