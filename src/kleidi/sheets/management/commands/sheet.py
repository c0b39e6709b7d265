"""`kleidi sheet validate|apply|template`: the secretariat sheets from the command line.

    kleidi sheet validate FILE --school CODE --kind postgraduate|phd|renewal [--format json]
    kleidi sheet apply FILE --school CODE --kind ... --as USERNAME [--format json]
    kleidi sheet template --kind ... [--output FILE]
    kleidi sheet recover [--format json]

Exit status: 0 valid or applied, 1 invalid, 2 unreadable or bad usage. The
JSON schema is documented in docs/sheets.md.
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kleidi.accounts.models import Account
from kleidi.accounts.selectors import can_act_for_school
from kleidi.errors import message
from kleidi.people.models import School
from kleidi.sheets import services
from kleidi.sheets.models import SheetKind
from kleidi.sheets.reader import SheetError
from kleidi.sheets.validation import Result, render

READER_CODES = frozenset(
    {
        "sheet.unreadable",
        "sheet.too_large",
        "sheet.too_complex",
        "sheet.too_many_rows",
        "sheet.too_many_columns",
    }
)


def as_json(result: Result, language: str | None = None) -> dict:
    """The stable JSON schema of docs/sheets.md."""
    return {
        "ok": result.ok,
        "rows": result.rows,
        "errors": [
            {
                "row": e["row"],
                "column": e["column"],
                "code": e["code"],
                "message": render(e, language),
                "value": e.get("value", ""),
                "params": e.get("params") or {},
            }
            for e in result.errors
        ],
        "warnings": [{"code": w["code"], "message": render(w, language)} for w in result.warnings],
        "outcomes": [
            {"row": o["row"], "action": o["action"], "username": o["username"]}
            for o in result.outcomes
        ],
    }


def exit_status(result: Result) -> int:
    if result.ok:
        return 0
    if any(e["code"] in READER_CODES for e in result.errors):
        return 2
    return 1


class Command(BaseCommand):
    help = "Validate or apply a secretariat sheet, or write a blank template (R8–R20)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("validate", "apply"):
            command = sub.add_parser(name, help=f"{name} a sheet")
            command.add_argument("file", help="the .xlsx, .xls, .ods or .csv file")
            command.add_argument("--school", required=True, help="school code, e.g. el")
            command.add_argument("--kind", required=True, choices=SheetKind.values)
            command.add_argument(
                "--as",
                dest="as_user",
                required=name == "apply",
                help="a secretariat account of that school, or a helpdesk operator",
            )
            command.add_argument("--format", choices=["text", "json"], default="text")
            command.add_argument("--language", choices=["el", "en"], default=None)
        recover = sub.add_parser(
            "recover", help="mark applies whose process died as interrupted (for a timer)"
        )
        recover.add_argument("--format", choices=["text", "json"], default="text")
        template = sub.add_parser("template", help="write a blank template")
        template.add_argument("--kind", required=True, choices=SheetKind.values)
        template.add_argument("--output", help="file to write (default: kleidi-<kind>.xlsx)")

    def handle(self, *args, **options):
        if options["action"] == "template":
            return self._template(options)
        if options["action"] == "recover":
            return self._recover(options)
        school = School.objects.filter(code=options["school"]).first()
        if school is None:
            raise CommandError(f"unknown school {options['school']!r}", returncode=2)
        actor = None
        if options.get("as_user"):
            actor = Account.objects.filter(username__iexact=options["as_user"]).first()
            if actor is None or not can_act_for_school(actor, school):
                raise CommandError(message("permission.school", language="en"), returncode=2)
        path = Path(options["file"])
        try:
            if path.stat().st_size > settings.SHEET_MAX_BYTES:
                content = b""  # refused below without reading it
                too_large = True
            else:
                content = path.read_bytes()
                too_large = False
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
        kind = options["kind"]
        if too_large:
            result = services.sheet_error_result(
                kind,
                SheetError("sheet.too_large", max_mb=max(1, settings.SHEET_MAX_BYTES // 2**20)),
            )
        elif options["action"] == "validate":
            result = services.validate_file(
                content, school=school, kind=kind, actor=actor, filename=path.name
            )
        else:
            upload = services.upload_sheet(
                content=content, filename=path.name, school=school, kind=kind, actor=actor
            )
            if upload.error_count:
                result = _stored(upload)
            else:
                result = services.apply_upload(upload, actor=actor)
        self._report(result, options)
        status = exit_status(result)
        if status:
            sys.exit(status)

    def _report(self, result: Result, options) -> None:
        language = options.get("language")
        if options["format"] == "json":
            self.stdout.write(json.dumps(as_json(result, language), ensure_ascii=False, indent=2))
            return
        for entry in result.errors:
            where = f"row {entry['row']}" if entry["row"] is not None else "sheet"
            column = f" {entry['column']}" if entry["column"] else ""
            self.stdout.write(f"{where}{column}: {entry['code']}: {render(entry, language)}")
        for warning in result.warnings:
            self.stdout.write(f"note: {render(warning, language)}")
        counts = result.actions()
        summary = ", ".join(f"{action} {count}" for action, count in counts.items()) or "-"
        state = "ok" if result.ok else f"{len(result.errors)} errors"
        self.stdout.write(f"{result.rows} rows: {state}; {summary}")

    def _recover(self, options):
        """The sweep: the same check the pages make lazily, so the uploader is told at once."""
        recovered = services.recover_stale_uploads()
        if options["format"] == "json":
            payload = {"interrupted": [str(u.pk) for u in recovered]}
            self.stdout.write(json.dumps(payload))
            return
        for upload in recovered:
            self.stdout.write(f"interrupted: {upload.pk} {upload.filename} ({upload.school.code})")
        self.stdout.write(f"{len(recovered)} interrupted applies")

    def _template(self, options):
        from kleidi.sheets import reports  # openpyxl, only for the template

        kind = options["kind"]
        output = Path(options.get("output") or f"kleidi-{kind}.xlsx")
        output.write_bytes(reports.template_workbook(kind, max_years=settings.RENEWAL_MAX_YEARS))
        self.stdout.write(str(output))


def _stored(upload) -> Result:
    stored = upload.result or {}
    result = Result(kind=upload.kind, rows=stored.get("rows", 0))
    result.errors = stored.get("errors", [])
    result.warnings = stored.get("warnings", [])
    result.outcomes = stored.get("outcomes", [])
    return result
