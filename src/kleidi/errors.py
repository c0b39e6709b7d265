"""Kleidi's coded errors: one exception family, stable codes, a bilingual catalogue.

Every error a member, a secretariat or a script sees is a `CodedError`, a
Django `ValidationError` whose `code` is stable and whose `params` fill in
its message the way Django's own validators do (`%(max)s`), so forms, the
CLI's JSON, the sheet reports and the API all carry the same code and values.
Each installed app lists its codes in `<app>/errors.py` as
`MESSAGES = {code: (greek, english)}`; the catalogue is found through Django's
app registry, the message picked in the language active when it is shown
(kleidi.language), and docs/errors.md is checked against the catalogue by
the test suite.
"""

import re
from functools import cache
from importlib import import_module

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.module_loading import module_has_submodule

from kleidi.language import pick

# A str.format placeholder would reach the reader as "{max}": Django fills in "%(max)s".
_FORMAT_PLACEHOLDER = re.compile(r"\{\w+\}")


@cache
def catalogue() -> dict[str, tuple[str, str]]:
    """Every known code with its (Greek, English) message templates, from every app."""
    merged: dict[str, tuple[str, str]] = {}
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "errors"):
            continue
        module = import_module(f"{config.name}.errors")
        for code, pair in getattr(module, "MESSAGES", {}).items():
            if code in merged:
                raise RuntimeError(f"error code {code} is defined twice")
            if any(_FORMAT_PLACEHOLDER.search(template) for template in pair):
                raise RuntimeError(f"error code {code} uses {{name}}; write %(name)s")
            merged[code] = pair
    return merged


def template(code: str, language: str | None = None) -> str:
    """The message template of `code` in `language` (default: the active language)."""
    return pick(catalogue()[code], language)


def message(code: str, params: dict | None = None, language: str | None = None) -> str:
    """The message of `code` with its params filled in, as ValidationError fills them."""
    text = template(code, language)
    return text % params if params else text


_lazy_template = lazy(template, str)


class CodedError(ValidationError):
    """An error with a stable code, its params, and a message in the reader's language.

    The message is a lazy template, so an error raised while one language is
    active reads in whichever language is active when it is shown; Django
    interpolates `params` into it (`exc.messages`, form errors).
    """

    def __init__(self, code: str, **params):
        # The sheet reader's sandbox raises these without an app registry; the
        # parent then checks the code it receives.
        if apps.ready and code not in catalogue():
            raise KeyError(f"unknown error code {code}")
        super().__init__(_lazy_template(code), code=code, params=params)


def error(code: str, **params) -> CodedError:
    """The coded error `code` with its message params: `raise error("field.too_long", max=64)`."""
    return CodedError(code, **params)


def text(exc: ValidationError) -> str:
    """What the reader sees of an error: every message, its params filled in."""
    return " ".join(exc.messages)


def codes_of(exc: ValidationError) -> list[str]:
    """The codes inside a (possibly nested) ValidationError, in order."""
    return [e.code for e in exc.error_list if e.code]
