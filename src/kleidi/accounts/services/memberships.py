"""Secretariat memberships (R8): which school a secretariat account acts for, audited."""

from __future__ import annotations

from django.db import transaction

from kleidi.accounts.models import (
    Account,
    SecretariatMembership,
)
from kleidi.audit.services import record
from kleidi.people.models import School


@transaction.atomic
def add_membership(account: Account, school: School, *, actor=None, client_ip=None):
    """R8: a secretariat account acts for `school`; audited as `membership.added`."""
    membership = SecretariatMembership.objects.create(account=account, school=school)
    _record_membership("membership.added", account, school, actor, client_ip)
    return membership


@transaction.atomic
def remove_membership(membership: SecretariatMembership, *, actor=None, client_ip=None) -> None:
    """R8: the account no longer acts for the school; audited as `membership.removed`."""
    account, school = membership.account, membership.school
    membership.delete()
    _record_membership("membership.removed", account, school, actor, client_ip)


def _record_membership(action: str, account, school, actor, client_ip) -> None:
    details = {"school": school.code}
    record(action, actor=actor, client_ip=client_ip, target=account, school=school, details=details)
