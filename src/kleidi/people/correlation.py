"""R16 correlation: which existing person, if any, a row of data describes.

Rows are matched in bulk against existing people by registration number
within the school, external email, mobile, and normalised names (surname,
given, father's, mother's). A fixed number of queries answers a whole sheet
(per chunk of `CHUNK` values of each key), never one query per row.

Evidence is weighed like this:

* a person is *identified* when a registration number or an email matches
  and something else corroborates it (the names, the mobile, or both strong
  keys), or when the names match together with the mobile or with both
  parents' names;
* two identified people for one row, or matches that fall short of that
  (the same names with a different email, the same mobile with different
  names, a registration number whose names disagree), make the row a
  *possible duplicate*, for the helpdesk to resolve;
* names whose father's (or mother's) names are both known and differ are a
  different person, not evidence.

The caller decides what the match means for accounts (R16, R17).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Func, Prefetch, Value
from django.db.models.functions import Lower

from kleidi.people.models import Affiliation, Person, School
from kleidi.text import match_key

CHUNK = 5_000


@dataclass(frozen=True)
class Identity:
    """What one row says about a person (already cleaned; empty when unknown)."""

    key: int
    registration_number: str = ""
    email: str = ""
    mobile: str = ""
    surname: str = ""
    given_name: str = ""
    father_name: str = ""
    mother_name: str = ""


@dataclass
class Match:
    """The outcome of correlating one Identity."""

    person: Person | None = None
    possible: list[Person] = field(default_factory=list)
    # The affiliation in the school that carries the row's registration number.
    affiliation: Affiliation | None = None


def registration_key(value: str) -> str:
    """Registration numbers compare case-insensitively and without leading zeros.

    A registration number typed into a numeric cell loses its leading zeros;
    this key lets «03400123» and 3400123 meet.
    """
    return value.strip().lower().lstrip("0")


@dataclass
class _Keys:
    surname: str
    given: str
    father: str
    mother: str

    @classmethod
    def of(cls, surname: str, given: str, father: str, mother: str) -> _Keys:
        return cls(match_key(surname), match_key(given), match_key(father), match_key(mother))


def _chunks(values: Iterable, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def people_by_id(ids: Iterable[int]) -> dict[int, Person]:
    """People with their accounts and affiliations, in a fixed number of queries."""
    found: dict[int, Person] = {}
    for chunk in _chunks(set(ids)):
        queryset = Person.objects.filter(pk__in=chunk).prefetch_related(
            "accounts",
            Prefetch("affiliations", queryset=Affiliation.objects.select_related("school")),
        )
        found.update((person.pk, person) for person in queryset)
    return found


def correlate(identities: list[Identity], school: School) -> dict[int, Match]:
    """R16: match every identity against existing people; one Match per identity key."""
    by_registration = _registration_matches(identities, school)
    emails = {i.email.lower() for i in identities if i.email}
    mobiles = {i.mobile for i in identities if i.mobile}
    row_keys = {
        i.key: _Keys.of(i.surname, i.given_name, i.father_name, i.mother_name) for i in identities
    }
    surnames = {k.surname for k in row_keys.values() if k.surname and k.given}
    givens = {k.given for k in row_keys.values() if k.surname and k.given}

    by_email: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(emails):
        for pk, email_key in Person.objects.filter(email_key__in=chunk).values_list(
            "pk", "email_key"
        ):
            by_email[email_key].add(pk)
    by_mobile: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(mobiles):
        for pk, mobile in Person.objects.filter(mobile__in=chunk).values_list("pk", "mobile"):
            by_mobile[mobile].add(pk)
    by_name: dict[tuple[str, str], set[int]] = defaultdict(set)
    if surnames:
        for chunk in _chunks(surnames):
            rows = Person.objects.filter(
                surname_key__in=chunk, given_name_key__in=givens
            ).values_list("pk", "surname_key", "given_name_key")
            for pk, surname_key, given_key in rows:
                by_name[(surname_key, given_key)].add(pk)

    candidate_ids: set[int] = set()
    for affiliations in by_registration.values():
        candidate_ids.update(a.person_id for a in affiliations)
    for group in (by_email, by_mobile, by_name):
        for ids in group.values():
            candidate_ids.update(ids)
    people = people_by_id(candidate_ids)

    matches = {}
    for identity in identities:
        matches[identity.key] = _weigh(
            identity, row_keys[identity.key], people, by_registration, by_email, by_mobile, by_name
        )
    return matches


def _registration_matches(
    identities: list[Identity], school: School
) -> dict[str, list[Affiliation]]:
    keys = {registration_key(i.registration_number) for i in identities if i.registration_number}
    keys.discard("")
    found: dict[str, list[Affiliation]] = defaultdict(list)
    for chunk in _chunks(keys):
        queryset = (
            Affiliation.objects.filter(school=school)
            .exclude(registration_number="")
            .annotate(
                registration_key=Func(Lower("registration_number"), Value("0"), function="LTRIM")
            )
            .filter(registration_key__in=chunk)
            .select_related("school")
        )
        for affiliation in queryset:
            found[affiliation.registration_key].append(affiliation)
    return found


def names_agree(keys: _Keys, person: Person) -> bool:
    """Same surname and given name, and no known parent's name that differs."""
    if not keys.surname or keys.surname != person.surname_key:
        return False
    if keys.given != person.given_name_key:
        return False
    if keys.father and person.father_name_key and keys.father != person.father_name_key:
        return False
    return not (keys.mother and person.mother_name_key and keys.mother != person.mother_name_key)


def same_names(identity: Identity, person: Person) -> bool:
    """Does the row name this person (used when a row declares the person's username)?"""
    keys = _Keys.of(
        identity.surname, identity.given_name, identity.father_name, identity.mother_name
    )
    return names_agree(keys, person)


def _weigh(identity, keys, people, by_registration, by_email, by_mobile, by_name) -> Match:
    evidence: dict[int, set[str]] = defaultdict(set)
    affiliation_of: dict[int, Affiliation] = {}
    if identity.registration_number:
        for affiliation in by_registration.get(registration_key(identity.registration_number), []):
            evidence[affiliation.person_id].add("registration")
            affiliation_of[affiliation.person_id] = affiliation
    if identity.email:
        for pk in by_email.get(identity.email.lower(), ()):
            evidence[pk].add("email")
    if identity.mobile:
        for pk in by_mobile.get(identity.mobile, ()):
            evidence[pk].add("mobile")
    for pk in by_name.get((keys.surname, keys.given), ()):
        evidence[pk].add("names")

    identified, possible = [], []
    for pk, found in evidence.items():
        person = people.get(pk)
        if person is None:
            continue
        agree = names_agree(keys, person)
        parents = bool(
            agree
            and keys.father
            and keys.mother
            and keys.father == person.father_name_key
            and keys.mother == person.mother_name_key
        )
        strong = found & {"registration", "email"}
        confirmed = (
            (strong and (agree or "mobile" in found or len(strong) == 2))
            or (agree and "mobile" in found)
            or parents
        )
        if confirmed:
            identified.append(person)
        elif strong or agree or "mobile" in found:
            possible.append(person)

    match = Match()
    if len(identified) == 1:
        match.person = identified[0]
        match.affiliation = affiliation_of.get(match.person.pk)
        # A registration number or email that points at someone else is a conflict.
        others = [
            p
            for p in possible
            if evidence[p.pk] & {"registration", "email"} and p.pk != match.person.pk
        ]
        if others:
            match.person, match.affiliation = None, None
            match.possible = [identified[0], *others]
    elif identified:
        match.possible = identified + possible
    else:
        match.possible = possible
    return match
