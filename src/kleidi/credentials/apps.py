from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "kleidi.credentials"
    verbose_name = "Credentials"
