"""Reading the audit log for pages (R29): an object's own timeline, with readable labels."""

from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kleidi.audit.models import AuditEvent

TIMELINE_LIMIT = 50

# What a person reads for an action; an action without a label shows its code.
ACTION_LABELS = {
    "account.created": _("account created"),
    "account.activated": _("account activated"),
    "account.disabled": _("account disabled"),
    "account.enabled": _("account re-enabled"),
    "account.expired": _("account expired"),
    "account.retired": _("account retired"),
    "account.reactivated": _("account reactivated"),
    "account.renewed": _("account renewed"),
    "account.expiry_reminder": _("expiry reminder sent"),
    "link.issued": _("link sent"),
    "password.reset_requested": _("password reset requested"),
    "password.reset_refused": _("password reset refused"),
    "password.changed": _("password changed"),
    "login.staff": _("staff sign-in"),
    "login.failed": _("failed sign-in"),
    "login.refused": _("sign-in refused"),
    "login.throttled": _("sign-in throttled"),
    "membership.added": _("school membership granted"),
    "membership.removed": _("school membership revoked"),
    "staff.role_granted": _("staff role granted"),
    "staff.role_revoked": _("staff role revoked"),
    "directory.pushed": _("directory entry pushed"),
    "data.changed": _("data changed"),
    "person.created": _("person recorded"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def events_for(*targets: models.Model, limit: int = TIMELINE_LIMIT) -> QuerySet[AuditEvent]:
    """The events whose target is any of `targets`, newest first, at most `limit` (one query).

    An account's timeline passes the account and its person: R2's changes
    (a new external email, a corrected name) are audited against the Person.
    """
    whose = Q()
    for target in targets:
        whose |= Q(target_type=target._meta.model_name, target_id=str(target.pk))
    if not targets:
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(whose)
        .select_related("school")
        .order_by("-created_at", "-pk")[:limit]
    )
