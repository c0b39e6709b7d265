"""The `kleidi` console script: Django's manage.py with Kleidi's settings.

`kleidi --demo COMMAND ...` runs any command with the demo's settings and on
the demo's database (var/demo.sqlite3), as `KLEIDI_DEMO=true` does. A command
that finds the database without Kleidi's tables says what to run instead of
printing a "no such table" traceback.
"""

import os
import sys

NOT_SET_UP = 3


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kleidi.settings")
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1] == "--demo":
        del argv[1]
        os.environ["KLEIDI_DEMO"] = "true"
    if len(argv) > 1 and argv[1] == "demo":
        # The demo's settings differ (mail kept in the outbox, demo mailbox on).
        os.environ["KLEIDI_DEMO"] = "true"
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(argv)
    except DatabaseError:
        fix = _setup_needed()
        if fix is None:
            raise
        sys.stderr.write(_not_set_up(fix) + "\n")
        sys.exit(NOT_SET_UP)


def _setup_needed() -> str | None:
    """The command that creates what the database lacks, or None if it lacks nothing.

    Asked only after a command failed on the database, so a working command
    pays nothing for it.
    """
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connections.close_all()
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        tables = set(connection.introspection.table_names())
    except DatabaseError:
        return None
    cache_tables = {
        cache["LOCATION"]
        for cache in settings.CACHES.values()
        if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    }
    steps = []
    if pending:
        steps.append("kleidi migrate")
    if cache_tables - tables:
        steps.append("kleidi createcachetable")
    return " && ".join(steps) or None


def _not_set_up(fix: str) -> str:
    """English then Greek, as the CLI's other refusals print their codes."""
    from django.conf import settings
    from django.db import connection

    from kleidi.errors import message

    code = "database.demo_not_set_up" if settings.DEMO_MODE else "database.not_set_up"
    params = {"database": connection.settings_dict["NAME"], "command": fix}
    return "\n".join(message(code, params, language=lang) for lang in ("en", "el"))


if __name__ == "__main__":
    main()
