"""The review queue: one row per record a helpdesk operator must decide on (R4, R16).

Registry records held for their admission route or disputed by their match,
and sheet rows that may be an existing person, wait here as `open` items
until an operator approves (create a new person, or link to a candidate) or
rejects them, with a reason. An item is identified by (source, school, key)
and carries a fingerprint of what it says: the same record filed again is
the same item; a changed record is a new decision. Only the review services
write these rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kleidi.people.models import Person, School


class Source(models.TextChoices):
    REGISTRY = "registry", _("student registry")
    SHEET = "sheet", _("secretariat sheet")


class Reason(models.TextChoices):
    HELD = "held", _("held: admission route other than the national exams")
    DISPUTED = "disputed", _("disputed: the record matches other people")
    POSSIBLE_DUPLICATE = "possible_duplicate", _("possible duplicate of an existing person")


class ItemState(models.TextChoices):
    OPEN = "open", _("waiting for a decision")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


DECIDED = (ItemState.APPROVED, ItemState.REJECTED)


class ReviewItem(models.Model):
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="review_items",
        null=True,
        blank=True,
        verbose_name=_("school"),
    )
    key = models.CharField(_("key"), max_length=200)
    # The record's values as the source sent them (never a secret), and the
    # ids of the people it may be.
    record = models.JSONField(_("record"), default=dict)
    candidates = models.JSONField(_("candidate people"), default=list)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    # The record's names, registration number and email as match keys, so the
    # console's search ignores accents, case and final sigma (§6).
    search_text = models.TextField(editable=False, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=16, choices=ItemState.choices, default=ItemState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    # What the source's handler did on approval (e.g. the person and account created).
    resolution = models.JSONField(_("resolution"), default=dict, blank=True)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("chosen person"),
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("review item")
        verbose_name_plural = _("review queue")
        indexes = [
            models.Index(
                fields=["source", "school", "key", "state"], name="review_item_identity_idx"
            ),
            models.Index(fields=["state", "-created_at"], name="review_item_state_idx"),
        ]
        constraints = [
            # At most one open item per record: filing again updates it.
            models.UniqueConstraint(
                F("source"),
                Coalesce(F("school"), 0),
                F("key"),
                condition=Q(state=ItemState.OPEN),
                name="review_item_one_open_per_key",
            ),
        ]

    def __str__(self) -> str:
        # The same in every language: the audit log keeps it as the target's name.
        school = self.school.code if self.school_id else "-"
        return f"{self.source} {school} {self.key}"

    @property
    def is_open(self) -> bool:
        return self.state == ItemState.OPEN
