"""Kleidi's stable error codes, each with its Greek and English message.

The codes are `ValidationError` codes end to end: the web pages, the CLI's
JSON and the API all carry them. Each app lists its own codes in
`<app>/errors.py` as `MESSAGES = {code: (greek, english)}`; this module merges
them, picks the message in the active language, and docs/errors.md is checked
against the merged catalogue by the test suite.
"""

from functools import cache
from importlib import import_module

from django.core.exceptions import ValidationError

from kleidi.language import pick

CATALOGUE_MODULES = (
    "kleidi.people.errors",
    "kleidi.accounts.errors",
    "kleidi.credentials.errors",
    "kleidi.sheets.errors",
    "kleidi.portal.errors",
)


@cache
def catalogue() -> dict[str, tuple[str, str]]:
    """Every known code with its (Greek, English) message templates."""
    merged: dict[str, tuple[str, str]] = {}
    for name in CATALOGUE_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for code, pair in module.MESSAGES.items():
            if code in merged:
                raise RuntimeError(f"error code {code} is defined twice")
            merged[code] = pair
    return merged


def message(code: str, params: dict | None = None, language: str | None = None) -> str:
    """The message for `code` in `language` (default: the active language)."""
    template = pick(catalogue()[code], language)
    return template.format(**params) if params else template


class LocalisedMessage:
    """A message that renders in whatever language is active when shown."""

    def __init__(self, code: str, params: dict | None = None):
        self.code = code
        self.params = params or {}

    def __str__(self) -> str:
        return message(self.code, self.params)

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(self.code)


def error(code: str, **params) -> ValidationError:
    """A ValidationError carrying a stable code and a bilingual message."""
    if code not in catalogue():
        raise KeyError(f"unknown error code {code}")
    return ValidationError(LocalisedMessage(code, params), code=code)


def codes_of(exc: ValidationError) -> list[str]:
    """The codes inside a (possibly nested) ValidationError, in order."""
    return [e.code for e in exc.error_list if e.code]
