"""Credentials listen to the account service and to Django's sign-in signals."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from kleidi.accounts.models import Account
from kleidi.accounts.signals import welcome_due
from kleidi.audit.services import pseudonym, record
from kleidi.credentials.services.welcome import send_welcomes
from kleidi.request import client_ip

USERNAME_CHARS = Account._meta.get_field("username").max_length


@receiver(welcome_due, dispatch_uid="credentials_send_welcome")
def send_welcome(sender, accounts, reason, **kwargs):
    """R3: created or reactivated accounts get their username and an activation link."""
    send_welcomes(accounts, reason=reason)


@receiver(user_logged_in, dispatch_uid="credentials_audit_staff_sign_in")
def audit_staff_sign_in(sender, request, user, **kwargs):
    """R29: every staff sign-in, through the portal or the console, is audited."""
    if user.is_staff:
        record(
            "login.staff",
            actor=user,
            client_ip=client_ip(request) if request is not None else None,
            target=user,
            details={"role": user.role},
        )


@receiver(user_login_failed, dispatch_uid="credentials_audit_console_failure")
def audit_console_failure(sender, credentials, request=None, **kwargs):
    """R29: a failed `authenticate` outside the portal's sign-in is audited too.

    The portal's sign-in (which the console's login page redirects to) audits
    its own failures; this catches any other caller. Django has already masked
    the password in `credentials`; the username is kept as a pseudonym, since
    it may be a password typed into the wrong box.
    """
    typed = str(credentials.get("username", "")).strip().lower()[:USERNAME_CHARS]
    record(
        "login.failed",
        client_ip=client_ip(request) if request is not None else None,
        details={
            "username": pseudonym(typed),
            "via": "authenticate",
        },
    )
