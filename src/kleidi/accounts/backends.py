"""Sign-in against Kleidi's accounts, case-insensitively and only while usable."""

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """ModelBackend whose checks follow the account's state and expiry (R21, R22).

    Permissions come from the account's staff role (`Account.has_perm`), not
    from Django's permission tables.
    """

    def user_can_authenticate(self, user) -> bool:
        return user.is_active
