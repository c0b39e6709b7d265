"""`kleidi outbox list|retry|deliver`: see what waits, queue it again, deliver now (R30).

Bodies are never printed: they hold members' links. `--format json` prints
one object with a stable schema:

    list  -> {"messages": [{"id", "created_at", "template", "to", "subject",
                            "status", "attempts", "next_attempt_at",
                            "sent_at", "last_error"}]}
    retry -> {"requeued": <count>, "ids": [<id>, ...], "skipped": [<id>, ...]}
    deliver -> {"sent", "retried", "failed": <count>, "orphaned_tasks": [<task id>, ...],
                "next_due": <time or null>}

`deliver` is the timer's safety net (docs/operations.md): it queues again the
delivery tasks of killed workers, sends what is due from this process and
leaves a task waiting for the next due time.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from kleidi.notifications.delivery import next_due
from kleidi.notifications.models import OutboxMessage, OutboxStatus
from kleidi.notifications.services import retry_unsent
from kleidi.notifications.tasks import deliver_due, recover_orphaned_deliveries

BATCH = 100


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
    help = "List the outbox, put unsent messages back in the queue, or deliver what is due."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list messages, newest first")
        listing.add_argument("--status", choices=OutboxStatus.values, help="only this status")
        listing.add_argument("--template", help="only this template (e.g. reset)")
        listing.add_argument("--limit", type=int, default=50, help="at most this many (50)")
        listing.add_argument("--format", choices=["text", "json"], default="text")
        retry = sub.add_parser("retry", help="send unsent (or the given) messages again now")
        retry.add_argument(
            "ids", nargs="*", type=int, help="message ids (default: all waiting or failed)"
        )
        retry.add_argument("--format", choices=["text", "json"], default="text")
        deliver = sub.add_parser("deliver", help="deliver what is due now (for a timer)")
        deliver.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action, **options):
        if action == "list":
            self._list(**options)
        elif action == "retry":
            self._retry(**options)
        else:
            self._deliver(**options)

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
        chosen_ids, unknown = retry_unsent(ids)
        count = len(chosen_ids)
        if format == "json":
            self.stdout.write(
                json.dumps({"requeued": count, "ids": chosen_ids, "skipped": unknown})
            )
            return
        self.stdout.write(f"{count} message(s) queued again.")
        if unknown:
            self.stdout.write(f"Not queued (unknown, being sent or already sent): {unknown}")

    def _deliver(self, *, format, **options):
        orphans = recover_orphaned_deliveries()
        totals = {"sent": 0, "retried": 0, "failed": 0}
        while True:
            counts = deliver_due(limit=BATCH)
            for key, value in counts.items():
                totals[key] += value
            if sum(counts.values()) < BATCH:
                break
        due = next_due()
        if format == "json":
            result = {**totals, "orphaned_tasks": orphans, "next_due": _iso(due)}
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{totals['sent']} sent, {totals['retried']} to retry, {totals['failed']} failed."
        )
        if orphans:
            self.stdout.write(f"Delivery tasks of dead workers queued again: {len(orphans)}")
        if due:
            self.stdout.write(f"Next delivery due at {due.isoformat()}.")
