"""Schools, people and their affiliations with the university.

A person is who someone is; an affiliation is one relation with the
university (an undergraduate degree, a postgraduate programme, a PhD). Match
keys are stored beside the names so that correlation (R16) and the helpdesk's
search compare names ignoring accents, case and final sigma (§6).
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kleidi.language import pick
from kleidi.text import match_key


class School(models.Model):
    code = models.SlugField(_("code"), max_length=16, unique=True)
    name_el = models.CharField(_("Greek name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    undergraduate_prefix = models.CharField(
        _("undergraduate username prefix"), max_length=8, unique=True
    )
    # The registry's departmentID for this school (docs/registry.md); empty: the code is used.
    registry_id = models.CharField(_("registry department id"), max_length=16, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.UniqueConstraint(
                "registry_id",
                condition=~Q(registry_id=""),
                name="school_unique_registry_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.display_name}"

    @property
    def display_name(self) -> str:
        """The name in the active language: English in the English pages, else Greek."""
        return pick((self.name_el, self.name_en or self.name_el))


class Person(models.Model):
    surname = models.CharField(_("surname"), max_length=150)
    given_name = models.CharField(_("given name"), max_length=150)
    father_name = models.CharField(_("father's name"), max_length=150, blank=True)
    mother_name = models.CharField(_("mother's name"), max_length=150, blank=True)
    latin_surname = models.CharField(_("surname in Latin letters"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    area = models.CharField(_("area"), max_length=150, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    mobile = models.CharField(_("mobile (E.164)"), max_length=20, blank=True)
    external_email = models.EmailField(_("external email"), max_length=254, blank=True)

    surname_key = models.CharField(max_length=150, editable=False, db_index=True)
    given_name_key = models.CharField(max_length=150, editable=False, db_index=True)
    father_name_key = models.CharField(max_length=150, editable=False, blank=True)
    mother_name_key = models.CharField(max_length=150, editable=False, blank=True)
    email_key = models.CharField(max_length=254, editable=False, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["surname_key", "given_name_key", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["mobile"], name="person_mobile_idx")]

    def __str__(self) -> str:
        return f"{self.surname} {self.given_name}"

    def save(self, *args, **kwargs):
        self.refresh_keys()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "surname_key",
                "given_name_key",
                "father_name_key",
                "mother_name_key",
                "email_key",
            }
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.surname}"

    def refresh_keys(self) -> None:
        """Recompute the match keys from the names (called on every save)."""
        self.surname_key = match_key(self.surname)
        self.given_name_key = match_key(self.given_name)
        self.father_name_key = match_key(self.father_name)
        self.mother_name_key = match_key(self.mother_name)
        self.email_key = self.external_email.strip().lower()


class AffiliationKind(models.TextChoices):
    UNDERGRADUATE = "undergraduate", _("undergraduate")
    POSTGRADUATE = "postgraduate", _("postgraduate")
    PHD = "phd", _("PhD candidate")
    STAFF = "staff", _("staff")
    EXTERNAL = "external", _("external")


class AffiliationStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    GRADUATED = "graduated", _("graduated")
    ENDED = "ended", _("ended")


class AdmissionRoute(models.TextChoices):
    NATIONAL_EXAMS = "national_exams", _("national exams (Πανελλήνιες)")
    TRANSFER = "transfer", _("transfer")
    SPECIAL = "special", _("special category")
    OTHER = "other", _("other")


class Affiliation(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="affiliations", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AffiliationKind.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="affiliations",
        null=True,
        blank=True,
        verbose_name=_("school"),
    )
    registration_number = models.CharField(_("registration number"), max_length=32, blank=True)
    admission_route = models.CharField(
        _("admission route"), max_length=16, choices=AdmissionRoute.choices, blank=True
    )
    programme = models.CharField(_("programme"), max_length=250, blank=True)
    supervisor_name = models.CharField(_("director or supervisor"), max_length=250, blank=True)
    supervisor_email = models.EmailField(_("director's or supervisor's email"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AffiliationStatus.choices,
        default=AffiliationStatus.ACTIVE,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        constraints = [
            # A registration number identifies one person within a school.
            models.UniqueConstraint(
                "school",
                Lower("registration_number"),
                condition=~Q(registration_number=""),
                name="affiliation_unique_registration_per_school",
            ),
        ]

    def __str__(self) -> str:
        school = self.school.code if self.school_id else "-"
        return f"{self.get_kind_display()} {school} {self.registration_number}".strip()

    @property
    def is_ungraduated_undergraduate(self) -> bool:
        """R15: an undergraduate not yet declared graduate blocks postgraduate accounts."""
        return (
            self.kind == AffiliationKind.UNDERGRADUATE
            and self.status != AffiliationStatus.GRADUATED
        )
