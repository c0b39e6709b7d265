"""Reading audit events back as an auditor does: who, from where, on what, for which school."""

from kleidi.audit.models import AuditEvent


def seen(event: AuditEvent) -> dict:
    """The fields an auditor reads, in a form a test can compare whole."""
    return {
        "action": event.action,
        "actor": event.actor.username if event.actor_id else None,
        "actor_name": event.actor_name,
        "client_ip": event.client_ip,
        "target": f"{event.target_type}:{event.target_repr}" if event.target_type else "",
        "school": event.school.code if event.school_id else None,
        "details": event.details,
    }


def only(action: str, since: int = 0) -> dict:
    """The one event of `action` (after event `since`, e.g. the demo seed's last), as `seen`."""
    return seen(AuditEvent.objects.get(action=action, pk__gt=since))


def last_event() -> int:
    """The newest event's id (0 if none): events after it are the test's own."""
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
