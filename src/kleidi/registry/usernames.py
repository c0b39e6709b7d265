"""R5: the username each new undergraduate of a feed gets (docs/registry.md, "Usernames").

Every record has an ordered list of candidates, each one passing the
undergraduate policy (`username_policy().accepts(name, undergraduate)`):

1. the registry's own `loginName`, when it has one that passes the policy;
2. the template's name (`{prefix}{last5}` by default: `el18123`);
3. the template with more of the number's digits (`{last5}` → `{last6}`, ...),
   for an institution whose pattern allows longer numbers;
4. the school prefix followed by one letter, `a` to `z` (`ela18123`), skipping
   a letter that would make another school's prefix.

The first candidate that no account ever had (R7, retired ones included) and
that no other record of the same feed gets is the record's. A record's own
names (1 and 2) are given out first, over the whole feed in record order; only
then do the records whose own names were taken get their next choice, again
in record order, so a fallback never takes another record's natural name.
Two queries answer a whole feed, whatever its size (per 5,000 names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from kleidi.accounts.models import AccountKind
from kleidi.accounts.usernames import UsernamePolicy, normalise, taken, username_policy

CHUNK = 5_000
_LAST = re.compile(r"\{last(\d+)\}")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Wanted:
    """One new undergraduate: its key (the record's place), school prefix, number, login name."""

    key: int
    prefix: str
    registration_number: str
    login_name: str = ""


@dataclass(frozen=True)
class Refused:
    """No name could be given: the error code and its params."""

    code: str
    params: dict


def candidates(
    policy: UsernamePolicy, wanted: Wanted, prefixes: frozenset[str] = frozenset()
) -> list[str]:
    """Every name the record may get, in the documented order, each passing the policy."""
    found: list[str] = []
    login = normalise(wanted.login_name)
    if login:
        found.append(login)
    found.append(policy.undergraduate_username(wanted.prefix, wanted.registration_number))
    digits = re.sub(r"\D", "", wanted.registration_number or "")
    if _LAST.search(policy.undergraduate_template):
        for extra in range(1, len(digits) + 1):
            template = _LAST.sub(
                lambda m, extra=extra: f"{{last{int(m.group(1)) + extra}}}",
                policy.undergraduate_template,
            )
            longer = replace(policy, undergraduate_template=template)
            found.append(longer.undergraduate_username(wanted.prefix, wanted.registration_number))
    for letter in LETTERS:
        prefix = wanted.prefix + letter
        if prefix not in prefixes:
            found.append(policy.undergraduate_username(prefix, wanted.registration_number))
    accepted = [n for n in found if policy.accepts(n, AccountKind.UNDERGRADUATE)]
    return list(dict.fromkeys(accepted))


def own_names(policy: UsernamePolicy, wanted: Wanted) -> list[str]:
    """The record's own names (its loginName, the template's name) that pass the policy."""
    found = [
        normalise(wanted.login_name),
        policy.undergraduate_username(wanted.prefix, wanted.registration_number),
    ]
    names = [n for n in found if n and policy.accepts(n, AccountKind.UNDERGRADUATE)]
    return list(dict.fromkeys(names))


def _taken(names: Iterable[str]) -> set[str]:
    names = list(dict.fromkeys(names))
    found: set[str] = set()
    for start in range(0, len(names), CHUNK):
        found |= taken(names[start : start + CHUNK])
    return found


def assign(
    wanted: list[Wanted], *, prefixes: Iterable[str] = (), reserved: Iterable[str] = ()
) -> dict[int, str | Refused]:
    """R5: a username (or the reason there is none) for every wanted record, by key.

    `wanted` is in record order; `reserved` are names already promised to
    someone else in this run (the review handler passes none).
    """
    policy = username_policy()
    prefixes = frozenset(prefixes)
    claimed: set[str] = {normalise(n) for n in reserved}
    result: dict[int, str | Refused] = {}
    own = {w.key: own_names(policy, w) for w in wanted}
    # Round 1: each record's own names (its loginName, then the template's).
    used = _taken(name for names in own.values() for name in names)
    later: list[Wanted] = []
    for w in wanted:
        name = next((n for n in own[w.key] if n not in used and n not in claimed), None)
        if name is None:
            later.append(w)
            continue
        claimed.add(name)
        result[w.key] = name
    if not later:
        return result
    # Round 2: the next choices of the records whose own names were taken.
    lists = {w.key: candidates(policy, w, prefixes - {w.prefix}) for w in later}
    used |= _taken(name for w in later for name in lists[w.key])
    for w in later:
        names = lists[w.key]
        name = next((n for n in names if n not in used and n not in claimed), None)
        if name is not None:
            claimed.add(name)
            result[w.key] = name
        elif names:
            result[w.key] = Refused("username.taken", {"value": names[0]})
        else:
            result[w.key] = Refused(
                "registry.no_username",
                {
                    "registration_number": w.registration_number,
                    "tried": policy.undergraduate_username(w.prefix, w.registration_number),
                },
            )
    return result
