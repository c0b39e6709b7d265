"""The registry's database view as a feed source: a second, read-only database alias.

`KLEIDI_REGISTRY_DATABASE_URL` (postgres:// only) becomes `DATABASES["registry"]`
with `default_transaction_read_only=on`, never migrated and never chosen for a
write (`Router`); without the variable the alias does not exist and the source
`database` is `registry.not_configured`. Other engines a registry may run on
(Oracle, SQL Server, MySQL) are reached the way IT teams already do for
reporting: a PostgreSQL foreign table or view over them (oracle_fdw, tds_fdw,
mysql_fdw), so Kleidi needs one driver and one read-only role.

A read is one `SELECT <the known columns> FROM <view> ORDER BY ...` on a server-side
cursor inside one read-only transaction, fetched in chunks and handed over
row by row as it streams: 40,000 students never sit in the driver's buffer
at once, and the view is read as one snapshot. The columns are chosen from
the view's own description (a `WHERE 1 = 0` probe returns no row), so SSN,
TIN and the other columns Kleidi does not keep never leave the registry's
server. Any database error, from the first connection to the last chunk
(refused, the view missing, the session killed, the view dropped), is
`registry.view_unavailable`: the caller gets everything or nothing.

The alias is built from the settings each time a read starts, so a test (or
a management shell) can point it elsewhere with `override_settings`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import dj_database_url

from kleidi.config import ConfigError

ALIAS = "registry"
URL_VARIABLE = "KLEIDI_REGISTRY_DATABASE_URL"
VIEW_VARIABLE = "KLEIDI_REGISTRY_VIEW"
CHUNK_ROWS = 2_000
READ_ONLY = "-c default_transaction_read_only=on"
CONNECT_TIMEOUT_SECONDS = 10

log = logging.getLogger(__name__)

# An SQL identifier as written unquoted (PostgreSQL folds it to lowercase) or
# double-quoted (kept exactly); optionally schema-qualified. Nothing else may
# reach the SELECT, which cannot take the view's name as a parameter.
_PART = r'(?:[A-Za-z_][A-Za-z0-9_$]{0,62}|"[^"\x00]{1,63}")'
_VIEW = re.compile(rf"{_PART}(?:\.{_PART})?")


def view_name(value: str) -> str:
    """The view's name if it is a plain or schema-qualified identifier; else ConfigError."""
    value = value.strip()
    if not _VIEW.fullmatch(value):
        raise ConfigError(
            VIEW_VARIABLE,
            f"{value!r} is not a view name (an identifier, optionally schema.view; "
            'double quotes keep the case: sis."V_VD_SIS")',
        )
    return value


def database_settings(url: str) -> dict:
    """DATABASES["registry"] for `url`: PostgreSQL, read-only, short connect timeout."""
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except Exception as exc:
        raise ConfigError(URL_VARIABLE, f"cannot be used: {exc}") from None
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigError(
            URL_VARIABLE,
            "only postgres:// is supported (reach other databases through a PostgreSQL "
            "foreign table; docs/registry.md)",
        )
    options = dict(config.get("OPTIONS") or {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), READ_ONLY]))
    options.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    config["OPTIONS"] = options
    # The test runner must never create, migrate or flush a copy of the registry.
    config["TEST"] = {"MIGRATE": False}
    return config


class Router:
    """The registry alias is read-only: never migrated, never chosen for a write.

    It answers nothing for reads and writes, so every model stays on
    `default`; the alias is only ever used by name, by `stream_view`. The
    database refuses writes too (`default_transaction_read_only`), for a
    `.using("registry")` by mistake.
    """

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == ALIAS else None


def _quote(name: str) -> str:
    """A column name as the view spells it, as an SQL identifier (quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


_IDENTITY = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


def _connection():
    """The registry alias, (re)built from the current settings; registry.not_configured."""
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections

    from kleidi.errors import error

    url = settings.REGISTRY_DATABASE_URL
    if not url:
        raise error("registry.not_configured")
    # Django fills in the defaults only for a whole DATABASES, which needs a default.
    databases = {DEFAULT_DB_ALIAS: {}, ALIAS: database_settings(url)}
    wanted = connections.configure_settings(databases)[ALIAS]
    current = connections.settings.get(ALIAS)
    if current is None or any(current.get(key) != wanted[key] for key in _IDENTITY):
        close()
        connections.settings[ALIAS] = wanted
    return connections[ALIAS]


def close() -> None:
    """Close and forget this thread's registry connection, if it has one."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.alias == ALIAS:
            connection.close()
            del connections[ALIAS]


def stream_view(
    fields_for: Callable[[list[str]], list[str]],
    *,
    max_rows: int,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple]:
    """The view's rows, streamed; raises registry.view_unavailable on any database error.

    `fields_for(columns)` is given the view's column names and answers those
    to select, in the order to sort by (it raises for missing ones). The
    first item yielded is that list, then each row as a tuple of those
    columns, sorted by them. More than `max_rows` rows is
    `sheet.too_many_rows`; `progress(rows_so_far)` is called after each chunk.
    """
    from django.conf import settings
    from django.db import Error, transaction

    from kleidi.errors import error
    from kleidi.sheets.reader import SheetError

    view = view_name(settings.REGISTRY_VIEW)
    connection = _connection()
    try:
        with transaction.atomic(using=ALIAS):
            with connection.cursor() as probe:
                probe.execute(f"SELECT * FROM {view} WHERE 1 = 0")  # noqa: S608 (checked name)
                available = [column.name for column in probe.description]
            wanted = fields_for(available)
            yield wanted
            quoted = ", ".join(_quote(name) for name in wanted)
            # Ordered, so record numbers and every decision taken "in record order"
            # (the import's username collisions) are the same on every run.
            order = ", ".join(str(position) for position in range(1, len(wanted) + 1))
            select = f"SELECT {quoted} FROM {view} ORDER BY {order}"  # noqa: S608 (checked names)
            with connection.chunked_cursor() as cursor:
                cursor.execute(select)
                count = 0
                while chunk := cursor.fetchmany(chunk_rows):
                    count += len(chunk)
                    if count > max_rows:
                        raise SheetError("sheet.too_many_rows", max=max_rows)
                    yield from chunk
                    if progress is not None:
                        progress(count)
    except Error as exc:  # DatabaseError and InterfaceError (a connection already gone)
        log.warning("registry view %s unavailable: %s", view, exc)
        raise error("registry.view_unavailable", view=view) from None
    finally:
        close()
