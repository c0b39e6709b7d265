"""Writing audit events (R29): one function every app calls.

Details must never hold a password or a token; `record` drops keys that look
like one, so a careless caller cannot leak a secret into the log.
"""

from typing import Any

from django.db import models
from django.utils.crypto import salted_hmac

from kleidi.audit.models import AuditEvent
from kleidi.bulk import insert_rows

SECRET_KEYS = ("password", "token", "secret")
TARGET_REPR_CHARS = AuditEvent._meta.get_field("target_repr").max_length
PSEUDONYM_CHARS = 16  # 64 bits: enough to tell typed values apart, short to read


def pseudonym(value: str) -> str:
    """A keyed digest for typed text that may be a secret (a password in the username box).

    Failed sign-ins and refused resets of unknown usernames keep this instead
    of what was typed: the same text gives the same digest (so bursts can be
    followed), and without SECRET_KEY nobody can test guesses against it.
    """
    raw = str(value).encode("utf-8", "surrogatepass")
    digest = salted_hmac("kleidi.audit.pseudonym", raw, algorithm="sha256").hexdigest()
    return "hmac:" + digest[:PSEUDONYM_CHARS]


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for key, value in details.items():
        if any(word in key.lower() for word in SECRET_KEYS):
            continue
        cleaned[key] = _clean(value) if isinstance(value, dict) else value
    return cleaned


def build_event(
    action, *, actor=None, client_ip=None, target=None, school=None, details=None
) -> AuditEvent:
    """An unsaved event, for callers that write many at once with `record_many`."""
    actor_name = getattr(actor, "username", "") if actor is not None else ""
    return AuditEvent(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name or "system",
        client_ip=client_ip or None,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:TARGET_REPR_CHARS] if target is not None else "",
        school=school,
        details=_clean(details or {}),
    )


def record(
    action: str,
    *,
    actor=None,
    client_ip: str | None = None,
    target: models.Model | None = None,
    school=None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call inside the transaction of the change it describes."""
    event = build_event(
        action, actor=actor, client_ip=client_ip, target=target, school=school, details=details
    )
    event.save()
    return event


def record_many(events: list[AuditEvent]) -> None:
    """Append many events (from `build_event`) at once (bulk sheets write thousands)."""
    insert_rows(events)
