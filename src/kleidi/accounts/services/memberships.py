"""Secretariat memberships (R8): which school a secretariat account acts for, audited.

Granting twice, or revoking what was never granted, is a clear refusal
(`membership.exists`, `membership.missing`), never a silent no-op or a
database error: the console and `kleidi staff grant` say what was already so.
Only a secretariat account holds memberships (`staff.not_secretariat`); the
helpdesk acts for every school without one. The account row is locked first,
so two tabs granting the same school serialise and the second is refused.
"""

from __future__ import annotations

from django.db import transaction

from kleidi.accounts.models import (
    Account,
    SecretariatMembership,
    StaffRole,
)
from kleidi.accounts.services.transitions import locked
from kleidi.audit.services import record
from kleidi.errors import error
from kleidi.people.models import School


@transaction.atomic
def add_membership(account: Account, school: School, *, actor=None, client_ip=None):
    """R8: a secretariat account acts for `school`; audited as `membership.added`."""
    account = locked(account)
    if account.role != StaffRole.SECRETARIAT:
        raise error("staff.not_secretariat", username=account.username)
    if SecretariatMembership.objects.filter(account=account, school=school).exists():
        raise error("membership.exists", username=account.username, school=school.code)
    membership = SecretariatMembership.objects.create(account=account, school=school)
    _record_membership("membership.added", account, school, actor, client_ip)
    return membership


@transaction.atomic
def remove_membership(membership: SecretariatMembership, *, actor=None, client_ip=None) -> None:
    """R8: the account no longer acts for the school; audited as `membership.removed`."""
    account, school = membership.account, membership.school
    membership.delete()
    _record_membership("membership.removed", account, school, actor, client_ip)


@transaction.atomic
def revoke_membership(account: Account, school: School, *, actor=None, client_ip=None) -> None:
    """R8: `remove_membership` by account and school; `membership.missing` if there is none."""
    account = locked(account)
    membership = SecretariatMembership.objects.filter(account=account, school=school).first()
    if membership is None:
        raise error("membership.missing", username=account.username, school=school.code)
    remove_membership(membership, actor=actor, client_ip=client_ip)


def _record_membership(action: str, account, school, actor, client_ip) -> None:
    details = {"school": school.code}
    record(action, actor=actor, client_ip=client_ip, target=account, school=school, details=details)
