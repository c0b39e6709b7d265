from django.apps import AppConfig


class SheetsConfig(AppConfig):
    name = "kleidi.sheets"
    verbose_name = "Sheets"
