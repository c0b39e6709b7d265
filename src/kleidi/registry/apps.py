"""The student registry feed (R4, R5, R6): undergraduates from the φοιτητολόγιο."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "kleidi.registry"
    verbose_name = _("Student registry")

    def ready(self):
        from kleidi.registry.approvals import approve_record
        from kleidi.review.services import register_handler

        register_handler("registry", approve_record)
