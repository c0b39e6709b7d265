"""Secretariat sheet URLs (R8–R20); uploads are addressed by random UUIDs."""

from django.urls import path

from kleidi.sheets import views

app_name = "sheets"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/<str:kind>.xlsx", views.template, name="template"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/apply/", views.apply, name="apply"),
    path("<uuid:pk>/progress/", views.progress, name="progress"),
    path("<uuid:pk>/status.json", views.status, name="status"),
    path("<uuid:pk>/results.xlsx", views.results, name="results"),
]
