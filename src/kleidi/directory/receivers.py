"""Following account changes into the directory (R28)."""

from django.dispatch import receiver

from kleidi.accounts.signals import account_changed
from kleidi.directory.services import sync_account


@receiver(account_changed, dispatch_uid="directory_sync_account")
def push_account_change(sender, account, action, **kwargs):
    sync_account(account, action)
