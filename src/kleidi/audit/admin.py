"""The audit log in the console: read-only, scoped to the operator's schools."""

from django.contrib import admin
from django.db.models import Q

from kleidi.accounts.selectors import is_helpdesk, schools_for
from kleidi.audit.models import AuditEvent
from kleidi.console import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_name", "target_repr", "school", "client_ip")
    list_filter = ("action", "school")
    search_fields = ("action", "actor_name", "target_repr", "target_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_helpdesk(request.user):
            return queryset
        return queryset.filter(Q(school__in=schools_for(request.user)))
