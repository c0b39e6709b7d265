"""Background delivery of the outbox through Django's tasks framework."""

from django.tasks import task

from kleidi.notifications.services import deliver_due


@task(queue_name="mail")
def deliver_outbox() -> dict[str, int]:
    return deliver_due()
