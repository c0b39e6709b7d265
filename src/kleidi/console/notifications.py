"""The outbox in the console: read-only, for the helpdesk."""

from django.contrib import admin

from kleidi.console.base import ReadOnlyAdmin
from kleidi.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "template", "to", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to", "subject")
    # The body holds members' links: operators see that a message went, not its link.
    fields = readonly_fields = [
        f.name for f in OutboxMessage._meta.fields if f.name not in ("body_text", "body_html")
    ]
