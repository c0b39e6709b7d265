from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kleidi.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        """Connect the receivers; build the username policy, so bad settings stop start-up."""
        from kleidi.accounts import receivers  # noqa: F401 (connects the receivers)
        from kleidi.accounts.usernames import username_policy

        username_policy()
