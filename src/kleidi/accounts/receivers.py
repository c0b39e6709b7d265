"""The account service follows Django's sign-in signal."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from kleidi.accounts.services import record_sign_in


# Django's auth app connects its own `update_last_login` under this
# dispatch_uid when it is ready, after this app (INSTALLED_APPS order); a
# signal keeps the first receiver of a dispatch_uid, so the account's last
# sign-in is written by the account service, its only writer.
@receiver(user_logged_in, dispatch_uid="update_last_login")
def update_last_login(sender, user, **kwargs):
    record_sign_in(user)
