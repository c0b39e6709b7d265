"""Accounts: the credentials a person uses for the university's services.

An account is Django's user model. Its username is unique for ever and
case-insensitively (R7): rows are never deleted, and the database enforces
uniqueness on the lowercased name. Every state change goes through
`kleidi.accounts.services` (R22), never through direct saves.
"""

from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import check_password
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kleidi.people.models import Affiliation, AffiliationKind, Person, School

# An account's kind is the kind of the affiliation it serves.
AccountKind = AffiliationKind

RENEWABLE_KINDS = frozenset({AccountKind.POSTGRADUATE, AccountKind.PHD})


class AccountState(models.TextChoices):
    PENDING = "pending", _("pending (no password yet)")
    ACTIVE = "active", _("active")
    EXPIRED = "expired", _("expired")
    DISABLED = "disabled", _("disabled")
    RETIRED = "retired", _("retired")


class StaffRole(models.TextChoices):
    NONE = "", _("member")
    SECRETARIAT = "secretariat", _("school secretariat")
    HELPDESK = "helpdesk", _("helpdesk operator")


# What each staff role may do in the helpdesk console (Django admin).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    StaffRole.HELPDESK: frozenset(
        {
            "people.view_school",
            "people.add_school",
            "people.change_school",
            "people.view_person",
            "people.change_person",
            "people.view_affiliation",
            "people.change_affiliation",
            "accounts.view_account",
            "accounts.change_account",
            "accounts.view_secretariatmembership",
            "accounts.add_secretariatmembership",
            "accounts.delete_secretariatmembership",
            "audit.view_auditevent",
            "notifications.view_outboxmessage",
            "sheets.view_sheetupload",
            "sheets.add_sheetupload",
            "review.view_reviewitem",
            "review.change_reviewitem",
            "registry.view_registryrun",
        }
    ),
    StaffRole.SECRETARIAT: frozenset(
        {
            "people.view_person",
            "people.view_affiliation",
            "accounts.view_account",
            "sheets.view_sheetupload",
            "sheets.add_sheetupload",
            "review.view_reviewitem",
        }
    ),
}


class AccountManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def create_superuser(self, username, password=None, **extra):
        """`kleidi createsuperuser`, through the account service (its only writer).

        Its name passes the username policy like every other new name (R7).
        """
        from kleidi.accounts.services import create_helpdesk_operator  # services import models

        return create_helpdesk_operator(username, password)


class Account(AbstractBaseUser):
    username = models.CharField(_("username"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="accounts",
        null=True,
        blank=True,
        verbose_name=_("person"),
    )
    affiliation = models.ForeignKey(
        Affiliation,
        on_delete=models.PROTECT,
        related_name="accounts",
        null=True,
        blank=True,
        verbose_name=_("affiliation"),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="accounts",
        null=True,
        blank=True,
        verbose_name=_("school"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=AccountState.choices, default=AccountState.PENDING
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    role = models.CharField(
        _("staff role"), max_length=16, choices=StaffRole.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state_changed_at = models.DateTimeField(_("state changed at"), default=timezone.now)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    last_expiry_reminder_days = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = AccountManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["username"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="account_username_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=AccountState.values),
                name="account_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=AccountKind.values),
                name="account_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def email(self) -> str:
        """Where Kleidi writes to the member: the external email (R1)."""
        return self.person.external_email if self.person_id else ""

    @property
    def is_past_expiry(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def effective_state(self) -> str:
        """R21: an account past its expiry counts as expired even before the nightly run."""
        if self.state in (AccountState.ACTIVE, AccountState.PENDING) and self.is_past_expiry:
            return AccountState.EXPIRED
        return self.state

    @property
    def is_active(self) -> bool:
        """Django signs in only active accounts within their expiry."""
        return self.effective_state == AccountState.ACTIVE

    @property
    def is_staff(self) -> bool:
        return bool(self.role) and self.is_active

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_staff and perm in ROLE_PERMISSIONS.get(self.role, frozenset())

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        perms = ROLE_PERMISSIONS.get(self.role, frozenset())
        return self.is_staff and any(p.startswith(f"{app_label}.") for p in perms)

    def check_password(self, raw_password) -> bool:
        """Django's check; an outdated hash is stored again by the account service."""
        from kleidi.accounts.services import upgrade_password_hash  # services import models

        return check_password(raw_password, self.password, partial(upgrade_password_hash, self))

    def delete(self, *args, **kwargs):
        raise PermissionError("accounts are never deleted: usernames are unique for ever (R7)")


class SecretariatMembership(models.Model):
    """A secretariat account acts for one school (R8)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("account")
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="secretariat", verbose_name=_("school")
    )

    class Meta:
        verbose_name = _("secretariat membership")
        verbose_name_plural = _("secretariat memberships")
        constraints = [
            models.UniqueConstraint(fields=["account", "school"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.school.code}"
