"""The `kleidi` console script: Django's manage.py with Kleidi's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        # The demo's settings differ (mail kept in the outbox, demo mailbox on).
        os.environ["KLEIDI_DEMO"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
