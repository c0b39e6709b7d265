"""Password links (R3, R24): only a hash of each token is stored.

A token is 256 bits sent once, inside the link, to the member's
external email. The database keeps its SHA-256 (and the outbox only a sealed
placeholder, kleidi.linkseal), so a copy of the database (or of a backup)
opens no account. Rows are written and changed only by
`kleidi.credentials.services`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LinkPurpose(models.TextChoices):
    ACTIVATION = "activation", _("activation")
    RESET = "reset", _("password reset")


class LinkToken(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="link_tokens",
        verbose_name=_("account"),
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=LinkPurpose.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("password link")
        verbose_name_plural = _("password links")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=LinkPurpose.values),
                name="linktoken_purpose_valid",
            ),
        ]
        indexes = [
            # Voiding touches only an account's outstanding links, however many it had.
            models.Index(
                fields=["account"],
                condition=models.Q(used_at__isnull=True, voided_at__isnull=True),
                name="linktoken_outstanding_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for {self.account_id}"

    def is_usable(self, now=None) -> bool:
        """Not used, not voided, not expired (the account's state is checked by the service)."""
        now = now or timezone.now()
        return self.used_at is None and self.voided_at is None and self.expires_at > now


class RateCounter(models.Model):
    """One rate-limit window's count when the cache is not Redis (R23, R25, R27).

    Django's database cache has no atomic increment, so the counters live in
    this table instead, written only by `kleidi.credentials.ratelimit` with one
    `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per event: atomic on
    SQLite and PostgreSQL alike. The key holds a keyed hash, never the value.
    """

    key = models.CharField(_("key"), max_length=120, primary_key=True)
    count = models.IntegerField(_("count"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
