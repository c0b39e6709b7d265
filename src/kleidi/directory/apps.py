from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "kleidi.directory"
    verbose_name = "Directory"

    def ready(self):
        from kleidi.directory import receivers  # noqa: F401
