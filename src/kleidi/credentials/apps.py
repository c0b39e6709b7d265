from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "kleidi.credentials"
    verbose_name = _("Credentials")

    def ready(self):
        from kleidi.credentials import receivers  # noqa: F401
