"""`kleidi changepassword` refuses: Django's own would write a password past R26.

Django's command sets the hash and saves the row, and nothing else: no links
voided, no confirmation mail, no audit event, no directory update. A member's
password changes through the credentials service only (forgot password, or
a change after signing in), so this command says where to go instead.
"""

from django.core.management.base import BaseCommand, CommandError

from kleidi.errors import message


class Command(BaseCommand):
    help = "Refused: a password changes only through forgot password or the member's page (R26)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--database")

    def handle(self, *args, **options):
        text = "\n".join(message("command.changepassword", language=lang) for lang in ("en", "el"))
        raise CommandError(text, returncode=2)
