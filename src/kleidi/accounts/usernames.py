"""The username policy (R5, R7, R11): one place every path asks.

Usernames are ASCII lowercase letters and digits, start with a letter, and
are unique for ever, case-insensitively, across every account that ever
existed. The undergraduate pattern is reserved for undergraduate accounts.
"""

import re
from collections.abc import Iterable

from django.conf import settings

from kleidi.accounts.models import Account, AccountKind
from kleidi.errors import error

_LAST_DIGITS = re.compile(r"\{last(\d+)\}")


def normalise(username: str) -> str:
    return (username or "").strip().lower()


def _length_bounds() -> tuple[int, int]:
    """The minimum and maximum lengths implied by the syntax regex, for messages."""
    match = re.search(r"\{(\d+),(\d+)\}\$?$", settings.USERNAME_REGEX)
    if match:
        return int(match.group(1)) + 1, int(match.group(2)) + 1
    return 3, 32


def check_syntax(username: str) -> None:
    """R7 syntax; raises `username.syntax`."""
    if not re.fullmatch(settings.USERNAME_REGEX, username or ""):
        low, high = _length_bounds()
        raise error("username.syntax", value=username, min=low, max=high)


def is_undergraduate_pattern(username: str) -> bool:
    """R5: does this name look like an undergraduate username?"""
    return re.fullmatch(settings.UNDERGRADUATE_USERNAME_REGEX, normalise(username)) is not None


def undergraduate_username(prefix: str, registration_number: str) -> str:
    """R5: the undergraduate username for a school prefix and registration number.

    The template (setting UNDERGRADUATE_USERNAME_TEMPLATE) knows `{prefix}`,
    `{registration_number}` and `{lastN}`, the number's last N digits.
    """
    digits = re.sub(r"\D", "", registration_number or "")
    template = settings.UNDERGRADUATE_USERNAME_TEMPLATE

    def last(match: re.Match) -> str:
        return digits[-int(match.group(1)) :]

    name = _LAST_DIGITS.sub(last, template)
    return normalise(name.replace("{prefix}", prefix).replace("{registration_number}", digits))


def taken(usernames: Iterable[str]) -> set[str]:
    """Which of these names any account, ever, already has (one query)."""
    wanted = {normalise(u) for u in usernames if u}
    if not wanted:
        return set()
    return set(Account.objects.filter(username__in=wanted).values_list("username", flat=True))


def is_taken(username: str) -> bool:
    return bool(taken([username]))


def check_pattern_for_kind(username: str, kind: str) -> None:
    """R5/R11: the undergraduate pattern belongs to undergraduates alone."""
    pattern = is_undergraduate_pattern(username)
    if kind != AccountKind.UNDERGRADUATE and pattern:
        raise error("username.undergraduate_pattern", value=username)
    if kind == AccountKind.UNDERGRADUATE and not pattern:
        raise error("username.syntax", value=username, min=3, max=32)


def validate_new_username(username: str, kind: str) -> str:
    """Every check a brand-new username must pass; returns the normalised name."""
    name = normalise(username)
    check_syntax(name)
    check_pattern_for_kind(name, kind)
    if is_taken(name):
        raise error("username.taken", value=name)
    return name
