"""`kleidi registry import`: the student registry feed from the command line (R4, R6).

    kleidi registry import SOURCE [--dry-run] [--format json] [--school CODE ...]
                                  [--as USERNAME] [--language el|en]

SOURCE is a .csv/.xlsx/.xls/.ods file or the word `database` (the registry's
view, KLEIDI_REGISTRY_DATABASE_URL). The run takes the import's run lock
(kleidi.registry.lock), reads the feed, and previews it (`--dry-run`: nothing
changes but one audit event) or imports it.

Exit status, as `kleidi sheet`: 0 done, no record in `error`; 1 done, some
records in `error` (the others were applied); 2 nothing applied (unreadable
source, missing columns, not configured, another run holds the lock, more
records `missing` than the threshold allows, bad usage, or an unexpected
error: the import is one transaction). `--format json` prints exactly the
report's JSON on stdout (docs/registry.md, "The command line"), or
`{"ok": false, "error": {...}}`; only the progress bar (on a terminal) and a
crash's traceback go to stderr.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection
from django.utils import translation

from kleidi.accounts.models import Account
from kleidi.accounts.selectors import can_act_for_school, is_helpdesk
from kleidi.errors import CodedError, error, message
from kleidi.language import pick
from kleidi.people.models import School
from kleidi.registry import lock, services
from kleidi.registry.feed import read_feed

DONE, RECORD_ERRORS, NOTHING_APPLIED = 0, 1, 2
DATABASE_SOURCE = "database"

# Each situation's label in the summary table: (Greek, English), in the report's order.
SITUATIONS = {
    "create": ("νέος λογαριασμός", "new account"),
    "update": ("αλλαγή στοιχείων", "data changed"),
    "graduate": ("αποφοίτηση", "graduated"),
    "unchanged": ("χωρίς αλλαγή", "unchanged"),
    "waiting_email": ("αναμένει email", "waiting for an email"),
    "held": ("σε έλεγχο", "held for review"),
    "disputed": ("αμφισβητούμενη", "disputed"),
    "missing": ("λείπει από το αρχείο", "missing from the feed"),
    "error": ("σφάλμα", "error"),
}
# The records a person should look at, listed under the table, worst first.
ATTENTION = ("error", "disputed", "held", "missing", "waiting_email")

TEXT = {
    "preview": ("Προεπισκόπηση: δεν άλλαξε τίποτα.", "Preview: nothing was changed."),
    "imported": ("Η εισαγωγή ολοκληρώθηκε.", "Import done."),
    "records": ("εγγραφές", "records"),
    "situation": ("κατάσταση", "situation"),
    "count": ("πλήθος", "count"),
    "attention": ("Χρειάζονται προσοχή:", "Need attention:"),
    "record": ("εγγραφή", "record"),
    "review": ("στην ουρά ελέγχου", "in the review queue"),
    "to_review": ("για την ουρά ελέγχου", "for the review queue"),
    "reading": ("Ανάγνωση", "Reading"),
    "classifying": ("Έλεγχος", "Checking"),
    "importing": ("Εισαγωγή", "Importing"),
}


class Command(BaseCommand):
    help = "Preview or import the student registry feed (R4, R6; docs/registry.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        command = sub.add_parser("import", help="preview or import the registry feed")
        command.add_argument(
            "source", help=f"a .csv, .xlsx, .xls or .ods file, or {DATABASE_SOURCE!r}"
        )
        command.add_argument(
            "--dry-run", action="store_true", help="classify every record, change nothing"
        )
        command.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help="json: exactly the report on stdout (docs/registry.md)",
        )
        command.add_argument(
            "--school",
            action="append",
            default=[],
            metavar="CODE",
            help="only these schools' records and missing students (repeatable)",
        )
        command.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="the helpdesk operator (or a secretariat, for its own schools) recorded as actor",
        )
        command.add_argument(
            "--language", choices=["el", "en"], default=None, help="default: Greek"
        )

    def handle(self, *args, **options):
        language = options["language"] or translation.get_language()
        with translation.override(language):
            status = self._import(options)
        if status:
            sys.exit(status)

    def _import(self, options) -> int:
        as_json = options["format"] == "json"
        try:
            schools = _schools(options["school"])
            actor = _actor(options["as_user"], schools)
            source = _source(options["source"])
            with lock.held(), self._progress(quiet=as_json) as progress:
                progress.phase("reading")
                feed = read_feed(source)
                run = services.preview_feed if options["dry_run"] else services.import_feed
                progress.phase("classifying" if options["dry_run"] else "importing")
                report = run(feed, actor=actor, schools=schools, progress=progress.update)
        except CodedError as exc:
            self._refused(exc, as_json)
            return NOTHING_APPLIED
        except Exception as exc:
            # Python's own exit status for a traceback is 1, which means "done, some
            # records in error" here: a timer would take a crash for a good night.
            if isinstance(exc, DatabaseError) and not _tables_present():
                raise  # the console script says what to run (`database.not_set_up`, exit 3)
            self.stderr.write(traceback.format_exc())
            self._refused(error("registry.failed", error=type(exc).__name__), as_json)
            return NOTHING_APPLIED
        payload = report.as_json()
        if as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        else:
            self._summary(payload)
        if payload.get("refusal"):
            return NOTHING_APPLIED
        return report.exit_status

    def _refused(self, exc: CodedError, as_json: bool) -> None:
        """A source-level failure or a refusal: nothing was applied (exit 2)."""
        code, params = exc.code, dict(exc.params or {})
        text = message(code, params)
        if as_json:
            body = {"ok": False, "error": {"code": code, "message": text, "params": params}}
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))
        else:
            self.stderr.write(f"{code}: {text}")

    @contextlib.contextmanager
    def _progress(self, *, quiet: bool):
        """A rich progress bar on stderr when it is a terminal; otherwise nothing at all."""
        if quiet or not self.stderr.isatty():
            yield _Silent()
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            # The stream itself: OutputWrapper would end every control sequence with a newline.
            console=Console(file=getattr(self.stderr, "_out", sys.stderr)),
            transient=True,
        )
        with bar:
            yield _Bar(bar)

    def _summary(self, report: dict) -> None:
        write = self.stdout.write
        counts = report.get("counts") or {}
        write(f"{report.get('source', '')}: {report.get('records', 0)} {pick(TEXT['records'])}")
        width = max(len(pick(label)) for label in SITUATIONS.values()) + 2
        key = max(len(situation) for situation in SITUATIONS) + 2
        write(f"{pick(TEXT['situation']):<{width + key}}{pick(TEXT['count']):>8}")
        for situation, label in SITUATIONS.items():
            write(f"{pick(label):<{width}}{situation:<{key}}{counts.get(situation, 0):>8}")
        for warning in report.get("warnings") or []:
            write(f"{warning.get('code')}: {warning.get('message')}")
        rows = [o for o in report.get("outcomes") or [] if o.get("situation") in ATTENTION]
        rows.sort(key=lambda o: (ATTENTION.index(o["situation"]), o.get("record") or 0))
        if rows:
            write("")
            write(pick(TEXT["attention"]))
        for outcome in rows:
            write("  " + _attention_line(outcome, dry_run=bool(report.get("dry_run"))))
        if report.get("refusal"):
            refusal = report["refusal"]
            write("")
            write(f"{refusal.get('code')}: {refusal.get('message')}")
        write("")
        write(pick(TEXT["preview"] if report.get("dry_run") else TEXT["imported"]))


def _attention_line(outcome: dict, *, dry_run: bool) -> str:
    where = (
        f"{pick(TEXT['record'])} {outcome['record']}" if outcome.get("record") is not None else "—"
    )
    who = " ".join(
        part for part in (outcome.get("school"), outcome.get("registration_number")) if part
    )
    parts = [where, who, pick(SITUATIONS.get(outcome["situation"], (outcome["situation"],) * 2))]
    if outcome.get("username"):
        parts.append(outcome["username"])
    for entry in outcome.get("errors") or []:
        field = f"{entry['field']}: " if entry.get("field") else ""
        parts.append(f"{field}{entry.get('code')}: {entry.get('message', '')}")
    reason = outcome.get("reason")
    if reason:
        parts.append(f"{reason.get('code')}: {reason.get('message', '')}")
    if outcome.get("review"):
        parts.append(pick(TEXT["to_review" if dry_run else "review"]))
    return "  ".join(parts)


def _tables_present() -> bool:
    try:
        return School._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        return False


def _schools(codes: list[str]) -> list[School] | None:
    if not codes:
        return None
    found = {school.code: school for school in School.objects.filter(code__in=codes)}
    for code in codes:
        if code not in found:
            raise error("registry.no_such_school", value=code)
    return [found[code] for code in dict.fromkeys(codes)]


def _actor(username: str | None, schools: list[School] | None) -> Account | None:
    """The staff account the run is recorded under; the whole feed needs the helpdesk."""
    if not username:
        return None
    actor = Account.objects.filter(username__iexact=username).first()
    if actor is None:
        raise error("username.unknown", value=username)
    allowed = (
        is_helpdesk(actor)
        if schools is None
        else all(can_act_for_school(actor, school) for school in schools)
    )
    if not allowed:
        raise error("permission.school")
    return actor


def _source(source: str) -> str:
    if source != DATABASE_SOURCE and not Path(source).is_file():
        raise error("registry.no_such_file", value=source)
    return source


class _Silent:
    def phase(self, name: str) -> None:
        pass

    def update(self, done: int, total: int) -> None:
        pass


class _Bar:
    def __init__(self, bar) -> None:
        self.bar = bar
        self.task = None

    def phase(self, name: str) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(pick(TEXT[name]), total=None)

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)
