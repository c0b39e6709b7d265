"""Secretariat sheet URLs (R8–R20)."""

urlpatterns: list = []
