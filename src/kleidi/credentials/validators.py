"""The password policy as a Django password validator (R25).

Foundation version: length bounds only. The credentials issue adds the
Greek-aware strength estimate and the common-password list.
"""

from django.conf import settings
from django.core.exceptions import ValidationError


class KleidiPasswordValidator:
    def validate(self, password, user=None):
        if len(password) < settings.PASSWORD_MIN_LENGTH:
            raise ValidationError("too short", code="password.too_short")
        if len(password) > settings.PASSWORD_MAX_LENGTH:
            raise ValidationError("too long", code="password.too_long")

    def get_help_text(self):
        return ""
