from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """No models of its own: its admin classes show the other apps' models."""

    name = "kleidi.console"
