from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "kleidi.directory"
    verbose_name = _("Directory")

    def ready(self):
        from kleidi.directory import receivers  # noqa: F401
