"""Facts about this Kleidi instance itself."""

from django.db import models


class InstanceFlag(models.Model):
    """A named mark on the database, such as "demo" for the demo's own database."""

    name = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
