"""Forms of credential self-service: they parse and check input, services decide."""

import unicodedata

from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from kleidi.credentials.feedback import Advice, advice
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


class ErrorTiedBoundField(BoundField):
    """A field whose server error stays tied to it, and that takes the focus when first wrong.

    Django names the error (``id_<field>_error``) in ``aria-describedby`` only
    when the widget describes itself with nothing else; the new password is
    also described by the policy and the meter, so the error's id goes first
    beside them. On a form with errors the first invalid field gets
    ``autofocus`` (and no other field keeps it), so focus lands there with or
    without JavaScript.
    """

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if not self.form.is_bound or not self.form.errors:
            return attrs
        own = widget.attrs.get("aria-describedby")
        if self.errors and own and self.auto_id:
            attrs["aria-describedby"] = f"{self.auto_id}_error {own}"
        first = next((name for name in self.form.fields if name in self.form.errors), None)
        attrs["autofocus"] = self.name == first
        return attrs


class CredentialForm(forms.Form):
    bound_field_class = ErrorTiedBoundField


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


class ForgotPasswordForm(CredentialForm):
    username = username_field()
    email = forms.CharField(
        label=_("Email outside NTUA"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": MAX_EMAIL}),
    )

    def clean_username(self):
        return _checked_text(self.cleaned_data["username"], MAX_USERNAME)

    def clean_email(self):
        return _checked_text(self.cleaned_data["email"], MAX_EMAIL)


class LoginForm(CredentialForm):
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


class SetPasswordForm(CredentialForm):
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
        self.advice: Advice | None = None
        super().__init__(*args, **kwargs)

    def clean_new_password1(self):
        value = self.cleaned_data["new_password1"]
        if len(value) > PASSWORD_FIELD_MAX:
            raise error("password.too_long", max=PASSWORD_FIELD_MAX)
        value = normalise_password(value)
        self.verdict = check_password_policy(value, self.account)
        self.advice = advice(self.verdict)
        if self.advice is not None:
            # One reason under the field (issue 12 §8), with the policy's first code.
            raise forms.ValidationError(self.advice.reason, code=self.verdict.errors[0].code)
        return value

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("new_password1")
        second = cleaned.get("new_password2")
        if first and second is not None and first != normalise_password(second):
            self.add_error("new_password2", error("password.mismatch"))
        return cleaned

    @property
    def tips(self) -> list[str]:
        """The one tip for a refused password, shown under it without JavaScript."""
        return [self.advice.tip] if self.advice is not None and self.advice.tip else []


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
