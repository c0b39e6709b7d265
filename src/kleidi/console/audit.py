"""The audit log in the console: read-only, scoped to the operator's schools.

Times are Europe/Athens everywhere on these pages: the list and the fields
through Django's localisation, the page title through `AuditEvent.__str__`.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kleidi.audit.models import AuditEvent
from kleidi.console.base import ReadOnlyAdmin, SchoolScopedAdmin

SYSTEM = "system"  # the actor name of events no person caused (kleidi.audit.services)


@admin.register(AuditEvent)
class AuditEventAdmin(SchoolScopedAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_label", "target_repr", "school", "client_ip")
    list_filter = ("action", "school")
    search_fields = ("action", "actor_name", "target_repr", "target_id")
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "actor_label" if f.name == "actor_name" else f.name
        for f in AuditEvent._meta.fields
        if f.name != "id"
    ]

    @admin.display(description=_("actor name"), ordering="actor_name")
    def actor_label(self, event):
        return _("system") if event.actor_name in ("", SYSTEM) else event.actor_name
