"""Credential self-service URLs (R3, R23–R27)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from kleidi.credentials import views

urlpatterns = [
    path("password/forgot/", views.forgot, name="password-forgot"),
    path("password/forgot/sent/", views.forgot_sent, name="password-forgot-sent"),
    path("password/link/<str:token>/", views.link, name="password-link"),
    path("password/set/", views.set_password, name="password-set"),
    path("password/set/done/", views.set_done, name="password-set-done"),
    path("password/strength/", views.strength, name="password-strength"),
    path("password/change/", views.change_password, name="password-change"),
    path("password/change/done/", views.change_done, name="password-change-done"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
