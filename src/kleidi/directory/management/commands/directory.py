"""`kleidi directory`: reconcile, push and the queue's status from the command line (R28).

    kleidi directory reconcile [--fix] [--restart] [--format json]
                               [--chunk-size N] [--pause SECONDS]
    kleidi directory push (USERNAME ... | --all) [--now] [--format json]
    kleidi directory status [--format json]
    kleidi directory sync [--format json]

`reconcile` compares every account with its entry and reports drift
(`--fix` converges it through the queue's code); an interrupted run is
continued by the next one, `--restart` starts over. Exit status: 0 in sync
(or every drift fixed), 1 drift found and not fixed (or an entry the
directory refused), 2 nothing done: the directory is off, unreachable (the
run continues next time from its last saved chunk) or an unexpected error.
`push` queues the accounts for the workers (`--now`: converges them here);
`status` is the queue's backlog; `sync` is the queue's safety net for a
timer: it queues again the sync tasks of dead workers, converges what is due
from this process and leaves a task waiting for the next due time.
`--format json` prints exactly one JSON document on stdout (docs/directory.md, "Reconcile"), or
`{"ok": false, "error": {...}}`.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.utils import translation

from kleidi.accounts.models import Account
from kleidi.directory import sync, tasks
from kleidi.directory.connection import DirectoryUnavailable
from kleidi.directory.models import ReconcileRun
from kleidi.directory.selectors import backlog
from kleidi.directory.services import provision as provisioning
from kleidi.directory.services import reconcile as reconciling
from kleidi.errors import CodedError, error, message
from kleidi.language import pick

IN_SYNC, DRIFT, NOTHING_DONE = 0, 1, 2
INTERRUPTED = 130  # the shell's status for Ctrl-C
# At most this many findings and unknown entries in the human summary; JSON has them all.
SHOWN = 100

# Each count's label in the summary, in the report's order: (Greek, English).
COUNTS = {
    "accounts": ("λογαριασμοί", "accounts"),
    "entries": ("εγγραφές καταλόγου", "directory entries"),
    "in_sync": ("συγχρονισμένοι", "in sync"),
    "missing": ("χωρίς εγγραφή", "missing entry"),
    "attribute_drift": ("διαφορά πεδίων", "attribute drift"),
    "lock_drift": ("διαφορά κλειδώματος", "lock drift"),
    "unknown_entries": ("άγνωστες εγγραφές", "unknown entries"),
    "failure_locked": ("κλειδωμένοι από αποτυχίες", "locked after failed binds"),
    "fixed": ("διορθώθηκαν", "fixed"),
    "errors": ("απορρίφθηκαν", "refused"),
}
TEXT = {
    "count": ("πλήθος", "count"),
    "findings": ("Διαφορές:", "Drift:"),
    "unknown": (
        "Εγγραφές που το Kleidi δεν γνωρίζει (δεν διαγράφονται):",
        "Entries Kleidi does not know (never deleted):",
    ),
    "more": ("… και %(n)s ακόμη (--format json)", "… and %(n)s more (--format json)"),
    "missing": ("λείπει η εγγραφή", "entry missing"),
    "lock": ("πρέπει να κλειδωθεί", "should be locked"),
    "unlock": ("πρέπει να ξεκλειδωθεί", "should be unlocked"),
    "failure_locked": ("κλειδωμένος από αποτυχίες σύνδεσης", "locked after failed binds"),
    "fixed": ("διορθώθηκε", "fixed"),
    "resumed": ("Συνέχεια διακοπείσας εκτέλεσης.", "Continued an interrupted run."),
    "in_sync": ("Ο κατάλογος συμφωνεί με το Kleidi.", "The directory agrees with Kleidi."),
    "all_fixed": ("Όλες οι διαφορές διορθώθηκαν.", "Every drift was fixed."),
    "drift": (
        "Βρέθηκαν διαφορές· --fix για διόρθωση.",
        "Drift found; --fix to converge it.",
    ),
    "refused": ("Ο κατάλογος απέρριψε αλλαγές.", "The directory refused some changes."),
    "reconciling": ("Σύγκριση", "Comparing"),
    "pushing": ("Προώθηση", "Pushing"),
    "queued": ("στην ουρά", "queued"),
    "converged": ("ενημερώθηκαν", "converged"),
    "pending": ("λογαριασμοί σε αναμονή", "accounts pending"),
    "failing": ("λογαριασμοί με σφάλμα", "accounts failing"),
    "oldest": ("παλαιότερη αλλαγή σε αναμονή (δευτ.)", "oldest pending change (s)"),
    "changes": ("αλλαγές στην ουρά", "changes queued"),
    "last_run": ("τελευταίος έλεγχος", "last reconcile"),
}


class Command(BaseCommand):
    help = "Reconcile the directory with Kleidi, push accounts, show the queue (R28)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("reconcile", help="report (and with --fix, converge) drift")
        run.add_argument("--fix", action="store_true", help="converge every drifted entry")
        run.add_argument(
            "--restart", action="store_true", help="discard an unfinished run, start over"
        )
        run.add_argument(
            "--chunk-size",
            type=int,
            default=None,
            metavar="N",
            help="accounts per chunk (default: KLEIDI_LDAP_SYNC_BATCH)",
        )
        run.add_argument(
            "--pause",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="wait between chunks, to spare a busy directory",
        )
        push = sub.add_parser("push", help="queue accounts for the directory (or --now)")
        push.add_argument("usernames", nargs="*", metavar="USERNAME")
        push.add_argument("--all", action="store_true", help="every account (initial provisioning)")
        push.add_argument("--now", action="store_true", help="converge here instead of queueing")
        sub.add_parser("status", help="the directory queue's backlog")
        sub.add_parser("sync", help="converge what is due here (the timer's safety net)")
        for command in (run, push, sub.choices["status"], sub.choices["sync"]):
            command.add_argument(
                "--format", choices=["text", "json"], default="text", help="json: one document"
            )
            command.add_argument(
                "--language", choices=["el", "en"], default=None, help="default: Greek"
            )

    def handle(self, *args, **options):
        language = options["language"] or translation.get_language()
        self.as_json = options["format"] == "json"
        action = getattr(self, f"_{options['action']}")
        with translation.override(language):
            try:
                status = action(options)
            except CommandError:
                raise
            except KeyboardInterrupt:
                self.stderr.write("interrupted: what was done is saved; the next run continues")
                status = INTERRUPTED
            except CodedError as exc:
                self._refused(exc)
                status = NOTHING_DONE
            except DirectoryUnavailable as exc:
                self.stderr.write(f"{exc}")
                self._refused(error("directory.unavailable"))
                status = NOTHING_DONE
            except Exception as exc:
                if isinstance(exc, DatabaseError) and not _tables_present():
                    raise  # the console script says what to run (`database.not_set_up`, exit 3)
                # Python's own status for a traceback is 1, "drift found" here.
                self.stderr.write(traceback.format_exc())
                self._refused(error("directory.failed", error=type(exc).__name__))
                status = NOTHING_DONE
        if status:
            sys.exit(status)

    # -- reconcile -------------------------------------------------------------------
    def _reconcile(self, options) -> int:
        if options["chunk_size"] is not None and options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1", returncode=NOTHING_DONE)
        with self._progress("reconciling") as progress:
            run = reconciling.reconcile(
                fix=options["fix"],
                restart=options["restart"],
                chunk_size=options["chunk_size"],
                pause=max(0.0, options["pause"]),
                progress=progress,
            )
        payload = reconciling.report(run)
        if self.as_json:
            self._json(payload)
        else:
            self._summary(payload)
        return IN_SYNC if reconciling.in_sync(run) else DRIFT

    def _summary(self, report: dict) -> None:
        write = self.stdout.write
        if report["resumed"]:
            write(pick(TEXT["resumed"]))
        width = max(len(pick(label)) for label in COUNTS.values()) + 2
        key = max(len(name) for name in COUNTS) + 2
        write(f"{'':<{width + key}}{pick(TEXT['count']):>8}")
        for name, label in COUNTS.items():
            write(f"{pick(label):<{width}}{name:<{key}}{report['counts'][name]:>8}")
        findings = report["findings"]
        if findings:
            write("")
            write(pick(TEXT["findings"]))
        for finding in findings[:SHOWN]:
            write("  " + _finding_line(finding))
        self._more(len(findings))
        unknown = report["unknown_entries"]
        if unknown:
            write("")
            write(pick(TEXT["unknown"]))
        for dn in unknown[:SHOWN]:
            write(f"  {dn}")
        self._more(len(unknown))
        counts = report["counts"]
        drifted = counts["accounts"] - counts["in_sync"]
        write("")
        if counts["errors"]:
            write(pick(TEXT["refused"]))
        elif not drifted:
            write(pick(TEXT["in_sync"]))
        elif report["fix"] and counts["fixed"] >= drifted:
            write(pick(TEXT["all_fixed"]))
        else:
            write(pick(TEXT["drift"]))

    def _more(self, total: int) -> None:
        if total > SHOWN:
            self.stdout.write("  " + pick(TEXT["more"]) % {"n": total - SHOWN})

    # -- push ------------------------------------------------------------------------
    def _push(self, options) -> int:
        usernames = options["usernames"]
        if options["all"] == bool(usernames):
            raise CommandError("give USERNAME ... or --all (not both)", returncode=NOTHING_DONE)
        if options["all"]:
            ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        else:
            found = dict(
                Account.objects.filter(username__in=usernames).values_list("username", "pk")
            )
            for username in usernames:
                if username not in found:
                    raise error("username.unknown", value=username)
            ids = list(found.values())
        with self._progress("pushing") as progress:
            result = provisioning.provision(ids, now=options["now"], progress=progress)
        names = dict(Account.objects.filter(pk__in=result["refused"]).values_list("pk", "username"))
        refused = {names.get(pk, str(pk)): text for pk, text in result["refused"].items()}
        if self.as_json:
            self._json({"ok": True, "now": options["now"], **result, "refused": refused})
        else:
            counts = result["counts"]
            labels = {
                "accounts": COUNTS["accounts"],
                "queued": TEXT["queued"],
                "in_sync": COUNTS["in_sync"],
                "converged": TEXT["converged"],
                "refused": COUNTS["errors"],
            }
            for name, label in labels.items():
                self.stdout.write(f"{pick(label):<28}{counts[name]:>8}")
            for username, text in sorted(refused.items()):
                self.stdout.write(f"  {username}: {text}")
        return DRIFT if refused else IN_SYNC

    # -- status ----------------------------------------------------------------------
    def _status(self, options) -> int:
        payload = {"ok": True, **backlog()}
        if not payload["enabled"]:
            raise error("directory.disabled")
        if self.as_json:
            self._json(payload)
            return IN_SYNC
        self.stdout.write(f"{pick(TEXT['pending']):<36}{payload['pending_accounts']:>10}")
        self.stdout.write(f"{pick(TEXT['changes']):<36}{payload['pending_changes']:>10}")
        self.stdout.write(f"{pick(TEXT['failing']):<36}{payload['failing_accounts']:>10}")
        self.stdout.write(f"{pick(TEXT['oldest']):<36}{payload['oldest_pending_seconds']:>10}")
        last = payload["reconcile"]
        if last:
            self.stdout.write(f"{pick(TEXT['last_run']):<36}{last['finished_at']}")
        return IN_SYNC

    # -- sync ------------------------------------------------------------------------
    def _sync(self, options) -> int:
        if not settings.LDAP_ENABLED:
            raise error("directory.disabled")
        orphans = tasks.recover_orphaned_syncs()
        totals: dict[str, int] = {}
        while True:
            counts = sync.sync_due()
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            if counts["claimed"] < settings.LDAP_SYNC_BATCH or counts["unavailable"]:
                break
        tasks.ensure_sync_scheduled()
        payload = {"ok": not totals.get("failed"), "orphaned_tasks": len(orphans), **totals}
        if self.as_json:
            self._json(payload)
        else:
            for key, value in payload.items():
                if key != "ok":
                    self.stdout.write(f"{key:<16}{value:>10}")
        if totals.get("unavailable"):
            return NOTHING_DONE
        return DRIFT if totals.get("failed") else IN_SYNC

    # -- output ----------------------------------------------------------------------
    def _json(self, payload: dict) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str))

    def _refused(self, exc: CodedError) -> None:
        code, params = exc.code, dict(exc.params or {})
        text = message(code, params)
        if self.as_json:
            self._json({"ok": False, "error": {"code": code, "message": text, "params": params}})
        else:
            self.stderr.write(f"{code}: {text}")

    @contextlib.contextmanager
    def _progress(self, phase: str):
        """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
        if self.as_json or not self.stderr.isatty():
            yield None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(file=getattr(self.stderr, "_out", sys.stderr)),
            transient=True,
        )
        with bar:
            task = bar.add_task(pick(TEXT[phase]), total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)


def _finding_line(finding: dict) -> str:
    parts = [finding["username"]]
    if finding["missing"]:
        parts.append(pick(TEXT["missing"]))
    if finding["attributes"]:
        parts.append(", ".join(finding["attributes"]))
    if finding["lock"]:
        parts.append(pick(TEXT[finding["lock"]]))
    if finding["failure_locked"]:
        parts.append(pick(TEXT["failure_locked"]))
    if finding["fixed"]:
        parts.append(f"({pick(TEXT['fixed'])})")
    if finding["error"]:
        parts.append(finding["error"])
    return "  ".join(parts)


def _tables_present() -> bool:
    try:
        return ReconcileRun._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        return False
