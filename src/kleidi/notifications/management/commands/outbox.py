"""`kleidi outbox list|retry`: see what waits to be sent and send failed messages again (R30).

Bodies are never printed: they hold members' links. `--format json` prints
one object with a stable schema:

    list  -> {"messages": [{"id", "created_at", "template", "to", "subject",
                            "status", "attempts", "next_attempt_at",
                            "sent_at", "last_error"}]}
    retry -> {"requeued": <count>, "ids": [<id>, ...], "skipped": [<id>, ...]}
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kleidi.notifications.models import OutboxMessage, OutboxStatus
from kleidi.notifications.services import retry_failed


def _iso(value):
    return value.isoformat() if value else None


def _row(message: OutboxMessage) -> dict:
    return {
        "id": message.pk,
        "created_at": _iso(message.created_at),
        "template": message.template,
        "to": message.to,
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": _iso(message.next_attempt_at),
        "sent_at": _iso(message.sent_at),
        "last_error": message.last_error,
    }


class Command(BaseCommand):
    help = "List the outbox, or put failed messages back in the queue."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list messages, newest first")
        listing.add_argument("--status", choices=OutboxStatus.values, help="only this status")
        listing.add_argument("--template", help="only this template (e.g. reset)")
        listing.add_argument("--limit", type=int, default=50, help="at most this many (50)")
        listing.add_argument("--format", choices=["text", "json"], default="text")
        retry = sub.add_parser("retry", help="send failed (or the given) messages again now")
        retry.add_argument("ids", nargs="*", type=int, help="message ids (default: all failed)")
        retry.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action, **options):
        if action == "list":
            self._list(**options)
        else:
            self._retry(**options)

    def _list(self, *, status, template, limit, format, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        messages = OutboxMessage.objects.all()
        if status:
            messages = messages.filter(status=status)
        if template:
            messages = messages.filter(template=template)
        rows = [_row(m) for m in messages[:limit]]
        if format == "json":
            self.stdout.write(json.dumps({"messages": rows}, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write("The outbox is empty.")
            return
        for row in rows:
            line = (
                f"{row['id']:>6}  {row['created_at'][:19]}  {row['status']:<7}  "
                f"{row['attempts']:>2}  {row['template']:<18}  {row['to']}"
            )
            if row["last_error"]:
                line += f"  ({row['last_error'][:80]})"
            self.stdout.write(line)

    def _retry(self, *, ids, format, **options):
        with transaction.atomic():
            unsent = OutboxMessage.objects.exclude(status=OutboxStatus.SENT)
            chosen = unsent.filter(pk__in=ids) if ids else unsent.filter(status=OutboxStatus.FAILED)
            chosen_ids = sorted(chosen.values_list("pk", flat=True))
            unknown = sorted(set(ids) - set(chosen_ids))
            count = retry_failed(chosen_ids) if chosen_ids else 0
        if format == "json":
            self.stdout.write(
                json.dumps({"requeued": count, "ids": chosen_ids, "skipped": unknown})
            )
            return
        self.stdout.write(f"{count} message(s) queued again.")
        if unknown:
            self.stdout.write(f"Not queued (unknown or already sent): {unknown}")
