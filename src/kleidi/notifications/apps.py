from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kleidi.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Outbox delivery is the first user of orphaned-task recovery (kleidi.worker).
        from kleidi import worker

        worker.connect()
