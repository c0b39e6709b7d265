"""The registry import (R4, R5, R6): preview a feed, import it; the only writer of this app.

`preview_feed` classifies every record (kleidi.registry.classify) and writes
nothing but its `registry.previewed` audit event. `import_feed` classifies
again inside one transaction, refuses before any write when too many known
students would be missing (`registry.too_many_missing`), applies the rest
through the people and account services (kleidi.registry.apply), files held
and disputed records into the review queue, and records the run with its
`registry.imported` event. A crash anywhere leaves nothing; the same feed
again finds every record `unchanged` and writes only its run and event.

The command (`kleidi registry import`) takes the run lock, reads the feed and
calls these; docs/registry.md documents the report's JSON schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.services import local_today
from kleidi.audit.services import record
from kleidi.errors import CodedError, error, message
from kleidi.people.models import School
from kleidi.registry.apply import apply_outcomes
from kleidi.registry.approvals import REASON_KEY
from kleidi.registry.classify import (
    ERROR,
    MISSING,
    SITUATIONS,
    Classified,
    Outcome,
    classify,
    record_json,
)
from kleidi.registry.models import RegistryRun
from kleidi.registry.records import Feed
from kleidi.review.services import NewItem, file_items

Progress = Callable[[int, int], None]


@dataclass
class Report:
    """What a preview found or an import did, record by record (docs/registry.md, "Report")."""

    source: str
    dry_run: bool
    records: int
    outcomes: list[Outcome] = field(default_factory=list)
    refusal: CodedError | None = None
    run: RegistryRun | None = None
    warnings: list[dict] = field(default_factory=list)  # the feed's, e.g. sheet.unknown_column

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SITUATIONS, 0)
        for outcome in self.outcomes:
            counts[outcome.situation] += 1
        return counts

    @property
    def ok(self) -> bool:
        return self.refusal is None and not any(o.situation == ERROR for o in self.outcomes)

    @property
    def exit_status(self) -> int:
        """0: no record errors; 1: some records in `error` (the rest applied)."""
        return 1 if any(o.situation == ERROR for o in self.outcomes) else 0

    def refusal_json(self) -> dict | None:
        if self.refusal is None:
            return None
        item = self.refusal.error_list[0]
        params = dict(item.params or {})
        return {"code": item.code, "message": message(item.code, params), "params": params}

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "source": self.source,
            "records": self.records,
            "counts": self.counts,
            "outcomes": [o.as_json() for o in self.outcomes],
            "refusal": self.refusal_json(),
            "warnings": [
                {
                    "code": w["code"],
                    "message": message(w["code"], w["params"]),
                    "params": w["params"],
                }
                for w in self.warnings
            ],
        }


def missing_refusal(classified: Classified) -> CodedError | None:
    """`registry.too_many_missing` when more than the allowed share would be missing."""
    known, missing = classified.known_active, classified.missing
    limit = settings.REGISTRY_MAX_MISSING_SHARE
    if not known or missing / known <= limit:
        return None
    return error(
        "registry.too_many_missing",
        missing=missing,
        known=known,
        share=f"{missing / known:.1%}",
        limit=f"{limit:.1%}",
    )


def _details(feed: Feed, report: Report, schools: list[School] | None) -> dict:
    return {
        "source": feed.source,
        "records": report.records,
        "counts": report.counts,
        "schools": [s.code for s in schools or []],
        "refusal": report.refusal.code if report.refusal is not None else None,
    }


def preview_feed(
    feed: Feed,
    *,
    actor=None,
    today: dt.date | None = None,
    schools: list[School] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Classify every record; write nothing but the `registry.previewed` audit event.

    A feed the import would refuse is reported with its refusal, not raised.
    """
    today = today or local_today()
    classified = classify(feed, today=today, schools=schools, progress=progress)
    report = Report(
        source=feed.source,
        dry_run=True,
        records=classified.records,
        outcomes=classified.outcomes,
        refusal=missing_refusal(classified),
        warnings=feed.warnings,
    )
    record("registry.previewed", actor=actor, details=_details(feed, report, schools))
    return report


def import_feed(
    feed: Feed,
    *,
    actor=None,
    today: dt.date | None = None,
    schools: list[School] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Apply the feed in one transaction; refuse `registry.too_many_missing` before any write."""
    today = today or local_today()
    started = timezone.now()
    with transaction.atomic():
        classified = classify(feed, today=today, schools=schools, progress=progress)
        refusal = missing_refusal(classified)
        if refusal is not None:
            raise refusal
        report = Report(
            source=feed.source,
            dry_run=False,
            records=classified.records,
            outcomes=classified.outcomes,
            warnings=feed.warnings,
        )
        apply_outcomes(classified.outcomes, today=today, actor=actor, progress=progress)
        file_for_review(classified.outcomes, actor=actor)
        report.run = RegistryRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            source=feed.source[: RegistryRun._meta.get_field("source").max_length],
            actor=actor if actor is not None and actor.pk else None,
            schools=[s.code for s in schools or []],
            records=report.records,
            counts=report.counts,
        )
        record(
            "registry.imported",
            actor=actor,
            target=report.run,
            details=_details(feed, report, schools),
        )
    return report


def file_for_review(outcomes: list[Outcome], *, actor=None) -> dict[str, int]:
    """Held and disputed records into the helpdesk's review queue (kleidi.review), in bulk.

    The item's record is the feed's cleaned values plus why it was filed
    (`registry_reason`); its key the registration number; its candidates the
    people R16 found. Filing the same record again changes nothing (the
    queue compares fingerprints); approving it runs `approvals.approve_record`.
    """
    items = [
        NewItem(
            source="registry",
            reason=outcome.situation,
            school=outcome.school,
            key=outcome.registration_number,
            record={**record_json(outcome.record), REASON_KEY: outcome.reason["code"]},
            candidates=tuple(outcome.candidates),
        )
        for outcome in outcomes
        if outcome.review
    ]
    return file_items(items, actor=actor)


__all__ = ["MISSING", "Report", "import_feed", "preview_feed"]
