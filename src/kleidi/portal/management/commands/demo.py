"""`kleidi demo`: migrate, seed the demo data, serve the portal and run the worker.

With `--directory` it also runs a private slapd under `<var>/demo-directory/`
(its data kept between runs), provisions every account into it, and writes
`settings.json` there so that `kleidi --demo <command>` in another terminal
uses the same directory while it runs (docs/directory.md).
"""

import json
import os
import signal
import sys
import threading
from contextlib import contextmanager, nullcontext
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
        parser.add_argument(
            "--directory",
            action="store_true",
            help="run a private slapd (Debian's) and provision every account into it",
        )

    def handle(self, *args, port, seed_only, directory, **options):
        if not settings.DEMO_MODE:
            raise CommandError("run the demo as `kleidi demo` (it sets KLEIDI_DEMO)")
        if not 1024 <= port <= 65535:
            raise CommandError("--port must be between 1024 and 65535")
        with self._directory() if directory else nullcontext() as server:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable", verbosity=0)
            created = demo.seed()
            self.stdout.write("Demo data " + ("created." if created else "already present."))
            if server is not None:
                self._provision()
            if seed_only:
                return
            base = f"http://127.0.0.1:{port}"
            if not os.environ.get("BASE_URL"):
                # Links in the demo's messages must reach this server (R24).
                settings.BASE_URL = base
            self._print_tour(base, server)
            worker = self._start_worker()
            try:
                call_command(
                    "runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True
                )
            finally:
                worker.running = False

    @contextmanager
    def _directory(self):
        """The demo's slapd, running, with Kleidi's settings pointed at it until the demo ends."""
        from kleidi.directory import slapd

        if not slapd.available():
            raise CommandError(
                "--directory needs Debian's slapd: apt-get install slapd ldap-utils "
                "(or run the demo without --directory)"
            )
        if settings.LDAP_URLS and not settings.DEMO_DIRECTORY:
            raise CommandError("KLEIDI_LDAP_URL is set: the demo runs its own directory")
        root = Path(settings.VAR_DIR) / "demo-directory"
        try:
            server = slapd.PrivateSlapd.reopen(root).start()
        except RuntimeError as exc:
            raise CommandError(f"the demo's directory did not start: {exc}") from None
        state = root / "settings.json"
        if threading.current_thread() is threading.main_thread():
            # `kill <pid>` stops the demo as Ctrl-C does: slapd stopped, settings.json removed.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            for name, value in server.settings().items():
                setattr(settings, name, value)
            settings.DEMO_DIRECTORY = True
            # Written whole, then renamed: a command starting meanwhile never reads half of it.
            partial = root / "settings.json.partial"
            partial.write_text(
                json.dumps(
                    {
                        "url": server.url,
                        "bind_dn": slapd.SERVICE_DN,
                        "password_file": str(server.password_file),
                        "base_dn": slapd.PEOPLE,
                        "pid": server.process.pid,
                    }
                ),
                encoding="utf-8",
            )
            partial.chmod(0o600)
            partial.replace(state)
            self.stdout.write(f"Demo directory: {server.url} (data in {root})")
            yield server
        finally:
            state.unlink(missing_ok=True)
            server.stop()

    def _provision(self) -> None:
        """Queue every account once; the worker converges them into the directory."""
        from django.db import transaction

        from kleidi.accounts.models import Account
        from kleidi.directory.services.queue import queue_accounts

        with transaction.atomic():
            queued = queue_accounts(
                Account.objects.values_list("pk", flat=True), "directory.initial"
            )
        self.stdout.write(f"Directory: {queued} accounts queued for provisioning.")

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

    def _print_tour(self, base: str, server=None) -> None:
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
        ]
        if server is not None:
            lines += _directory_tour(server)
        lines += ["Ctrl-C stops everything.", ""]
        self.stdout.write("\n".join(lines))


def _directory_tour(server) -> list[str]:
    from kleidi.directory import slapd

    member = f"uid=el21042,{slapd.PEOPLE}"
    return [
        f"The demo's directory ({server.url}, kept in {server.root}):",
        f"  ldapsearch -x -H {server.url} -b {slapd.PEOPLE} uid=el21042",
        f"  ldapsearch -x -H {server.url} -D {slapd.SERVICE_DN} -y {server.password_file} \\",
        f"      -b {slapd.PEOPLE} '(pwdAccountLockedTime=*)' pwdAccountLockedTime",
        "A member's bind works once they have set a password through Kleidi",
        "(forgot password, above); then:",
        f"  ldapwhoami -x -H {server.url} -D {member} -W",
        "",
    ]


def _shown(path: Path) -> str:
    """The path as the README writes it when run from the checkout, else in full."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
