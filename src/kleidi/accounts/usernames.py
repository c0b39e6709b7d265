"""The username policy (R5, R7, R11): one object every path asks.

Usernames match the syntax regex (default: ASCII lowercase letters and digits,
starting with a letter), have between the configured minimum and maximum
length, and are unique for ever, case-insensitively, across every account that
ever existed. The undergraduate pattern is reserved for undergraduate accounts.

`username_policy()` builds the policy once from settings and refuses settings
that contradict each other; the account service, the sheets' dry run, the
suggestions, the templates' help text and the registry feed all ask it, so a
configured limit holds everywhere at once.
"""

import re
import re._parser
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext

from kleidi.accounts.models import Account, AccountKind
from kleidi.config import ConfigError
from kleidi.errors import error

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_LAST_DIGITS = re.compile(r"last(\d+)")
_SETTINGS = frozenset(
    {
        "USERNAME_MIN_LENGTH",
        "USERNAME_MAX_LENGTH",
        "USERNAME_REGEX",
        "UNDERGRADUATE_USERNAME_TEMPLATE",
        "UNDERGRADUATE_USERNAME_REGEX",
    }
)


def normalise(username: str) -> str:
    return (username or "").strip().lower()


@dataclass(frozen=True, slots=True)
class UsernamePolicy:
    """R5, R7, R11 as one value: lengths, syntax and the reserved undergraduate pattern."""

    min_length: int
    max_length: int
    syntax: re.Pattern[str]
    undergraduate_pattern: re.Pattern[str]
    undergraduate_template: str

    @property
    def help_params(self) -> dict[str, int]:
        """What the templates' help text and `username.syntax` messages show."""
        return {"min": self.min_length, "max": self.max_length}

    @property
    def help_text(self) -> str:
        """The rule in one sentence of the active language, for forms and templates."""
        return (
            gettext(
                "Lowercase Latin letters and digits, starting with a letter, "
                "%(min)d–%(max)d characters."
            )
            % self.help_params
        )

    @property
    def undergraduate_example(self) -> str:
        """An undergraduate name as the template makes it, for the help pages (R5)."""
        return self.undergraduate_username("el", "03118123")

    def is_valid_syntax(self, name: str) -> bool:
        """R7 syntax and length, without the kind."""
        return (
            self.min_length <= len(name) <= self.max_length
            and self.syntax.fullmatch(name) is not None
        )

    def is_undergraduate(self, name: str) -> bool:
        """R5: does this name look like an undergraduate username?"""
        return self.undergraduate_pattern.fullmatch(normalise(name)) is not None

    def check(self, username: str, kind: str) -> str:
        """R7 syntax and length, R5/R11 pattern for the kind; returns the normalised name.

        Raises `username.syntax` or `username.undergraduate_pattern`; whether
        the name is taken is the caller's one query (`taken`).
        """
        name = normalise(username)
        if not self.is_valid_syntax(name):
            raise error("username.syntax", value=name, **self.help_params)
        pattern = self.is_undergraduate(name)
        if kind != AccountKind.UNDERGRADUATE and pattern:
            raise error("username.undergraduate_pattern", value=name)
        if kind == AccountKind.UNDERGRADUATE and not pattern:
            raise error("username.syntax", value=name, **self.help_params)
        return name

    def accepts(self, name: str, kind: str) -> bool:
        """`check` as a yes or no, for the suggestions (R10)."""
        valid = self.is_valid_syntax(name)
        return valid and self.is_undergraduate(name) == (kind == AccountKind.UNDERGRADUATE)

    def undergraduate_username(self, prefix: str, registration_number: str) -> str:
        """R5: the undergraduate username for a school prefix and registration number.

        The template (setting UNDERGRADUATE_USERNAME_TEMPLATE) knows `{prefix}`,
        `{registration_number}` and `{lastN}`, the number's last N digits.
        """
        digits = re.sub(r"\D", "", registration_number or "")

        def fill(match: re.Match) -> str:
            field = match.group(1)
            if field == "prefix":
                return prefix
            if field == "registration_number":
                return digits
            return digits[-int(_LAST_DIGITS.fullmatch(field).group(1)) :]

        return normalise(_PLACEHOLDER.sub(fill, self.undergraduate_template))


def _widths(name: str, regex: str) -> tuple[int, int]:
    """The shortest and longest names a regex can match, from Python's own parser.

    Used only to refuse a regex whose lengths contradict the length settings;
    the lengths themselves come from USERNAME_MIN_LENGTH and USERNAME_MAX_LENGTH.
    """
    try:
        return re._parser.parse(regex).getwidth()
    except re.error as exc:
        raise ConfigError(name, f"not a valid regular expression: {exc}") from None


def _build() -> UsernamePolicy:
    low, high = settings.USERNAME_MIN_LENGTH, settings.USERNAME_MAX_LENGTH
    field_max = Account._meta.get_field("username").max_length
    if not 1 <= low <= high:
        raise ConfigError(
            "KLEIDI_USERNAME_MIN_LENGTH",
            f"must be at least 1 and at most KLEIDI_USERNAME_MAX_LENGTH ({high}), got {low}",
        )
    if high > field_max:
        raise ConfigError(
            "KLEIDI_USERNAME_MAX_LENGTH", f"must be at most {field_max} (the database column)"
        )
    shortest, longest = _widths("KLEIDI_USERNAME_REGEX", settings.USERNAME_REGEX)
    if shortest > low or longest < high:
        raise ConfigError(
            "KLEIDI_USERNAME_REGEX",
            f"allows {shortest}–{longest} characters but KLEIDI_USERNAME_MIN_LENGTH and "
            f"KLEIDI_USERNAME_MAX_LENGTH say {low}–{high}: set the lengths there and keep "
            "the regex for the characters",
        )
    shortest, longest = _widths(
        "KLEIDI_UNDERGRADUATE_USERNAME_REGEX", settings.UNDERGRADUATE_USERNAME_REGEX
    )
    if shortest > high or longest < low:
        raise ConfigError(
            "KLEIDI_UNDERGRADUATE_USERNAME_REGEX",
            f"matches only names of {shortest}–{longest} characters, none of them "
            f"within the username lengths {low}–{high}",
        )
    template = settings.UNDERGRADUATE_USERNAME_TEMPLATE
    for field in _PLACEHOLDER.findall(template):
        if field not in ("prefix", "registration_number") and not _LAST_DIGITS.fullmatch(field):
            raise ConfigError(
                "KLEIDI_UNDERGRADUATE_USERNAME_TEMPLATE",
                f"unknown placeholder {{{field}}}: use {{prefix}}, {{registration_number}} "
                "or {lastN}",
            )
    return UsernamePolicy(
        min_length=low,
        max_length=high,
        syntax=re.compile(settings.USERNAME_REGEX),
        undergraduate_pattern=re.compile(settings.UNDERGRADUATE_USERNAME_REGEX),
        undergraduate_template=template,
    )


@cache
def username_policy() -> UsernamePolicy:
    """The policy from settings, built once (and again when a test overrides them)."""
    return _build()


@receiver(setting_changed)
def _forget_policy(*, setting: str, **kwargs) -> None:
    if setting in _SETTINGS:
        username_policy.cache_clear()


def taken(usernames: Iterable[str]) -> set[str]:
    """Which of these names any account, ever, already has (one query)."""
    wanted = {normalise(u) for u in usernames if u}
    if not wanted:
        return set()
    return set(Account.objects.filter(username__in=wanted).values_list("username", flat=True))


def validate_new_username(username: str, kind: str) -> str:
    """Every check a brand-new username must pass; returns the normalised name."""
    name = username_policy().check(username, kind)
    if taken([name]):
        raise error("username.taken", value=name)
    return name
