"""The account a typed username names, and the bounds of what may be typed."""

from __future__ import annotations

from django.db.models import Case, Q, Subquery, Value, When
from django.db.models.functions import Lower

from kleidi.accounts.models import Account

MAX_USERNAME = 64
MAX_EMAIL = 254


def typed_username(raw: str) -> str:
    """A username as typed, compared in lower case and bounded before any lookup."""
    return raw.strip().lower()[:MAX_USERNAME]


def find_account(username: str) -> Account | None:
    # LOWER(username) = %s uses the case-insensitive unique index on every backend.
    # No ORDER BY: the name is unique, and ordering would make SQLite scan.
    found = list(
        Account.objects.select_related("person", "school")
        .alias(username_lower=Lower("username"))
        .filter(username_lower=username)
        .order_by()[:1]
    )
    return found[0] if found else None


def find_account_evenly(username: str) -> tuple[Account | None, Account | None]:
    """(the account, a stand-in): one query that loads one account row in every case.

    Without a match the row is a stand-in (the first account), so a known and
    an unknown username cost the same query, the same row conversion and the
    same model instances (R23 timing). The stand-in is only ever compared,
    never acted on: the first element is None for an unknown username.
    """
    first = Account.objects.order_by("pk").values("pk")[:1]
    found = list(
        Account.objects.select_related("person", "school")
        .alias(username_lower=Lower("username"))
        .alias(mismatch=Case(When(username_lower=username, then=Value(0)), default=Value(1)))
        .filter(Q(username_lower=username) | Q(pk=Subquery(first)))
        .order_by("mismatch")[:1]
    )
    row = found[0] if found else None
    return (row if row is not None and row.username.lower() == username else None), row
