"""The helpdesk console for schools and people (R2, §6 scoping)."""

import unicodedata

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kleidi.console.base import SchoolScopedAdmin
from kleidi.errors import error
from kleidi.people.models import Affiliation, Person, School
from kleidi.people.selectors import search_people
from kleidi.people.services import (
    AUDITED_FIELDS,
    SCHOOL_FIELDS,
    create_school,
    update_person,
    update_school,
)
from kleidi.people.validation import clean_external_email, clean_mobile
from kleidi.request import client_ip
from kleidi.text import lookalikes


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin):
    school_lookup = "pk"
    list_display = ("code", "name_el", "name_en", "undergraduate_prefix")
    search_fields = ("code", "name_el", "name_en")

    def has_delete_permission(self, request, obj=None):
        return False  # schools are referenced by people, accounts and the audit log

    def save_model(self, request, obj, form, change):
        """Through the people service, audited with before and after (R2)."""
        audit = {"actor": request.user, "client_ip": client_ip(request)}
        fields = {name: form.cleaned_data[name] for name in SCHOOL_FIELDS}
        if change:
            update_school(School.objects.get(pk=obj.pk), fields, **audit)
        else:
            obj.pk = create_school(fields, **audit).pk


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "school",
        "registration_number",
        "admission_route",
        "status",
        "supervisor_name",
        "supervisor_email",
        "end_date",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PersonForm(forms.ModelForm):
    """The same checks as the sheets and the registry feed (R1, R12, §6)."""

    class Meta:
        model = Person
        fields = (
            "surname",
            "given_name",
            "father_name",
            "mother_name",
            "latin_surname",
            "external_email",
            "mobile",
            "address",
            "area",
            "postcode",
        )

    def clean_external_email(self):
        return clean_external_email(self.cleaned_data.get("external_email", ""))

    def clean_mobile(self):
        value = self.cleaned_data.get("mobile", "")
        return clean_mobile(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        for field in ("surname", "given_name", "father_name", "mother_name"):
            value = cleaned.get(field)
            if value:
                cleaned[field] = unicodedata.normalize("NFC", value.strip())
                found = lookalikes(cleaned[field])
                if found:
                    suggestion = found[0].suggestion
                    self.add_error(
                        field, error("name.lookalike", value=value, suggestion=suggestion)
                    )
        return cleaned


@admin.register(Person)
class PersonAdmin(SchoolScopedAdmin):
    school_lookup = "affiliations__school"
    form = PersonForm
    list_display = ("surname", "given_name", "father_name", "external_email", "mobile")
    search_fields = ("surname",)
    search_help_text = _(
        "Name (accents and case ignored), email, mobile, registration number or username"
    )
    fieldsets = (
        (
            None,
            {"fields": ("surname", "given_name", "father_name", "mother_name", "latin_surname")},
        ),
        (_("Contact"), {"fields": ("external_email", "mobile", "address", "area", "postcode")}),
    )
    inlines = [AffiliationInline]

    def get_search_results(self, request, queryset, search_term):
        return search_people(search_term, queryset), True

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Changes go through the people service so they are audited with before/after (R2)."""
        original = Person.objects.get(pk=obj.pk)
        changes = {
            field: form.cleaned_data[field]
            for field in AUDITED_FIELDS
            if field in form.cleaned_data
        }
        update_person(original, changes, actor=request.user, client_ip=client_ip(request))
