"""The password policy as one Django password validator (R25).

`KleidiPasswordValidator` is the only entry in AUTH_PASSWORD_VALIDATORS. Its
`assess` gives the decision and the strength estimate together, so the live
meter (`POST /password/strength/`) and the form's check on submit can never
disagree. The rules, all from settings:

* no control characters (any other Unicode, spaces included, is fine);
* at most PASSWORD_MAX_LENGTH characters, at least PASSWORD_MIN_LENGTH;
* not made mostly of the member's own data (names in any script, order or
  spelling, username, registration numbers, email, mobile in any format):
  that is what a guesser who knows the member tries first;
* not in Django's list of common passwords;
* at least 10^PASSWORD_MIN_GUESSES_LOG10 guesses by the Greek-aware
  estimate, with the member's own data counted against the password.

There are no composition rules (no "one digit, one capital").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    get_default_password_validators,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from kleidi.errors import error
from kleidi.text import strength

# Meter levels: 0–3 grow with the estimate; 4 means accepted.
ACCEPTED_LEVEL = 4


@cache
def common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords, read once per process."""
    return frozenset(CommonPasswordValidator().passwords)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def member_data(account) -> list[str]:
    """What the member's password must not be built from (R25)."""
    if account is None:
        return []
    data = [account.username]
    person = account.person if account.person_id else None
    if person is not None:
        data += [
            person.surname,
            person.given_name,
            person.father_name,
            person.mother_name,
            person.latin_surname,
            person.external_email,
            person.external_email.partition("@")[0],
            person.mobile,
            person.mobile[-10:],
        ]
        if person.pk:
            data += list(
                person.affiliations.exclude(registration_number="").values_list(
                    "registration_number", flat=True
                )
            )
    elif account.affiliation_id:
        data.append(account.affiliation.registration_number)
    return [item for item in dict.fromkeys(data) if item]


@dataclass(frozen=True)
class Verdict:
    """The policy's answer for one password: errors (empty when accepted) and the estimate."""

    errors: tuple[ValidationError, ...]
    estimate: strength.Estimate | None
    min_log10: int

    @property
    def acceptable(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    @property
    def level(self) -> int:
        if self.acceptable:
            return ACCEPTED_LEVEL
        if self.estimate is None:
            return 0
        return max(0, min(ACCEPTED_LEVEL - 1, int(4 * self.estimate.log10 / self.min_log10)))


class KleidiPasswordValidator:
    """R25 as a Django password validator; thresholds come from settings."""

    def __init__(self, min_length=None, max_length=None, min_guesses_log10=None):
        self._min_length = min_length
        self._max_length = max_length
        self._min_log10 = min_guesses_log10

    @property
    def min_length(self) -> int:
        return self._min_length or settings.PASSWORD_MIN_LENGTH

    @property
    def max_length(self) -> int:
        return self._max_length or settings.PASSWORD_MAX_LENGTH

    @property
    def min_log10(self) -> int:
        return self._min_log10 or settings.PASSWORD_MIN_GUESSES_LOG10

    def assess(self, password: str, user=None) -> Verdict:
        errors: list[ValidationError] = []
        if has_control_characters(password):
            errors.append(error("password.control"))
        if len(password) > self.max_length:
            errors.append(error("password.too_long", max=self.max_length))
            return Verdict(tuple(errors), None, self.min_log10)
        if len(password) < self.min_length:
            errors.append(error("password.too_short", min=self.min_length))
        estimate = strength.estimate(password, member_data(user))
        if strength.MOSTLY_USER_DATA in estimate.feedback:
            errors.append(error("password.own_data"))
        elif password.lower().strip() in common_passwords():
            errors.append(error("password.common"))
        elif estimate.log10 < self.min_log10:
            if strength.USER_DATA in estimate.feedback:
                errors.append(error("password.similar"))
            else:
                errors.append(error("password.too_weak"))
        return Verdict(tuple(errors), estimate, self.min_log10)

    def validate(self, password, user=None):
        verdict = self.assess(password, user)
        if verdict.errors:
            raise ValidationError(list(verdict.errors))

    def get_help_text(self):
        return gettext(
            "At least %(min)d characters; any letters, digits, symbols and spaces. "
            "A few random words make a strong password that is easy to remember. "
            "Avoid your name, username and registration number."
        ) % {"min": self.min_length}


def check_password_policy(password: str, user=None) -> Verdict:
    """Run every configured validator; Kleidi's own gives the estimate for the meter."""
    verdict = None
    other_errors: list[ValidationError] = []
    for validator in get_default_password_validators():
        if isinstance(validator, KleidiPasswordValidator):
            verdict = validator.assess(password, user)
            continue
        try:
            validator.validate(password, user)
        except ValidationError as exc:
            other_errors.extend(exc.error_list)
    if verdict is None:
        verdict = Verdict((), None, settings.PASSWORD_MIN_GUESSES_LOG10)
    if other_errors:
        verdict = Verdict((*verdict.errors, *other_errors), verdict.estimate, verdict.min_log10)
    return verdict
