"""Shared pieces of the console: the school scope and the read-only records."""

from django.contrib import admin

from kleidi.accounts.selectors import is_helpdesk, schools_for


class SchoolScopedAdmin(admin.ModelAdmin):
    """A secretariat sees only its schools' rows; the helpdesk sees all (R8, §6).

    The scope is applied to `get_queryset`, which Django's admin uses for the
    list, the change page (another school's row is "not found") and the search.
    `school_lookup` is the path from the model to its School; one that crosses
    a many-valued relation (a person's affiliations) is de-duplicated.
    """

    school_lookup = "school"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_helpdesk(request.user):
            return queryset
        scoped = queryset.filter(**{f"{self.school_lookup}__in": schools_for(request.user)})
        return scoped.distinct() if "__" in self.school_lookup else scoped


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record nobody edits from the console: the audit log, the outbox."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
