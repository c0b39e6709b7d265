"""Setting a password (R26): through a link (R24) or by a signed-in member (R27).

Hashed once, older links voided, audited, confirmed by mail, the account
activated if pending, and the directory last, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account, AccountState
from kleidi.accounts.services import activate_account, store_password
from kleidi.audit.services import record
from kleidi.credentials.models import LinkPurpose, LinkToken
from kleidi.credentials.services.links import LINKABLE_STATES, void_links
from kleidi.credentials.services.signin import LOGIN_REFUSED_CODES
from kleidi.directory import services as directory
from kleidi.errors import error
from kleidi.notifications.services import queue_message

logger = logging.getLogger(__name__)


def _apply_password(
    account: Account,
    password: str,
    *,
    action: str,
    client_ip: str | None,
    now: dt.datetime,
    details: dict | None = None,
) -> Account:
    """Hash once, void links, audit, confirm by mail, activate; the directory last.

    Runs inside the caller's transaction with the account row locked. Other
    sessions end because Django ties each session to the password hash.
    """
    store_password(account, password, now=now)
    void_links(account, now=now)
    if account.state == AccountState.PENDING:
        activate_account(account, actor=account, client_ip=client_ip)
        account.refresh_from_db(fields=["state", "state_changed_at"])
    record(
        action,
        actor=account,
        client_ip=client_ip,
        target=account,
        school=account.school,
        details=details or {},
    )
    if account.email:
        queue_message(
            "password_changed",
            to=account.email,
            account=account,
            context={
                "username": account.username,
                "changed_at": now,
                "base_url": settings.BASE_URL,
            },
        )
    try:
        directory.set_password(account, password)
    except ValidationError:
        raise
    except Exception:
        logger.exception("directory refused the password of account %s", account.pk)
        raise error("password.directory_refused") from None
    return account


def _locked_account(pk: int) -> Account:
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("person", "school", "affiliation")
        .get(pk=pk)
    )


def complete_link(
    token_hash: str, password: str, *, client_ip: str | None = None, now: dt.datetime | None = None
) -> Account:
    """R24, R26: set the password through a link; the link is used up.

    Raises `link.invalid` when the link is unknown, used, voided, expired or
    its account can no longer have a password set, and then changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        token = (
            LinkToken.objects.select_for_update().filter(token_hash=token_hash).first()
            if token_hash
            else None
        )
        if token is None or not token.is_usable(now):
            raise error("link.invalid")
        account = _locked_account(token.account_id)
        if account.effective_state not in LINKABLE_STATES:
            raise error("link.invalid")
        token.used_at = now
        token.save(update_fields=["used_at"])
        action = (
            "password.initialised"
            if token.purpose == LinkPurpose.ACTIVATION
            else "password.reset_completed"
        )
        return _apply_password(
            account,
            password,
            action=action,
            client_ip=client_ip,
            now=now,
            details={"purpose": token.purpose},
        )


def change_password(
    account: Account, password: str, *, client_ip: str | None = None, now=None
) -> Account:
    """R26, R27: a signed-in member sets a new password (the current one was checked)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_account(account.pk)
        if not locked.is_active:
            raise error(LOGIN_REFUSED_CODES.get(locked.effective_state, "login.failed"))
        return _apply_password(
            locked, password, action="password.changed", client_ip=client_ip, now=now
        )
