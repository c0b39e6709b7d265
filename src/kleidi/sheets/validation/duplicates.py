"""R18: the same username, registration number or email twice in one sheet."""

from __future__ import annotations

from collections import defaultdict

from kleidi.sheets.validation.cells import as_text
from kleidi.sheets.validation.rows import Row


def mark_duplicates(rows: list[Row], column: str, key) -> None:
    """The same value in two rows is an error on both."""
    seen: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value:
            seen[value].append(row)
    for group in seen.values():
        if len(group) < 2:
            continue
        numbers = ", ".join(str(r.number) for r in group)
        for row in group:
            shown = as_text(row.raw.get(column, "")) or row.values.get(column, "")
            row.error(column, "row.duplicate", {"value": shown, "rows": numbers}, shown)
