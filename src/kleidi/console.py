"""Shared pieces of the helpdesk console (Django admin)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record nobody edits from the console: the audit log, the outbox."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
