from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kleidi.accounts"
    verbose_name = "Accounts"
