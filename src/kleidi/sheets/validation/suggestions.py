"""R10's error for a new username without the surname, with free suggestions."""

from __future__ import annotations

from kleidi.accounts import usernames
from kleidi.sheets.validation.rows import Row
from kleidi.text import suggest_usernames


def suggest(rows: list[Row], in_sheet: set[str]) -> None:
    """R10's free suggestions, with one bulk query for every candidate of every row."""
    if not rows:
        return
    policy = usernames.username_policy()
    wanted: set[str] = set()
    for row in rows:
        wanted.update(
            suggest_usernames(
                row.values.get("given_name", ""),
                row.values["surname"],
                max_length=policy.max_length,
                accept=lambda name, kind=row.kind: policy.accepts(name, kind),
                limit=8,
            )
        )
    taken = usernames.taken(wanted) | in_sheet

    for row in rows:
        suggestions = suggest_usernames(
            row.values.get("given_name", ""),
            row.values["surname"],
            max_length=policy.max_length,
            accept=lambda name, kind=row.kind: name not in taken and policy.accepts(name, kind),
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
