"""Reading registry imports for the console's dashboard (issue 12 §1)."""

from kleidi.registry.models import RegistryRun


def recent_runs(limit: int = 5) -> list[RegistryRun]:
    """The latest import runs, newest first (one query).

    A run covers every school or a list of school codes, so it is the
    helpdesk's record: the dashboard shows it to those who may read it.
    """
    return list(RegistryRun.objects.select_related("actor").order_by("-started_at", "-pk")[:limit])
