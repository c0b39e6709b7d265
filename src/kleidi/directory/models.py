"""The directory change queue and each account's directory state (R28).

Every change to an account or its person writes one `DirectoryChange` row in
the change's own transaction: the row says only *which* account and *why*,
never what (and never a password). The worker computes the entry from
Kleidi's data when it runs, so rows for one account coalesce into one
convergence and their order cannot matter. `DirectoryState` is what the
worker last did for an account: the console's "in sync / pending / last
error", and the retry schedule.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DirectoryChange(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="directory_changes"
    )
    # The audit action that caused it (account.created, data.changed, ...).
    reason = models.CharField(_("reason"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("directory change")
        verbose_name_plural = _("directory changes")
        indexes = [models.Index(fields=["account", "id"], name="directory_change_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.reason}"


class DirectoryState(models.Model):
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="directory_state",
    )
    # The last time the entry was brought to Kleidi's state, and the highest
    # change row that convergence covered.
    synced_at = models.DateTimeField(_("in sync since"), null=True, blank=True)
    synced_change = models.BigIntegerField(default=0)
    # Consecutive failures; the next try waits until next_attempt_at (backoff).
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # A worker converging this account holds it until then (a lease, so a
    # killed worker's accounts are taken again).
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("directory state")
        verbose_name_plural = _("directory states")
        indexes = [models.Index(fields=["next_attempt_at"], name="directory_state_due_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {'in sync' if self.synced_at else 'never synced'}"


class ReconcileRun(models.Model):
    """One `kleidi directory reconcile` run, saved after each chunk of accounts (R28).

    A run without `finished_at` was interrupted (killed, Ctrl-C, the directory
    down): the next run continues after `cursor`, the last username whose
    findings are saved, so the final report covers every account once.
    """

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    fix = models.BooleanField(_("fix drift"), default=False)
    cursor = models.CharField(_("last username done"), max_length=150, blank=True)
    # Totals so far (accounts, in_sync, missing, ...); entries and unknown_entries
    # once the directory's own scan is done, at the end.
    counts = models.JSONField(_("counts"), default=dict)
    unknown_entries = models.JSONField(_("unknown entries"), default=list)
    # How many times an interrupted run was taken up again.
    resumed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("reconcile run")
        verbose_name_plural = _("reconcile runs")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'done' if self.finished_at else 'unfinished'}"


class ReconcileFinding(models.Model):
    """One account whose entry differed (or carries a failed-bind lockout) in a run."""

    run = models.ForeignKey(ReconcileRun, on_delete=models.CASCADE, related_name="findings")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    username = models.CharField(max_length=150)
    dn = models.CharField(max_length=500)
    missing = models.BooleanField(default=False)
    attributes = models.JSONField(default=list)
    lock = models.CharField(max_length=8, blank=True)
    failure_locked = models.BooleanField(default=False)
    fixed = models.BooleanField(default=False)
    # The directory's refusal when --fix could not converge it (no secrets).
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "username"]
        verbose_name = _("reconcile finding")
        verbose_name_plural = _("reconcile findings")
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="reconcile_finding_once")
        ]

    def __str__(self) -> str:
        return f"{self.username}: {'fixed' if self.fixed else 'drift'}"
