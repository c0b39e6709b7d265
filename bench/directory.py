"""Benchmark of the directory connector (issue 11, item 7): 40,000 accounts in a private slapd.

    uv run python bench/directory.py [--accounts 40000] [--skip-postgres] [--skip-sqlite]

For each database (SQLite in a temporary file; PostgreSQL at 127.0.0.1:5432,
user postgres, in the database `kleidi_console`, created and
dropped here) and a fresh `PrivateSlapd` (Debian's slapd, back_mdb) in a
temporary directory, every measurement runs in a fresh child process, so its
peak memory (ru_maxrss) is its own:

1. `seed` (not a target): the registry feed of bench/registry.py imported with
   the directory OFF (no queue rows), then 1% of the accounts disabled
   through the account service, so that their entries carry Kleidi's lock;
2. `provision`: the directory ON; every account queued as `kleidi directory
   push --all` does (`services.queue.queue_accounts`, one INSERT), then the
   worker's task body (`sync.sync_due`) run until the queue is empty: every
   entry created. Target ≤ 120 s;
3. `tamper` (not a target): 1% of the entries changed behind Kleidi's back with
   the directory team's identity: a third get a new `sn`, a third are
   deleted, a third (disabled accounts) lose `pwdAccountLockedTime`;
4. `reconcile`: `kleidi directory reconcile --format json --restart`, the
   report; target ≤ 60 s;
5. `fix`: `kleidi directory reconcile --fix --format json --restart`; target ≤ 60 s;
6. `verify` (not a target): the report again, which must find nothing.

Peak RSS target ≤ 300 MB per process (slapd's own peak is shown apart, and
slapd's CPU time during each measure: with the child's own CPU time, the
figures that do not depend on what else runs on the machine).
Prints a JSON line per measurement and a table.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from common import postgres, run_child

from registry import make_records, prepare, write_csv

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "kleidi_console"  # this helper's own database (dropped and created here)
TARGETS = {"provision": 120.0, "reconcile": 60.0, "fix": 60.0}
PEAK_MB = 300
DISABLED_EVERY = 100  # 1% of the accounts are disabled before provisioning
TAMPER_EVERY = 100  # and 1% of the entries tampered with afterwards


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------
# Child processes


def seed(path: Path) -> dict:
    from kleidi.accounts.models import Account
    from kleidi.accounts.services import disable_account
    from kleidi.registry.feed import read_feed
    from kleidi.registry.services import import_feed

    import_feed(read_feed(str(path / "feed.csv")))
    disabled = 0
    for account in Account.objects.order_by("pk")[::DISABLED_EVERY]:
        disable_account(account, actor=None, reason="bench")
        disabled += 1
    return {"accounts": Account.objects.count(), "disabled": disabled}


def provision(path: Path) -> dict:
    from django.db import transaction

    from kleidi.accounts.models import Account
    from kleidi.directory import sync
    from kleidi.directory.models import DirectoryChange
    from kleidi.directory.services.queue import queue_accounts

    start = time.perf_counter()
    with transaction.atomic():
        queued = queue_accounts(Account.objects.values_list("pk", flat=True), "directory.initial")
    queue_s = time.perf_counter() - start
    totals: dict[str, int] = {}
    passes = 0
    while DirectoryChange.objects.exists():
        done = sync.sync_due()
        passes += 1
        for key, value in done.items():
            totals[key] = totals.get(key, 0) + value
        if not any(done.values()):
            raise SystemExit(f"no progress after {passes} passes: {totals}")
    return {"queued": queued, "queue_s": round(queue_s, 3), "passes": passes, "counts": totals}


def tamper(path: Path) -> dict:
    """Change 1% of the entries as the directory team could: sn, a deleted entry, a lock."""
    from ldap3 import MODIFY_DELETE, MODIFY_REPLACE, Connection

    from kleidi.accounts.models import Account, AccountState
    from kleidi.directory import slapd
    from kleidi.directory.mapping import LOCK_ATTRIBUTE, entry_dn

    secrets = json.loads((path / "admin.json").read_text())
    conn = Connection(secrets["url"], slapd.ADMIN_DN, secrets["password"], auto_bind=True)
    usernames = list(Account.objects.order_by("pk").values_list("username", flat=True))
    locked = list(
        Account.objects.filter(state=AccountState.DISABLED)
        .order_by("pk")
        .values_list("username", flat=True)
    )
    share = len(usernames) // TAMPER_EVERY
    third = share // 3
    # Not the disabled ones (every DISABLED_EVERY-th account from the first).
    active = [u for i, u in enumerate(usernames) if i % DISABLED_EVERY][: share - third]
    done = {"sn": 0, "deleted": 0, "unlocked": 0}
    for username in active[: share - 2 * third]:
        done["sn"] += conn.modify(entry_dn(username), {"sn": [(MODIFY_REPLACE, ["Tampered"])]})
    for username in active[share - 2 * third :]:
        done["deleted"] += conn.delete(entry_dn(username))
    for username in locked[:third]:
        done["unlocked"] += conn.modify(entry_dn(username), {LOCK_ATTRIBUTE: [(MODIFY_DELETE, [])]})
    conn.unbind()
    return {"tampered": sum(done.values()), **done}


def reconcile(path: Path, *options: str) -> dict:
    from django.core.management import call_command

    out = io.StringIO()
    code = 0
    start = time.perf_counter()
    try:
        with redirect_stdout(out):
            call_command("directory", "reconcile", "--format", "json", "--restart", *options)
    except SystemExit as exit_:
        code = exit_.code or 0
    seconds = time.perf_counter() - start
    report = json.loads(out.getvalue())
    return {"seconds_in": round(seconds, 3), "exit": code, "counts": report["counts"]}


MEASURES = {
    "seed": seed,
    "provision": provision,
    "tamper": tamper,
    "reconcile": reconcile,
    "fix": lambda path: reconcile(path, "--fix"),
    "verify": reconcile,
}


def child(measure: str, path: str) -> dict:
    import django

    django.setup()
    profile = os.environ.get("KLEIDI_BENCH_PROFILE")
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    cpu = time.process_time()
    result = MEASURES[measure](Path(path))
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    if profile:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{measure}")
    return {
        "measure": measure,
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu_s, 3),
        "peak_mb": _peak_mb(),
        **result,
    }


# --------------------------------------------------------------------------
# Parent


def slapd_peak_mb(server) -> float | None:
    try:
        status = Path(f"/proc/{server.process.pid}/status").read_text()
    except (OSError, AttributeError):
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def slapd_cpu_s(server) -> float:
    """slapd's own CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_database(name: str, url: str, tmpdir: Path, results: list) -> None:
    from kleidi.directory.slapd import PrivateSlapd

    base = {
        **os.environ,
        "DATABASE_URL": url,
        "KLEIDI_VAR_DIR": str(tmpdir),
        "KLEIDI_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "kleidi.settings",
    }
    base = {k: v for k, v in base.items() if not k.startswith("KLEIDI_LDAP_")}
    prepare(base)
    rows = [run_child(__file__, "seed", tmpdir, base)]
    server = PrivateSlapd(tmpdir / f"slapd-{name}").start()
    try:
        (tmpdir / "admin.json").write_text(
            json.dumps({"url": server.url, "password": server.admin_password})
        )
        env = {**base, **server.environment()}
        for measure in ("provision", "tamper", "reconcile", "fix", "verify"):
            before = slapd_cpu_s(server)
            row = run_child(__file__, measure, tmpdir, env)
            rows.append({**row, "slapd_cpu_s": round(slapd_cpu_s(server) - before, 2)})
        slapd_mb = slapd_peak_mb(server)
    finally:
        server.stop()
        (tmpdir / "admin.json").unlink(missing_ok=True)
    for row in rows:
        row = {**row, "database": name, "slapd_peak_mb": slapd_mb, "load": os.getloadavg()[0]}
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=40_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="cProfile each child into PREFIX.<measure>"
    )
    parser.add_argument("--child", nargs=2, metavar=("MEASURE", "DIR"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        print(json.dumps(child(*args.child), ensure_ascii=False))
        return

    if args.profile:
        os.environ["KLEIDI_BENCH_PROFILE"] = str(Path(args.profile).resolve())
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kleidi-bench-directory-") as tmp:
        tmpdir = Path(tmp)
        write_csv(make_records(args.accounts), tmpdir / "feed.csv")
        if not args.skip_sqlite:
            run_database("sqlite", f"sqlite:///{tmpdir / 'bench.sqlite3'}", tmpdir, results)
        if not args.skip_postgres:
            if postgres(PG_DB, "create"):
                try:
                    url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
                    run_database("postgresql", url, tmpdir, results)
                finally:
                    postgres(PG_DB, "drop")
            else:
                print("PostgreSQL not reachable: skipped", file=sys.stderr)
    print()
    print(
        f"{'database':<11}{'measure':<11}{'seconds':>9}{'target':>8}{'CPU s':>8}"
        f"{'slapd CPU':>10}{'peak MB':>9}{'slapd MB':>10}  met  load"
    )
    for row in results:
        target = TARGETS.get(row["measure"])
        met = "" if target is None else ("yes" if row["seconds"] <= target else "NO")
        if target is not None and row["peak_mb"] > PEAK_MB:
            met = "NO"
        print(
            f"{row['database']:<11}{row['measure']:<11}{row['seconds']:>9.2f}"
            f"{target if target is not None else '':>8}{row['cpu_s']:>8.2f}"
            f"{row.get('slapd_cpu_s', ''):>10}{row['peak_mb']:>9}"
            f"{row['slapd_peak_mb'] or '':>10}  {met:<3}  {row['load']:.1f}"
        )


if __name__ == "__main__":
    main()
