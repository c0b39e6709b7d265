"""Registry imports in the console: read-only, for the helpdesk (the dashboard links here)."""

from django.contrib import admin

from kleidi.console.base import ReadOnlyAdmin
from kleidi.registry.models import RegistryRun


@admin.register(RegistryRun)
class RegistryRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "source", "records", "actor")
    date_hierarchy = "started_at"
    fields = readonly_fields = [
        "started_at",
        "finished_at",
        "source",
        "actor",
        "schools",
        "records",
        "counts",
    ]
