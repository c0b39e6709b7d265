"""R10's error for a new username without the surname, with free suggestions."""

from __future__ import annotations

import re

from django.conf import settings

from kleidi.accounts import usernames
from kleidi.sheets.validation.rows import Row
from kleidi.text import suggest_usernames


def suggest(rows: list[Row], in_sheet: set[str]) -> None:
    """R10's free suggestions, with one bulk query for every candidate of every row."""
    if not rows:
        return
    candidates: dict[int, list[str]] = {}
    wanted: set[str] = set()
    max_length = usernames._length_bounds()[1]

    def valid_syntax(name: str) -> bool:
        return re.fullmatch(settings.USERNAME_REGEX, name) is not None

    for row in rows:
        names = suggest_usernames(
            row.values.get("given_name", ""),
            row.values["surname"],
            max_length=max_length,
            accept=valid_syntax,
            limit=8,
        )
        candidates[row.number] = names
        wanted.update(names)
    taken = usernames.taken(wanted) | in_sheet

    def is_taken(name: str) -> bool:
        return name in taken or usernames.is_undergraduate_pattern(name)

    for row in rows:
        suggestions = suggest_usernames(
            row.values.get("given_name", ""),
            row.values["surname"],
            max_length=max_length,
            accept=lambda name: valid_syntax(name) and not is_taken(name),
            limit=3,
        )
        row.error(
            "username",
            "username.missing_surname",
            {
                "value": row.username,
                "surname": row.values["surname"],
                "suggestions": ", ".join(suggestions) or "—",
            },
        )
