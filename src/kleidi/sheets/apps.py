from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SheetsConfig(AppConfig):
    name = "kleidi.sheets"
    verbose_name = _("Sheets")

    def ready(self):
        from kleidi.review.services import register_handler
        from kleidi.sheets.services import follow_review

        register_handler("sheet", follow_review)
