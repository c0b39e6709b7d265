"""Reading accounts, and the school scope of staff (R8, §6)."""

from django.db.models import QuerySet

from kleidi.accounts.models import Account, StaffRole
from kleidi.people.models import School


def schools_for(staff: Account) -> QuerySet[School]:
    """The schools a staff account acts for: every school for the helpdesk."""
    if not staff.is_authenticated or not staff.is_staff:
        return School.objects.none()
    if staff.role == StaffRole.HELPDESK:
        return School.objects.all()
    return School.objects.filter(secretariat__account=staff)


def can_act_for_school(staff: Account, school: School) -> bool:
    """R8: a secretariat acts for its own school only; the helpdesk for all."""
    return schools_for(staff).filter(pk=school.pk).exists()


def is_helpdesk(staff: Account) -> bool:
    return staff.is_authenticated and staff.is_staff and staff.role == StaffRole.HELPDESK


def staff_accounts() -> QuerySet[Account]:
    """Every account with a staff role, its person and its schools (the console's Staff page)."""
    return (
        Account.objects.exclude(role=StaffRole.NONE)
        .select_related("person")
        .prefetch_related("memberships__school")
        .order_by("role", "username")
    )
