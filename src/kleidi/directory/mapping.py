"""The one place that says what a Kleidi account looks like in the directory (R28).

`desired_entry(account)` computes the entry from Kleidi's data alone; the
worker, `set_password` and `reconcile` compare the directory with it and
change only what differs. docs/directory.md has the same table for people.

- `uid` (the RDN): the username (never changes, never reused: R7);
- `cn`, `sn`, `givenName`: the names in Latin letters (ELOT 743, or the
  sheet's Latin surname); with `;lang-el` the Greek, with `;lang-en` the Latin;
- `displayName`: given name and surname, in Greek;
- `mail`: the institutional mailbox (`KLEIDI_LDAP_MAIL_TEMPLATE`);
- `mobile`: the person's mobile (E.164);
- `eduPersonPrincipalName`: `username@scope`, never reassigned (nor are usernames);
- `eduPersonAffiliation`, `...PrimaryAffiliation`, `...ScopedAffiliation`:
  from the account's kind (`AFFILIATIONS`); `alum` once retired;
- `schacHomeOrganization`, `schacHomeOrganizationType`: the scope, a university;
- `schacPersonalUniqueCode`: the registration number, as an ESI URN;
- `schacExpiryDate`: the account's expiry (GeneralizedTime, UTC);
- `pwdAccountLockedTime`: `000001010000Z` (locked for ever) while expired,
  disabled or retired.

The plain `cn`/`sn`/`givenName` values are Latin so that services that know
nothing of language tags (RADIUS, old mail clients) see ASCII; the Greek
values are there for those that ask for `;lang-el`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from ldap3.utils.dn import escape_rdn

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.text import transliterate

OBJECT_CLASSES = (
    "top",
    "person",
    "organizationalPerson",
    "inetOrgPerson",
    "eduPerson",
    "schacContactLocation",
    "schacPersonalCharacteristics",
    "schacLinkageIdentifiers",
    "schacEntryMetadata",
)

# Kleidi's own lock: slapo-ppolicy reads this value as "locked until an
# administrator clears it". Any other value is a lockout the directory set
# after failed binds, which a password reset clears and Kleidi otherwise leaves alone.
ADMIN_LOCK = "000001010000Z"
LOCK_ATTRIBUTE = "pwdAccountLockedTime"
LOCKED_STATES = frozenset({AccountState.EXPIRED, AccountState.DISABLED, AccountState.RETIRED})

# eduPerson affiliations per account kind: (primary, all values).
AFFILIATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    AccountKind.UNDERGRADUATE: ("student", ("student", "member")),
    AccountKind.POSTGRADUATE: ("student", ("student", "member")),
    AccountKind.PHD: ("student", ("student", "member")),
    AccountKind.STAFF: ("staff", ("staff", "employee", "member")),
    AccountKind.EXTERNAL: ("affiliate", ("affiliate",)),
}
RETIRED_AFFILIATION = ("alum", ("alum",))

# Every attribute Kleidi manages: reconcile reads these, convergence writes
# only these; anything else on an entry belongs to the directory team.
MANAGED_ATTRIBUTES = (
    "objectClass",
    "uid",
    "cn",
    "cn;lang-el",
    "cn;lang-en",
    "sn",
    "sn;lang-el",
    "sn;lang-en",
    "givenName",
    "givenName;lang-el",
    "givenName;lang-en",
    "displayName",
    "mail",
    "mobile",
    "eduPersonPrincipalName",
    "eduPersonAffiliation",
    "eduPersonPrimaryAffiliation",
    "eduPersonScopedAffiliation",
    "schacHomeOrganization",
    "schacHomeOrganizationType",
    "schacPersonalUniqueCode",
    "schacExpiryDate",
)
UNIVERSITY = "urn:schac:homeOrganizationType:int:university"


@dataclass(frozen=True)
class DesiredEntry:
    """The entry an account should have: its DN, the managed attributes' values, the lock."""

    dn: str
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    locked: bool = False


def entry_dn(username: str) -> str:
    return f"uid={escape_rdn(username)},{settings.LDAP_BASE_DN}"


def generalized_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ")


def _latin(text: str) -> str:
    return transliterate(text).strip()


def desired_entry(account: Account) -> DesiredEntry:
    """What the directory should hold for `account`; reads its person and affiliation."""
    username = account.username
    scope = settings.LDAP_SCOPE
    person = account.person
    if person is not None:
        surname_el, given_el = person.surname.strip(), person.given_name.strip()
    else:  # a staff identity created from the command line has only a username
        surname_el, given_el = username, ""
    surname_en = (person.latin_surname.strip() if person else "") or _latin(surname_el)
    given_en = _latin(given_el)
    full_el = " ".join(part for part in (given_el, surname_el) if part)
    full_en = " ".join(part for part in (given_en, surname_en) if part)
    values: dict[str, tuple[str, ...]] = {
        "objectClass": OBJECT_CLASSES,
        "uid": (username,),
        "cn": (full_en,),
        "cn;lang-en": (full_en,),
        "cn;lang-el": (full_el,),
        "sn": (surname_en,),
        "sn;lang-en": (surname_en,),
        "sn;lang-el": (surname_el,),
        "displayName": (full_el,),
        "eduPersonPrincipalName": (f"{username}@{scope}",),
        "schacHomeOrganization": (scope,),
        "schacHomeOrganizationType": (UNIVERSITY,),
    }
    if given_el:
        values["givenName"] = (given_en,)
        values["givenName;lang-en"] = (given_en,)
        values["givenName;lang-el"] = (given_el,)
    if settings.LDAP_MAIL_TEMPLATE:
        values["mail"] = (settings.LDAP_MAIL_TEMPLATE.format(username=username),)
    if person is not None and person.mobile:
        values["mobile"] = (person.mobile,)
    state = account.effective_state
    primary, affiliations = (
        RETIRED_AFFILIATION
        if state == AccountState.RETIRED
        else AFFILIATIONS.get(account.kind, AFFILIATIONS[AccountKind.EXTERNAL])
    )
    values["eduPersonPrimaryAffiliation"] = (primary,)
    values["eduPersonAffiliation"] = affiliations
    values["eduPersonScopedAffiliation"] = tuple(f"{a}@{scope}" for a in affiliations)
    affiliation = account.affiliation
    if affiliation is not None and affiliation.registration_number:
        school = account.school.code if account.school is not None else "-"
        code = f"{school}.{affiliation.registration_number}"
        values["schacPersonalUniqueCode"] = (
            f"urn:schac:personalUniqueCode:int:esi:{scope}:{code}",
        )
    if account.expires_at is not None:
        values["schacExpiryDate"] = (generalized_time(account.expires_at),)
    return DesiredEntry(dn=entry_dn(username), attributes=values, locked=state in LOCKED_STATES)


def accounts_for_directory():
    """The queryset `desired_entry` needs, with its joins, for many accounts at once."""
    return Account.objects.select_related("person", "affiliation", "school")
