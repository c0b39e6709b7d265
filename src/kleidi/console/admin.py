"""The console's site titles; importing the admin modules registers their classes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kleidi.console import (  # noqa: F401 (registration)
    accounts,
    audit,
    notifications,
    people,
    registry,
    review,
)

admin.site.site_header = _("Kleidi — helpdesk console")
admin.site.site_title = _("Kleidi console")
admin.site.index_title = _("People, accounts and the audit log")
