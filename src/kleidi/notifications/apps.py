from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kleidi.notifications"
    verbose_name = "Notifications"
