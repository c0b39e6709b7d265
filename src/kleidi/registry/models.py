"""What the registry import keeps: one row per import run (docs/registry.md, "Import").

A run is written in the import's own transaction, so a run that crashed left
no row at all; a preview writes no run (only its audit event). Only
`kleidi.registry.services` writes these rows.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegistryRun(models.Model):
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("started by"),
    )
    # The school codes a per-school run was restricted to; empty: every school.
    schools = models.JSONField(_("schools"), default=list, blank=True)
    records = models.PositiveIntegerField(_("records"), default=0)
    # {situation: n} for every situation (kleidi.registry.classify.SITUATIONS).
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}"
