from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "kleidi.credentials"
    verbose_name = "Credentials"

    def ready(self):
        from kleidi.credentials import receivers  # noqa: F401
