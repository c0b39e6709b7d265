from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kleidi.portal"
    verbose_name = "Portal"
