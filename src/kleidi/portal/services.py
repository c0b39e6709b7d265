"""Writing facts about this instance: the only writer of InstanceFlag."""

from kleidi.portal.models import InstanceFlag


def set_flag(name: str) -> InstanceFlag:
    """Mark the database (e.g. "demo"); setting a flag twice keeps the first."""
    flag, _ = InstanceFlag.objects.get_or_create(name=name)
    return flag
