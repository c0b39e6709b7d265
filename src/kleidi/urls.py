"""Kleidi's URLs: the portal, credentials, sheets, the helpdesk console."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("kleidi.portal.urls")),
    path("", include("kleidi.credentials.urls")),
    path("sheets/", include("kleidi.sheets.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Staff sign in through the portal's sign-in, which is throttled and audited (R27, R29).
    path(
        "console/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="console-login",
    ),
    # Staff change their password like members do: same policy, directory and audit (R26).
    path(
        "console/password_change/",
        RedirectView.as_view(pattern_name="password-change"),
        name="console-password-change",
    ),
    path("console/", admin.site.urls),
]
