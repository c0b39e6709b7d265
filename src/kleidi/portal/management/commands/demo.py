"""`kleidi demo`: migrate, seed the demo data, serve the portal and run the worker."""

import os
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kleidi.portal import demo


class Command(BaseCommand):
    help = "Run Kleidi's demo on 127.0.0.1 (SQLite under var/, mail shown at /demo/mailbox/)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1")
        parser.add_argument("--seed-only", action="store_true", help="migrate and seed, then exit")

    def handle(self, *args, port, seed_only, **options):
        if not settings.DEMO_MODE:
            raise CommandError("run the demo as `kleidi demo` (it sets KLEIDI_DEMO)")
        if not 1024 <= port <= 65535:
            raise CommandError("--port must be between 1024 and 65535")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        created = demo.seed()
        self.stdout.write("Demo data " + ("created." if created else "already present."))
        if seed_only:
            return
        base = f"http://127.0.0.1:{port}"
        if not os.environ.get("BASE_URL"):
            # Links in the demo's messages must reach this server (R24).
            settings.BASE_URL = base
        self._print_tour(base)
        worker = self._start_worker()
        try:
            call_command(
                "runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True
            )
        finally:
            worker.running = False

    def _start_worker(self):
        """The task worker runs in a thread of this process (DESIGN §5)."""
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=["*"],
            interval=0.5,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="demo-worker",
            excluded_queue_names=[],
        )
        threading.Thread(target=worker.run, name="kleidi-worker", daemon=True).start()
        return worker

    def _print_tour(self, base: str) -> None:
        lines = [
            "",
            "Kleidi demo",
            f"  portal          {base}/",
            f"  forgot password {base}/password/forgot/",
            f"  sign in         {base}/accounts/login/",
            f"  demo mailbox    {base}/demo/mailbox/",
            f"  console         {base}/console/",
            f"  sheets          {base}/sheets/",
            "",
            f"Members (password: {demo.MEMBER_PASSWORD!r}):",
            "  gpapadopoulos  postgraduate, active   giorgos.papadopoulos@example.com",
            "  el21042        undergraduate, active  eleni.konstantinou@example.com",
            "  kbakogianni    PhD, expired           katerina.bakogianni@example.com",
            "  el24001        undergraduate, pending (activate via forgot password)",
            "  el17007        retired graduate;  salexiou  postgraduate of ch",
            f"Staff (password: {demo.STAFF_PASSWORD!r}):",
            "  helpdesk (all schools), grammateiael (school el), grammateiach (school ch)",
            "",
            "The registry's demo feed (every situation; welcomes appear in the mailbox):",
            f"  kleidi --demo registry import {_shown(demo.REGISTRY_FEED)}",
            "",
            "Ctrl-C stops everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))


def _shown(path: Path) -> str:
    """The path as the README writes it when run from the checkout, else in full."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
