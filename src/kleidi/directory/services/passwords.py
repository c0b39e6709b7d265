"""Setting a member's password in the directory during the request (R26, R28). [helper B]"""

from django.conf import settings


def set_password(account, password: str) -> None:
    """Set the password in the directory (RFC 3062), inside the caller's transaction.

    Raises a coded error on refusal so the caller's transaction rolls back.
    """
    if not settings.LDAP_ENABLED:
        return
    raise NotImplementedError
