"""`kleidi expire_accounts`: the nightly lifecycle run (R21).

Marks accounts past their expiry as expired and sends the reminders due
today. Safe to run more than once a day: each reminder goes once.
"""

import json

from django.core.management.base import BaseCommand

from kleidi.accounts.services import expire_due_accounts, send_expiry_reminders


class Command(BaseCommand):
    help = "Expire accounts past their expiry date and send expiry reminders (run nightly)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, format, **options):
        expired = expire_due_accounts()
        reminded = send_expiry_reminders()
        if format == "json":
            payload = {
                "expired": expired,
                "reminded": [{"username": u, "days": d} for u, d in reminded],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(f"expired: {len(expired)} {' '.join(expired)}".rstrip())
        self.stdout.write(f"reminders: {len(reminded)}")
