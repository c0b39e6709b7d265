"""The audit log in the console: read-only, scoped to the operator's schools."""

from django.contrib import admin

from kleidi.audit.models import AuditEvent
from kleidi.console.base import ReadOnlyAdmin, SchoolScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(SchoolScopedAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_name", "target_repr", "school", "client_ip")
    list_filter = ("action", "school")
    search_fields = ("action", "actor_name", "target_repr", "target_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
