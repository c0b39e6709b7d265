"""Background delivery of the outbox through Django's tasks framework."""

from django.tasks import task

from kleidi.notifications.services import deliver_due, recover_orphaned_deliveries


@task(queue_name="mail")
def deliver_outbox() -> dict[str, int]:
    # A delivery task whose worker was killed stays RUNNING for ever: queue it again.
    recover_orphaned_deliveries()
    return deliver_due()
