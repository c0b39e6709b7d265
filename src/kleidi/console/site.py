"""The console's admin site: its home is the dashboard (issue 12 §1).

`ConsoleAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS so that
`admin.site` is a `ConsoleAdminSite`; everything else is Django's admin.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class ConsoleAdminSite(admin.AdminSite):
    def index(self, request, extra_context=None):
        from kleidi.console.dashboard import build  # the models are ready by now

        return super().index(request, {"dashboard": build(request.user), **(extra_context or {})})


class ConsoleAdminConfig(AdminConfig):
    default_site = "kleidi.console.site.ConsoleAdminSite"
