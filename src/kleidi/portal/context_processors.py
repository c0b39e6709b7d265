"""Values every page needs."""

from django.conf import settings


def kleidi(request):
    return {"DEMO_MODE": settings.DEMO_MODE, "BASE_URL": settings.BASE_URL}
