"""Finding background tasks whose worker died, and queueing them again.

django-tasks-db marks a task RUNNING when a worker claims it and only a live
worker ever changes that: a worker killed with SIGKILL (OOM killer, a reboot,
`kill -9`) leaves the row RUNNING for ever, and whatever the task was doing
never resumes. This module is app-neutral so any app can ask for its own
orphans (`find_orphans(task_path=...)`) and decide what to do with them.

When a task starts, `note_runner` adds the process that runs it
(`kleidi-runner:<host>:<pid>:<process start>`) to the row's `worker_ids`. A
RUNNING row whose runner is on this host is an orphan as soon as that process
is gone (the start time guards against a reused pid); a row run on another
host, or killed before its runner was noted, is an orphan once it has been
RUNNING longer than `KLEIDI_TASK_ORPHAN_SECONDS`.
"""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger(__name__)

RUNNER_PREFIX = "kleidi-runner:"
ORPHAN_EXCEPTION = "kleidi.worker.WorkerDied"


@dataclass(frozen=True)
class Runner:
    host: str
    pid: int
    started: str

    @property
    def tag(self) -> str:
        return f"{RUNNER_PREFIX}{self.host}:{self.pid}:{self.started}"

    @classmethod
    def parse(cls, tag: str) -> "Runner | None":
        if not isinstance(tag, str) or not tag.startswith(RUNNER_PREFIX):
            return None
        host, _, rest = tag[len(RUNNER_PREFIX) :].rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit():
            return None
        return cls(host=host, pid=int(pid), started=rest)


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None if no such process.

    Two processes that share a pid over time never share a start time.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    # Field 22 of proc_pid_stat(5); fields[0] is field 3 (the state).
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def current_runner() -> Runner:
    pid = os.getpid()
    return Runner(host=socket.gethostname(), pid=pid, started=process_start(pid) or "")


def note_runner(sender, task_result, **kwargs) -> None:
    """`task_started` receiver: record which process runs this task (one short UPDATE)."""
    from django_tasks_db.backend import DatabaseBackend

    backend = sender if isinstance(sender, type) else type(sender)
    if not issubclass(backend, DatabaseBackend):
        return
    ids = [*task_result.worker_ids, current_runner().tag]
    DBTaskResult.objects.filter(pk=task_result.id).update(worker_ids=ids)


def connect() -> None:
    """Called once at start-up (an AppConfig.ready) in every process that may run tasks."""
    from django.tasks.signals import task_started

    task_started.connect(note_runner, dispatch_uid="kleidi.worker.note_runner")


def runner_alive(runner: Runner) -> bool | None:
    """True or False for a process on this host; None when it cannot be checked from here."""
    if runner.host != socket.gethostname() or not runner.started:
        return None
    return process_start(runner.pid) == runner.started


def is_orphan(row: DBTaskResult, now, stale_after: timedelta) -> bool:
    runners = [r for r in map(Runner.parse, row.worker_ids or []) if r is not None]
    alive = runner_alive(runners[-1]) if runners else None
    if alive is not None:
        return not alive
    return row.started_at is None or row.started_at < now - stale_after


def orphan_age() -> timedelta:
    return timedelta(seconds=settings.TASK_ORPHAN_SECONDS)


def find_orphans(task_path: str | None = None, *, now=None) -> list[DBTaskResult]:
    """RUNNING task rows whose worker is gone (optionally only those of one task)."""
    now = now or timezone.now()
    rows = DBTaskResult.objects.running()
    if task_path:
        rows = rows.filter(task_path=task_path)
    stale_after = orphan_age()
    return [row for row in rows if is_orphan(row, now, stale_after)]


def fail_orphans(task_path: str | None = None, *, now=None) -> list[DBTaskResult]:
    """Mark each orphan FAILED (its worker died); return the ones this call marked.

    For tasks that must not simply run again (a sheet apply waits for its
    uploader to press Apply); `requeue_orphans` builds on it for those that may.
    """
    failed = []
    for orphan in find_orphans(task_path, now=now):
        claimed = DBTaskResult.objects.filter(pk=orphan.pk, status="RUNNING").update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path=ORPHAN_EXCEPTION,
            traceback=f"The worker running this task died ({orphan.worker_ids}).",
        )
        if claimed:  # else another process recovered it first
            failed.append(orphan)
    return failed


def requeue_orphans(task_path: str | None = None, *, now=None) -> list[str]:
    """Mark each orphan FAILED (its worker died) and queue the same call again.

    Returns the ids of the new task rows. Only safe for tasks that may run
    twice (idempotent ones, like outbox delivery); others should call
    `fail_orphans` and decide.
    """
    requeued = []
    for orphan in fail_orphans(task_path, now=now):
        task = import_string(orphan.task_path).using(
            priority=orphan.priority, queue_name=orphan.queue_name, backend=orphan.backend_name
        )
        args = orphan.args_kwargs or {}
        result = task.enqueue(*args.get("args", []), **args.get("kwargs", {}))
        logger.warning("task %s (%s) orphaned; queued again as %s", orphan.pk, task_path, result.id)
        requeued.append(str(result.id))
    return requeued


def task_waiting(task, by=None) -> bool:
    """Is a run of `task` queued and not yet started that runs by `by` (default: now)?

    The callers that ask a worker to process a table (the outbox, the
    directory queue) queue one waiting task, not one per change.
    """
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends[task.backend]
    if not isinstance(backend, DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(
        status="READY", task_path=task.module_path, backend_name=backend.alias
    )
    if by is None:
        return DBTaskResult.objects.ready().filter(pk__in=waiting.values("pk")).exists()
    return waiting.filter(Q(run_after__lte=by) | Q(run_after=get_date_max())).exists()


def schedule(task, run_after=None, *, what: str) -> None:
    """Queue one run of `task` unless one already waits to start by `run_after`.

    The table the task processes is the source of truth: if enqueueing fails,
    the next change's task or the timer's safety net processes it.
    """
    if task_waiting(task, by=run_after):
        return
    job = task.using(run_after=run_after) if run_after else task
    try:
        job.enqueue()
    except Exception:
        logger.exception("could not enqueue %s", what)


def ensure_scheduled(task, due, *, what: str, now=None) -> None:
    """While work is waiting (`due` is its earliest time, or None), a run of `task` waits too."""
    if due is None:
        return
    now = now or timezone.now()
    schedule(task, run_after=due if due > now else None, what=what)
