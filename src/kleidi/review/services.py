"""Filing records for review and deciding on them: the review queue's only writer (R4, R16).

Sources (the registry import, the sheets' validation) file items in bulk
with `file_items`; a helpdesk operator approves or rejects each one with a
reason. What approval does is the source's business: each source registers
a handler, called inside `approve`'s transaction, whose CodedError aborts
the approval. Secretariats read their school's items but never decide
(§6): `approve` and `reject` check it themselves, not only the console.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from kleidi.accounts.selectors import is_helpdesk
from kleidi.audit.services import build_event, record, record_many
from kleidi.errors import error
from kleidi.people.models import Person, School
from kleidi.review.models import DECIDED, ItemState, ReviewItem
from kleidi.text import match_key

REASON_MAX_CHARS = 1000
# Keys looked up per query when filing; far below SQLite's and PostgreSQL's
# parameter limits, and one query for any realistic run.
LOOKUP_BATCH = 5000
SEARCHED_FIELDS = (
    "surname",
    "given_name",
    "father_name",
    "mother_name",
    "latin_surname",
    "latin_given_name",
    "registration_number",
    "external_email",
)

Handler = Callable[..., dict]
_handlers: dict[str, Handler] = {}


@dataclass(frozen=True)
class NewItem:
    source: str  # "registry" | "sheet"
    reason: str  # "held" | "disputed" | "possible_duplicate"
    school: School | None
    key: str  # stable within (source, school)
    record: dict  # JSON-ready values to decide and act on; never a secret
    candidates: tuple[int, ...] = ()  # Person ids the record may be
    fingerprint: str = ""  # a digest of `record`; computed when empty


def fingerprint(record: dict, candidates=()) -> str:
    """SHA-256 of the record and its candidates, in a canonical JSON form."""
    canonical = json.dumps(
        {"record": record, "candidates": sorted(candidates)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def search_text(key: str, record: dict) -> str:
    values = [key, *(str(record.get(name) or "") for name in SEARCHED_FIELDS)]
    return match_key(" ".join(v for v in values if v))


def register_handler(source: str, handler: Handler) -> None:
    """`handler(item, *, person, actor, client_ip) -> dict` acts on an approval of `source`."""
    _handlers[source] = handler


def file_items(items: list[NewItem], *, actor=None, client_ip=None) -> dict[str, int]:
    """File records for review, idempotently (R4, R16).

    An open item with the same (source, school, key) is updated when its
    fingerprint changed and left alone when not; a decided item with the
    same fingerprint is not filed again (the decision stands); a changed
    record after a decision is a new open item. One query finds the
    existing items (per LOOKUP_BATCH keys), batched INSERTs file the new ones;
    each new item gets a `review.filed` audit event, each updated one
    `review.updated` (what the helpdesk will decide on changed).
    """
    if not items:
        return {"filed": 0, "updated": 0, "unchanged": 0}
    prepared = {}
    for item in items:
        digest = item.fingerprint or fingerprint(item.record, item.candidates)
        prepared[(item.source, item.school.pk if item.school else None, item.key)] = (
            item,
            digest,
        )
    try:
        return _file(prepared, actor=actor, client_ip=client_ip)
    except IntegrityError:
        # Another run filed one of these keys meanwhile (the one-open-item
        # constraint): look again, now that its item is there to update.
        return _file(prepared, actor=actor, client_ip=client_ip)


def _file(prepared: dict, *, actor, client_ip) -> dict[str, int]:
    counts = {"filed": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        existing = _existing(prepared)
        new, changed = [], []
        now = timezone.now()
        for identity, (item, digest) in prepared.items():
            open_item, decided = existing.get(identity, (None, set()))
            if open_item is not None:
                if open_item.fingerprint == digest:
                    counts["unchanged"] += 1
                    continue
                open_item.school = item.school  # loaded already: no query per item
                open_item.record = item.record
                open_item.candidates = sorted(item.candidates)
                open_item.fingerprint = digest
                open_item.reason = item.reason
                open_item.search_text = search_text(item.key, item.record)
                open_item.updated_at = now
                changed.append(open_item)
            elif digest in decided:
                counts["unchanged"] += 1
            else:
                new.append(
                    ReviewItem(
                        source=item.source,
                        reason=item.reason,
                        school=item.school,
                        key=item.key,
                        record=item.record,
                        candidates=sorted(item.candidates),
                        fingerprint=digest,
                        search_text=search_text(item.key, item.record),
                    )
                )
        if changed:
            ReviewItem.objects.bulk_update(
                changed,
                ["record", "candidates", "fingerprint", "reason", "search_text", "updated_at"],
            )
        if new:
            ReviewItem.objects.bulk_create(new)
        events = [("review.filed", item) for item in new]
        events += [("review.updated", item) for item in changed]
        record_many(
            [
                build_event(
                    action,
                    actor=actor,
                    client_ip=client_ip,
                    target=item,
                    school=item.school,
                    details=_details(item, candidates=item.candidates),
                )
                for action, item in events
            ]
        )
    counts["filed"], counts["updated"] = len(new), len(changed)
    return counts


def _existing(prepared: dict) -> dict:
    """{(source, school id, key): (open item or None, {fingerprints of decided items})}."""
    found: dict = {}
    identities = list(prepared)
    for start in range(0, len(identities), LOOKUP_BATCH):
        batch = identities[start : start + LOOKUP_BATCH]
        rows = ReviewItem.objects.filter(
            source__in={source for source, _, _ in batch}, key__in={key for _, _, key in batch}
        ).only("pk", "source", "school_id", "key", "state", "fingerprint")
        for row in rows:
            identity = (row.source, row.school_id, row.key)
            if identity not in prepared:
                continue
            decided = found.setdefault(identity, (None, set()))[1]
            if row.state == ItemState.OPEN:
                found[identity] = (row, decided)
            else:
                decided.add(row.fingerprint)
    return found


def _clean_reason(actor, reason: str) -> str:
    """Only the helpdesk decides (§6: a secretariat reads), and always with a reason."""
    if not is_helpdesk(actor):
        raise error("review.helpdesk_only")
    cleaned = (reason or "").strip()
    if not cleaned:
        raise error("review.reason_required")
    if len(cleaned) > REASON_MAX_CHARS:
        raise error("review.reason_too_long", length=len(cleaned), max=REASON_MAX_CHARS)
    return cleaned


def _lock_open(item: ReviewItem, actor) -> ReviewItem:
    """The item's row, locked; refused unless open and unchanged since `item` was read."""
    locked = (
        ReviewItem.objects.select_for_update(of=("self",)).select_related("school").get(pk=item.pk)
    )
    if locked.state in DECIDED:
        actor_name = locked.decided_by.username if locked.decided_by_id else "system"
        state = str(locked.get_state_display())
        raise error("review.already_decided", actor=actor_name, state=state)
    if locked.fingerprint != item.fingerprint:
        raise error("review.changed")
    return locked


def approve(
    item: ReviewItem, *, actor, reason: str, person: Person | None = None, client_ip=None
) -> ReviewItem:
    """Approve: create a new person (`person` None) or link the record to a candidate.

    The source's handler acts inside this transaction; if it raises, nothing
    is decided. Only the helpdesk approves; an item is decided once.
    """
    cleaned = _clean_reason(actor, reason)
    with transaction.atomic():
        locked = _lock_open(item, actor)
        if person is not None and person.pk not in locked.candidates:
            raise error("review.not_a_candidate", person=person.pk)
        handler = _handlers.get(locked.source)
        if handler is None:
            raise error("review.no_handler", source=locked.source)
        resolution = handler(locked, person=person, actor=actor, client_ip=client_ip)
        _decide(locked, ItemState.APPROVED, actor, cleaned, resolution=resolution, person=person)
        record(
            "review.approved",
            actor=actor,
            client_ip=client_ip,
            target=locked,
            school=locked.school,
            details=_details(
                locked,
                decision="link" if person is not None else "create",
                person=person.pk if person is not None else None,
                decision_reason=cleaned,
                resolution=resolution,
            ),
        )
    return locked


def reject(item: ReviewItem, *, actor, reason: str, client_ip=None) -> ReviewItem:
    """Reject: nothing is created or linked; the source keeps refusing the record."""
    cleaned = _clean_reason(actor, reason)
    with transaction.atomic():
        locked = _lock_open(item, actor)
        _decide(locked, ItemState.REJECTED, actor, cleaned)
        record(
            "review.rejected",
            actor=actor,
            client_ip=client_ip,
            target=locked,
            school=locked.school,
            details=_details(locked, decision_reason=cleaned),
        )
    return locked


def _details(item: ReviewItem, **more) -> dict:
    """An item's audit details: what every review event names, then the event's own."""
    return {"source": item.source, "reason": item.reason, "key": item.key, **more}


def _decide(item, state, actor, reason, *, resolution=None, person=None) -> None:
    item.state = state
    item.decided_by = actor
    item.decided_at = timezone.now()
    item.decision_reason = reason
    item.resolution = resolution or {}
    item.person = person
    item.save(
        update_fields=[
            "state",
            "decided_by",
            "decided_at",
            "decision_reason",
            "resolution",
            "person",
            "updated_at",
        ]
    )
