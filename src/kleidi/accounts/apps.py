from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kleidi.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from kleidi.accounts import receivers  # noqa: F401 (connects the receivers)
