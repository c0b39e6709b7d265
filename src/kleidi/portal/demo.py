"""The demo's fixed data (README, docs and tests rely on it).

Seeding goes through the services like any other writer (the audit log
tells how the demo's accounts came to be), is idempotent and refuses a
database that is not the demo's own: a database is the demo's if it carries
the "demo" flag, or if it has no accounts at all (then the flag is set).
"""

import datetime as dt

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account, AccountKind, AccountState, StaffRole
from kleidi.accounts.services import NewAccount, add_membership, create_account_in_state
from kleidi.people.models import AdmissionRoute, AffiliationStatus, School
from kleidi.people.services import create_affiliation, create_person, create_school
from kleidi.portal.models import InstanceFlag
from kleidi.portal.services import set_flag

DEMO_FLAG = "demo"

# Demo-only passwords: printed by the demo and written in the README.
MEMBER_PASSWORD = "agapw poly th mairh"  # noqa: S105 (demo only, documented)
STAFF_PASSWORD = "demo kleidi console"  # noqa: S105 (demo only, documented)

SCHOOLS = [
    (
        "el",
        "Σχολή Ηλεκτρολόγων Μηχανικών και Μηχανικών Υπολογιστών",
        "School of Electrical and Computer Engineering",
        "el",
    ),
    ("ch", "Σχολή Χημικών Μηχανικών", "School of Chemical Engineering", "ch"),
]
SCHOOL_CODES = [code for code, *_ in SCHOOLS]

# username, kind, school, state, expiry offset (days from seeding; None = none),
# person (surname, given, father, mother, email, mobile), registration, affiliation status
MEMBERS = [
    (
        "gpapadopoulos",
        AccountKind.POSTGRADUATE,
        "el",
        AccountState.ACTIVE,
        365,
        (
            "Παπαδόπουλος",
            "Γεώργιος",
            "Ιωάννης",
            "Μαρία",
            "giorgos.papadopoulos@example.com",
            "+306912345678",
        ),
        "03400123",
        AffiliationStatus.ACTIVE,
    ),
    (
        "el21042",
        AccountKind.UNDERGRADUATE,
        "el",
        AccountState.ACTIVE,
        None,
        ("Κωνσταντίνου", "Ελένη", "Νικόλαος", "Αικατερίνη", "eleni.konstantinou@example.com", ""),
        "03121042",
        AffiliationStatus.ACTIVE,
    ),
    (
        "el17007",
        AccountKind.UNDERGRADUATE,
        "el",
        AccountState.RETIRED,
        None,
        ("Νικολάου", "Δημήτριος", "", "", "dimitris.nikolaou@example.com", ""),
        "03117007",
        AffiliationStatus.GRADUATED,
    ),
    (
        "kbakogianni",
        AccountKind.PHD,
        "el",
        AccountState.EXPIRED,
        -30,
        (
            "Μπακογιάννη",
            "Αικατερίνη",
            "Κωνσταντίνος",
            "Ελένη",
            "katerina.bakogianni@example.com",
            "+306944444444",
        ),
        "03800077",
        AffiliationStatus.ENDED,
    ),
    (
        "el24001",
        AccountKind.UNDERGRADUATE,
        "el",
        AccountState.PENDING,
        None,
        ("Γεωργίου", "Ιωάννης", "", "", "giannis.georgiou@example.com", ""),
        "03124001",
        AffiliationStatus.ACTIVE,
    ),
    (
        "salexiou",
        AccountKind.POSTGRADUATE,
        "ch",
        AccountState.ACTIVE,
        365,
        ("Αλεξίου", "Σοφία", "", "", "sofia.alexiou@example.com", ""),
        "05400321",
        AffiliationStatus.ACTIVE,
    ),
]

# username, role, school, (surname, given name, email): staff have an email so
# that, for example, a secretariat is mailed when its large sheet is applied.
STAFF = [
    ("helpdesk", StaffRole.HELPDESK, None, ("Ιωαννίδου", "Μαρία", "helpdesk.khy@example.com")),
    (
        "grammateiael",
        StaffRole.SECRETARIAT,
        "el",
        ("Σταματοπούλου", "Άννα", "grammateia.ece@example.com"),
    ),
    (
        "grammateiach",
        StaffRole.SECRETARIAT,
        "ch",
        ("Καραγιάννης", "Πέτρος", "grammateia.chemeng@example.com"),
    ),
]


def is_demo_database() -> bool:
    return InstanceFlag.objects.filter(name=DEMO_FLAG).exists()


@transaction.atomic
def seed() -> bool:
    """Create the demo data if missing, through the services. True when anything was created."""
    if not is_demo_database():
        if Account.objects.exists():
            raise CommandError(
                "This database holds accounts and is not the demo's: refusing to seed demo "
                "data (and its well-known passwords) into it."
            )
        set_flag(DEMO_FLAG)
    if Account.objects.filter(username="gpapadopoulos").exists():
        return False
    now = timezone.now()
    schools = {school.code: school for school in School.objects.filter(code__in=SCHOOL_CODES)}
    for code, name_el, name_en, prefix in SCHOOLS:
        if code not in schools:
            schools[code] = create_school(
                {
                    "code": code,
                    "name_el": name_el,
                    "name_en": name_en,
                    "undergraduate_prefix": prefix,
                }
            )
    for username, kind, school_code, state, days, person_data, regno, status in MEMBERS:
        surname, given, father, mother, email, mobile = person_data
        person = create_person(
            {
                "surname": surname,
                "given_name": given,
                "father_name": father,
                "mother_name": mother,
                "external_email": email,
                "mobile": mobile,
            }
        )
        undergraduate = kind == AccountKind.UNDERGRADUATE
        affiliation = create_affiliation(
            {
                "person": person,
                "kind": kind,
                "school": schools[school_code],
                "registration_number": regno,
                "admission_route": AdmissionRoute.NATIONAL_EXAMS if undergraduate else "",
                "status": status,
                "supervisor_name": "" if undergraduate else "Καθ. Ανδρέας Σταφυλοπάτης",
                "supervisor_email": "" if undergraduate else "supervisor@ece.ntua.gr",
                "start_date": (now - dt.timedelta(days=400)).date(),
            }
        )
        create_account_in_state(
            NewAccount(
                username=username,
                kind=kind,
                person=person,
                affiliation=affiliation,
                school=schools[school_code],
                expires_at=now + dt.timedelta(days=days) if days is not None else None,
            ),
            state=state,
            password=None if state == AccountState.PENDING else MEMBER_PASSWORD,
        )
    for username, role, school_code, (surname, given, email) in STAFF:
        person = create_person({"surname": surname, "given_name": given, "external_email": email})
        account = create_account_in_state(
            NewAccount(username=username, kind=AccountKind.STAFF, person=person, role=role),
            state=AccountState.ACTIVE,
            password=STAFF_PASSWORD,
        )
        if school_code:
            add_membership(account, schools[school_code])
    return True
