"""Uploaded secretariat sheets (R8, R19).

An upload is identified by a random UUID (never a guessable number) and keeps
its file, so that the worker that applies it and the results download read
exactly what was validated. Only the sheets services write these rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kleidi.people.models import School


class SheetKind(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("postgraduate (ΔΠΜΣ) accounts")
    PHD = "phd", _("PhD accounts")
    RENEWAL = "renewal", _("renewal of accounts")


class SheetState(models.TextChoices):
    INVALID = "invalid", _("has errors")
    VALID = "valid", _("ready to apply")
    QUEUED = "queued", _("waiting to be applied")
    APPLYING = "applying", _("being applied")
    APPLIED = "applied", _("applied")
    FAILED = "failed", _("failed; nothing was changed")
    INTERRUPTED = "interrupted", _("interrupted; nothing was changed")


# The states an error-free upload may be applied from. An applied upload is never
# applied again: its record stays as it was; a repeat is its own audit event
# (`sheet.apply_repeated`, kleidi.sheets.runs).
APPLICABLE = (SheetState.VALID, SheetState.FAILED, SheetState.INTERRUPTED)


class SheetUpload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="sheet_uploads", verbose_name=_("school")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SheetKind.choices)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=SheetState.choices)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # The latest validation or apply: errors, warnings and every row's outcome.
    result = models.JSONField(_("result"), default=dict, blank=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    changes = models.PositiveIntegerField(_("changes made"), default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    # Who applies the upload now (kleidi.sheets.claims): committed before the
    # apply's transaction, cleared in it. The attempt id fences a stale one out.
    apply_attempt = models.CharField(max_length=32, blank=True, default="")
    apply_claim = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("sheet upload")
        verbose_name_plural = _("sheet uploads")

    def __str__(self) -> str:
        return f"{self.filename} ({self.school.code}, {self.kind})"

    @property
    def progress_percent(self) -> int:
        if self.state == SheetState.APPLIED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_running(self) -> bool:
        return self.state in (SheetState.QUEUED, SheetState.APPLYING)

    @property
    def can_apply(self) -> bool:
        return self.state in APPLICABLE and self.error_count == 0
