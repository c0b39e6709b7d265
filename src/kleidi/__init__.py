"""Kleidi: account lifecycle and credential self-service for a university."""
