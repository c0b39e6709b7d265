"""Forms of credential self-service: they parse and check input, services decide."""

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from kleidi.credentials.services.lookup import MAX_EMAIL, MAX_USERNAME
from kleidi.credentials.validators import Verdict, check_password_policy, has_control_characters
from kleidi.errors import error

# Generous bounds for input that is never a password: past them the answer is
# an error, not a truncation.
PASSWORD_FIELD_MAX = 4096


def _checked_text(value: str, maximum: int) -> str:
    if len(value) > maximum:
        raise error("input.too_long", max=maximum)
    if has_control_characters(value):
        raise error("input.control")
    return value


def normalise_password(value: str) -> str:
    """NFC, so a Greek password typed on any keyboard hashes the same way."""
    return unicodedata.normalize("NFC", value)


def username_field(*, autofocus: bool = False) -> forms.CharField:
    """The username as members type it: no capitalisation or spell-check by the phone."""
    attrs = {
        "autocomplete": "username",
        "autocapitalize": "none",
        "spellcheck": "false",
        "maxlength": MAX_USERNAME,
    }
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(label=_("Username"), widget=forms.TextInput(attrs=attrs))


class ForgotPasswordForm(forms.Form):
    username = username_field()
    email = forms.CharField(
        label=_("Email outside NTUA"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": MAX_EMAIL}),
    )

    def clean_username(self):
        return _checked_text(self.cleaned_data["username"], MAX_USERNAME)

    def clean_email(self):
        return _checked_text(self.cleaned_data["email"], MAX_EMAIL)


class LoginForm(forms.Form):
    username = username_field(autofocus=True)
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_username(self):
        return _checked_text(self.cleaned_data["username"], MAX_USERNAME)

    def clean_password(self):
        value = self.cleaned_data["password"]
        if len(value) > PASSWORD_FIELD_MAX:
            raise error("input.too_long", max=PASSWORD_FIELD_MAX)
        return normalise_password(value)


class SetPasswordForm(forms.Form):
    """New password twice (R25); the policy is the configured validator."""

    new_password1 = forms.CharField(
        label=_("Your new password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={
                "autocomplete": "new-password",
                "aria-describedby": "password-policy strength-status",
            }
        ),
    )
    new_password2 = forms.CharField(
        label=_("Your new password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, account, *args, **kwargs):
        self.account = account
        self.verdict: Verdict | None = None
        super().__init__(*args, **kwargs)

    def clean_new_password1(self):
        value = self.cleaned_data["new_password1"]
        if len(value) > PASSWORD_FIELD_MAX:
            raise error("password.too_long", max=PASSWORD_FIELD_MAX)
        value = normalise_password(value)
        self.verdict = check_password_policy(value, self.account)
        if self.verdict.errors:
            raise forms.ValidationError(list(self.verdict.errors))
        return value

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("new_password1")
        second = cleaned.get("new_password2")
        if first and second is not None and first != normalise_password(second):
            self.add_error("new_password2", error("password.mismatch"))
        return cleaned

    @property
    def feedback_codes(self) -> list[str]:
        """Advice for a refused password, shown under the field without JavaScript."""
        if self.verdict is None or self.verdict.acceptable or self.verdict.estimate is None:
            return []
        estimate = self.verdict.estimate
        return list(dict.fromkeys((*estimate.feedback, *estimate.suggestions)))


class ChangePasswordForm(SetPasswordForm):
    """R27: the current password first, then the new one twice."""

    current_password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    field_order = ["current_password", "new_password1", "new_password2"]

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        if len(value) > PASSWORD_FIELD_MAX:
            raise error("input.too_long", max=PASSWORD_FIELD_MAX)
        return normalise_password(value)
