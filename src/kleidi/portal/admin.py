from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Kleidi — helpdesk console")
admin.site.site_title = _("Kleidi console")
admin.site.index_title = _("People, accounts and the audit log")
