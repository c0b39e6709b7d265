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


def only(action: str) -> dict:
    """The one event of `action`, as `seen`."""
    return seen(AuditEvent.objects.get(action=action))
