"""The account row's password fields (R26, R27): credentials decides, this writes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kleidi.accounts.models import (
    Account,
)


def store_password(account: Account, password: str, *, now: dt.datetime) -> Account:
    """R26: the account's new password hash (hashed once), in the caller's transaction.

    The credentials service decides the password and does the rest of R26
    (links, mail, audit, directory); the account's row is written here.
    """
    account.set_password(password)
    account.password_changed_at = now
    account.save(update_fields=["password", "password_changed_at"])
    return account


def upgrade_password_hash(account: Account, password: str) -> None:
    """A right password under an outdated hasher is stored again under the current one.

    Django's `check_password` calls this at sign-in; the password did not
    change, so neither does `password_changed_at`.
    """
    account.set_password(password)
    account._password = None
    account.save(update_fields=["password"])


def record_sign_in(account: Account) -> None:
    """Django's `update_last_login`, done by the account's own writer."""
    account.last_login = timezone.now()
    account.save(update_fields=["last_login"])
