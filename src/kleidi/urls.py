"""Kleidi's URLs: the portal, credentials, sheets, the helpdesk console."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("kleidi.portal.urls")),
    path("", include("kleidi.credentials.urls")),
    path("sheets/", include("kleidi.sheets.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", admin.site.urls),
]
