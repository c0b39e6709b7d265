"""One writer per table: every write to a Kleidi table comes from its app's services.

An execute wrapper on every database connection looks at each INSERT,
UPDATE and DELETE on a table of a Kleidi app and finds who wrote it: the
innermost frame of a `kleidi.*` module, or of Django's own contrib code (the
admin saving a form, `createsuperuser`, `update_last_login`) when no Kleidi
module stands in between. The write is a violation unless that writer is the
owning app's `services` module (or package), a task body of it (`TASK_BODIES`)
or one of its migrations, or the
pair is in `ALLOWED` with its reason. Frames of `kleidi.bulk` (the bulk
INSERT helper services call), of the apps' `models` modules (save overrides
and managers: models hold data, their callers decide) and of
`AbstractBaseUser` (the account model's own `save`) are seen through. A
write with no such frame at all is a test building its own data.

`tests/conftest.py` installs the wrapper for the session and fails any test
during which a violation happened; `expect_violations` lets the check's own
tests see it catch one.
"""

from __future__ import annotations

import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps

WRITE = re.compile(
    r"""^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)""",
    re.IGNORECASE,
)
SEEN_THROUGH = re.compile(r"^(kleidi\.bulk|kleidi\.\w+\.models|django\.contrib\.auth\.base_user)$")
FOREIGN = ("django.contrib.",)

# (writer module, table): why this writer may write a table it does not own.
ALLOWED: dict[tuple[str, str], str] = {
    (
        "kleidi.credentials.ratelimit",
        "credentials_ratecounter",
    ): "the rate-limit store: the database twin of the Redis cache backend, not domain data",
}

# Service code an app keeps below its tasks (docs/architecture.md, "task bodies
# sit below their enqueueing"): the body a task runs is the app's own service
# code, in a module of its own so that services -> tasks -> body runs one way.
TASK_BODIES: dict[str, tuple[str, ...]] = {
    "kleidi.notifications": ("kleidi.notifications.delivery",),
    "kleidi.sheets": ("kleidi.sheets.runs",),
    "kleidi.directory": ("kleidi.directory.sync",),
}


@dataclass(frozen=True)
class Violation:
    writer: str
    table: str
    statement: str

    def __str__(self) -> str:
        return f"{self.writer} writes {self.table} ({self.statement})"


_lock = threading.Lock()
_violations: list[Violation] = []
_owners: dict[str, str] = {}


def owners() -> dict[str, str]:
    """{table: owning app's module}, for every model (and m2m table) of a Kleidi app."""
    if not _owners:
        for config in apps.get_app_configs():
            if not config.name.startswith("kleidi."):
                continue
            for model in config.get_models(include_auto_created=True):
                _owners[model._meta.db_table] = config.name
    return _owners


def writer(frame) -> str:
    """The module that wrote: the innermost Kleidi or contrib frame; "" for a test's own data."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith(("kleidi.", *FOREIGN)) and not SEEN_THROUGH.match(name):
            return name
        frame = frame.f_back
    return ""


def allowed(module: str, owner: str, table: str) -> bool:
    services, migrations = f"{owner}.services", f"{owner}.migrations."
    if module == services or module.startswith((services + ".", migrations)):
        return True
    if module in TASK_BODIES.get(owner, ()):
        return True
    return (module, table) in ALLOWED


def check(execute, sql, params, many, context):
    """The execute wrapper: note a violation, then run the statement unchanged."""
    found = WRITE.match(sql) if isinstance(sql, str) else None
    if found:
        table = found.group(1).lower()
        owner = owners().get(table)
        if owner is not None:
            module = writer(sys._getframe(1))
            if module and not allowed(module, owner, table):
                with _lock:
                    _violations.append(Violation(module, table, sql.split(None, 1)[0].upper()))
    return execute(sql, params, many, context)


def install(connection) -> None:
    """First in the wrapper list, so a test's own `execute_wrapper` pops only its own."""
    if check not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, check)


def on_connect(sender, connection, **kwargs):
    install(connection)


def take() -> list[Violation]:
    """The violations since the last call (from every thread), and forget them."""
    with _lock:
        found = list(_violations)
        _violations.clear()
    return found


@contextmanager
def expect_violations():
    """Collect the violations of the block for the caller instead of failing the test."""
    earlier = take()
    caught: list[Violation] = []
    try:
        yield caught
    finally:
        caught.extend(take())
        with _lock:
            _violations[:0] = earlier
