"""`kleidi staff`: staff accounts and roles from the command line (issue 12 §3).

    kleidi staff list [--format json]
    kleidi staff create-secretariat USERNAME --surname S --given-name G --email E
                                    [--school CODE ...] [--format json] [--as USERNAME]
    kleidi staff grant USERNAME SCHOOL [--format json] [--as USERNAME]
    kleidi staff revoke USERNAME SCHOOL [--format json] [--as USERNAME]
    kleidi staff make-helpdesk USERNAME [--format json] [--as USERNAME]
    kleidi staff revoke-role USERNAME [--format json] [--as USERNAME]

Each action is one call of `kleidi.accounts.services` (staff, memberships),
audited; `--as` names the helpdesk operator recorded as its actor (default:
"system", the server's own operator). Exit status, as `kleidi registry`: 0
done; 2 nothing changed (a refusal with its code: an unknown username or
school, granting what is already granted, revoking what is not, bad usage,
or an unexpected error). `--format json` prints exactly one JSON document on
stdout: `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message",
"params"}}` (docs/operations.md, "Staff").
"""

from __future__ import annotations

import json
import sys
import traceback

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection
from django.utils import translation

from kleidi.accounts import services
from kleidi.accounts.models import Account
from kleidi.accounts.selectors import is_helpdesk, staff_accounts
from kleidi.errors import CodedError, error, message
from kleidi.language import pick
from kleidi.people.models import School

DONE, NOTHING_CHANGED = 0, 2

TEXT = {
    "created": ("Δημιουργήθηκε ο λογαριασμός γραμματείας", "Secretariat account created"),
    "granted": ("Ανατέθηκε η σχολή", "Membership granted"),
    "revoked": ("Αφαιρέθηκε η σχολή", "Membership revoked"),
    "helpdesk": ("Έγινε χειριστής helpdesk", "Now a helpdesk operator"),
    "unrole": ("Αφαιρέθηκε ο ρόλος", "Staff role revoked"),
    "none": ("Κανένας λογαριασμός προσωπικού.", "No staff accounts."),
    "all_schools": ("όλες οι σχολές", "every school"),
}


def _common(parser: CommandParser, *, actor: bool = True) -> None:
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--language", choices=["el", "en"], default=None, help="default: Greek")
    if actor:
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="the helpdesk operator recorded as the actor (default: system)",
        )


class Command(BaseCommand):
    help = "Staff accounts, school memberships and helpdesk roles (docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        _common(sub.add_parser("list", help="staff accounts and their schools"), actor=False)
        create = sub.add_parser("create-secretariat", help="a pending secretariat account")
        create.add_argument("username")
        create.add_argument("--surname", required=True)
        create.add_argument("--given-name", required=True)
        create.add_argument("--email", required=True, help="external email (R1)")
        create.add_argument("--school", action="append", default=[], metavar="CODE")
        _common(create)
        for name, text in (("grant", "grant a school"), ("revoke", "revoke a school")):
            command = sub.add_parser(name, help=text)
            command.add_argument("username")
            command.add_argument("school", metavar="SCHOOL")
            _common(command)
        for name, text in (
            ("make-helpdesk", "make a staff account a helpdesk operator"),
            ("revoke-role", "revoke a staff role"),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("username")
            _common(command)

    def handle(self, *args, **options):
        language = options["language"] or translation.get_language()
        with translation.override(language):
            status = self._run(options)
        if status:
            sys.exit(status)

    def _run(self, options) -> int:
        as_json = options["format"] == "json"
        try:
            payload, summary = self._act(options)
        except CodedError as exc:
            self._refused(exc, as_json)
            return NOTHING_CHANGED
        except Exception as exc:
            if isinstance(exc, DatabaseError) and not _tables_present():
                raise  # the console script says what to run (`database.not_set_up`, exit 3)
            self.stderr.write(traceback.format_exc())
            self._refused(error("staff.failed", error=type(exc).__name__), as_json)
            return NOTHING_CHANGED
        if as_json:
            body = {"ok": True, **payload}
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))
        else:
            for line in summary:
                self.stdout.write(line)
        return DONE

    def _act(self, options) -> tuple[dict, list[str]]:
        action = options["action"]
        if action == "list":
            rows = [_row(account) for account in staff_accounts()]
            return {"staff": rows}, [_line(row) for row in rows] or [pick(TEXT["none"])]
        audit = {"actor": _actor(options.get("as_user"))}
        if action == "create-secretariat":
            schools = [_school(code) for code in options["school"]]
            account = services.create_secretariat(
                username=options["username"],
                surname=options["surname"],
                given_name=options["given_name"],
                email=options["email"],
                schools=schools,
                **audit,
            )
            key = "created"
        else:
            account = _account(options["username"])
            if action == "grant":
                services.add_membership(account, _school(options["school"]), **audit)
                key = "granted"
            elif action == "revoke":
                services.revoke_membership(account, _school(options["school"]), **audit)
                key = "revoked"
            elif action == "make-helpdesk":
                account = services.make_helpdesk(account, **audit)
                key = "helpdesk"
            else:
                account = services.revoke_role(account, **audit)
                key = "unrole"
        row = _row(staff_or_account(account))
        return {"action": action, "account": row}, [f"{pick(TEXT[key])}: {_line(row)}"]

    def _refused(self, exc: CodedError, as_json: bool) -> None:
        code, params = exc.code, dict(exc.params or {})
        text = message(code, params)
        if as_json:
            body = {"ok": False, "error": {"code": code, "message": text, "params": params}}
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))
        else:
            self.stderr.write(f"{code}: {text}")


def staff_or_account(account: Account) -> Account:
    """The account read again with its schools (a revoked role has left the staff list)."""
    return Account.objects.prefetch_related("memberships__school").get(pk=account.pk)


def _row(account: Account) -> dict:
    return {
        "username": account.username,
        "role": account.role,
        "state": account.state,
        "schools": sorted(m.school.code for m in account.memberships.all()),
    }


def _line(row: dict) -> str:
    schools = ", ".join(row["schools"]) or (
        pick(TEXT["all_schools"]) if row["role"] == "helpdesk" else "—"
    )
    return f"{row['username']}  {row['role'] or '—'}  {row['state']}  {schools}"


def _account(username: str) -> Account:
    account = Account.objects.filter(username__iexact=username).first()
    if account is None:
        raise error("username.unknown", value=username)
    return account


def _school(code: str) -> School:
    school = School.objects.filter(code=code).first()
    if school is None:
        raise error("staff.no_such_school", value=code)
    return school


def _actor(username: str | None) -> Account | None:
    if not username:
        return None
    actor = _account(username)
    if not is_helpdesk(actor):
        raise error("permission.school")
    return actor


def _tables_present() -> bool:
    try:
        return School._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        return False
