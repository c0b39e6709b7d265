"""The demo's fixed data (README, docs and tests rely on it).

Seeding goes through the services like any other writer (the audit log
tells how the demo's accounts came to be), is idempotent and refuses a
database that is not the demo's own: a database is the demo's if it carries
the "demo" flag, or if it has no accounts at all (then the flag is set).

Besides the members the README's table lists, the demo knows the
undergraduates of the registry's demo feed (`REGISTRY_FEED`, ROSTER below):
students whose accounts the registry created in earlier years, so that
importing the feed shows every situation (docs/registry.md, "The demo feed").
"""

import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from kleidi.accounts.models import Account, AccountKind, AccountState, StaffRole
from kleidi.accounts.services import NewAccount, add_membership, create_account_in_state
from kleidi.accounts.usernames import username_policy
from kleidi.people.models import AdmissionRoute, Affiliation, AffiliationStatus, School
from kleidi.people.services import (
    create_affiliation,
    create_affiliations,
    create_people,
    create_person,
    create_school,
)
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


# The registry's demo feed (`kleidi --demo registry import <it>`, README's tour).
REGISTRY_FEED = Path(__file__).with_name("demo_registry.csv")

# Undergraduates the registry sent in earlier years, with active accounts and no
# demo password (they would set one with "forgot password"): registration number,
# school, (surname, given, father, mother, Latin surname, email, mobile), start date.
# The feed lists them again, most unchanged; the comment says where it differs.
ROSTER = [
    (
        "03119033",
        "el",
        (
            "Αργυρόπουλος",
            "Μιχαήλ",
            "Γεώργιος",
            "Ευαγγελία",
            "Argyropoulos",
            "m.argyropoulos@example.com",
            "+306971000033",
        ),
        dt.date(2019, 9, 2),
    ),  # the feed: graduated (R6)
    (
        "03120014",
        "el",
        (
            "Βασιλείου",
            "Αικατερίνη",
            "Δημήτριος",
            "Σοφία",
            "Vasileiou",
            "kvasileiou@example.com",
            "+306971000014",
        ),
        dt.date(2020, 9, 1),
    ),
    (
        "03120027",
        "el",
        (
            "Γεωργακόπουλος",
            "Νικόλαος",
            "Παναγιώτης",
            "Ειρήνη",
            "Georgakopoulos",
            "nikos.georgakopoulos@example.com",
            "",
        ),
        dt.date(2020, 9, 1),
    ),
    (
        "03121008",
        "el",
        (
            "Δασκαλάκη",
            "Χριστίνα",
            "Ιωάννης",
            "Μαρία",
            "Daskalaki",
            "xdaskalaki@example.com",
            "+306971000008",
        ),
        dt.date(2021, 9, 1),
    ),
    (
        "03121019",
        "el",
        (
            "Ευαγγέλου",
            "Αθανάσιος",
            "Κωνσταντίνος",
            "Ελένη",
            "Evangelou",
            "thanos.evangelou@example.com",
            "",
        ),
        dt.date(2021, 9, 1),
    ),
    (
        "03122003",
        "el",
        (
            "Ζαχαρίου",
            "Ευτυχία",
            "Σπυρίδων",
            "Αναστασία",
            "Zachariou",
            "ezachariou@example.com",
            "+306971000003",
        ),
        dt.date(2022, 9, 1),
    ),
    (
        "03122046",
        "el",
        (
            "Ηλιόπουλος",
            "Παναγιώτης",
            "Αθανάσιος",
            "Γεωργία",
            "Iliopoulos",
            "p.iliopoulos@example.com",
            "",
        ),
        dt.date(2022, 9, 1),
    ),
    (
        "03123011",
        "el",
        (
            "Θεοδωρίδου",
            "Μαρία",
            "Αλέξανδρος",
            "Χρυσούλα",
            "Theodoridou",
            "maria.theodoridou@example.com",
            "+306971000011",
        ),
        dt.date(2023, 9, 1),
    ),
    (
        "03123052",
        "el",
        (
            "Ιατρίδης",
            "Κωνσταντίνος",
            "Μιχαήλ",
            "Βασιλική",
            "Iatridis",
            "k.iatridis@example.com",
            "",
        ),
        dt.date(2023, 9, 1),
    ),
    (
        "03124017",
        "el",
        (
            "Καραμανλή",
            "Δέσποινα",
            "Ευάγγελος",
            "Παρασκευή",
            "Karamanli",
            "despoina.karamanli@example.com",
            "+306971000017",
        ),
        dt.date(2024, 9, 2),
    ),
    (
        "05119050",
        "ch",
        (
            "Λαζαρίδης",
            "Ευστάθιος",
            "Χαράλαμπος",
            "Δήμητρα",
            "Lazaridis",
            "stathis.lazaridis@example.com",
            "",
        ),
        dt.date(2019, 9, 2),
    ),  # the feed: absent (missing: reported, never retired)
    (
        "05120031",
        "ch",
        (
            "Μαυρίδου",
            "Ιφιγένεια",
            "Στέφανος",
            "Αγγελική",
            "Mavridou",
            "ifi.mavridou@example.com",
            "+306972000031",
        ),
        dt.date(2020, 9, 1),
    ),
    (
        "05120044",
        "ch",
        (
            "Νικολαΐδης",
            "Ορέστης",
            "Θεόδωρος",
            "Φωτεινή",
            "Nikolaidis",
            "orestis.nikolaidis@example.com",
            "",
        ),
        dt.date(2020, 9, 1),
    ),
    (
        "05121060",
        "ch",
        ("Λαμπράκης", "Στέφανος", "Ανδρέας", "Όλγα", "Lamprakis", "s.lamprakis@example.com", ""),
        dt.date(2021, 9, 1),
    ),  # the feed: this number with another person's names (disputed)
    (
        "05121072",
        "ch",
        (
            "Ξενάκη",
            "Ραλλού",
            "Πέτρος",
            "Αλεξάνδρα",
            "Xenaki",
            "rallou.xenaki@example.com",
            "+306972000072",
        ),
        dt.date(2021, 9, 1),
    ),
    (
        "05122009",
        "ch",
        (
            "Οικονόμου",
            "Σπυρίδων",
            "Νικόλαος",
            "Κυριακή",
            "Oikonomou",
            "spyros.oikonomou@example.com",
            "",
        ),
        dt.date(2022, 9, 1),
    ),
    (
        "05122025",
        "ch",
        (
            "Παππά",
            "Ευανθία",
            "Γρηγόριος",
            "Ζωή",
            "Pappa",
            "evanthia.pappa@example.com",
            "+306972000025",
        ),
        dt.date(2022, 9, 1),
    ),
    (
        "05123013",
        "ch",
        (
            "Ρουσσάκης",
            "Φίλιππος",
            "Ηλίας",
            "Θεοδώρα",
            "Roussakis",
            "filippos.roussakis@example.com",
            "",
        ),
        dt.date(2023, 9, 1),
    ),
    (
        "05123038",
        "ch",
        (
            "Σαββίδου",
            "Ευδοκία",
            "Κυριάκος",
            "Ευγενία",
            "Savvidou",
            "eudokia.savvidou@example.com",
            "+306972000038",
        ),
        dt.date(2023, 9, 1),
    ),
    (
        "05124006",
        "ch",
        (
            "Τσακίρης",
            "Λεωνίδας",
            "Απόστολος",
            "Πηνελόπη",
            "Tsakiris",
            "leonidas.tsakiris@example.com",
            "",
        ),
        dt.date(2024, 9, 2),
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
    created = _seed_members()
    return _seed_roster() or created


def _seed_members() -> bool:
    """The README table's members and staff."""
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


def _seed_roster() -> bool:
    """ROSTER: people, undergraduate affiliations and active accounts, in bulk.

    Checked apart from the members, so a demo database seeded before the
    roster existed gains it on the next `kleidi demo`.
    """
    first = ROSTER[0]
    if Affiliation.objects.filter(
        school__code=first[1], registration_number=first[0], kind=AccountKind.UNDERGRADUATE
    ).exists():
        return False
    schools = {school.code: school for school in School.objects.filter(code__in=SCHOOL_CODES)}
    people = create_people(
        [
            {
                "surname": surname,
                "given_name": given,
                "father_name": father,
                "mother_name": mother,
                "latin_surname": latin,
                "external_email": email,
                "mobile": mobile,
            }
            for _, _, (surname, given, father, mother, latin, email, mobile), _ in ROSTER
        ]
    )
    affiliations = create_affiliations(
        [
            {
                "person": person,
                "kind": AccountKind.UNDERGRADUATE,
                "school": schools[code],
                "registration_number": regno,
                "admission_route": AdmissionRoute.NATIONAL_EXAMS,
                "status": AffiliationStatus.ACTIVE,
                "start_date": start,
            }
            for person, (regno, code, _, start) in zip(people, ROSTER, strict=True)
        ]
    )
    policy = username_policy()
    for person, affiliation, (regno, code, _, _) in zip(people, affiliations, ROSTER, strict=True):
        school = schools[code]
        create_account_in_state(
            NewAccount(
                username=policy.undergraduate_username(school.undergraduate_prefix, regno),
                kind=AccountKind.UNDERGRADUATE,
                person=person,
                affiliation=affiliation,
                school=school,
            ),
            state=AccountState.ACTIVE,
        )
    return True
