"""The outbox in the console: read-only, for the helpdesk."""

from django.contrib import admin

from kleidi.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "template", "to", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to", "subject")
    # The body holds members' links: operators see that a message went, not its link.
    fields = readonly_fields = [
        f.name for f in OutboxMessage._meta.fields if f.name not in ("body_text", "body_html")
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
