from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kleidi.audit"
    verbose_name = "Audit"
