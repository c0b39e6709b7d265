"""Username suggestions that satisfy R10, under the username policy passed in.

The policy (R5, R7, R11: length, syntax, reserved and taken names) lives in
``kleidi.accounts.usernames``; it reaches this Django-free layer as a maximum
length and a verdict function, so configuring it changes the suggestions too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kleidi.text.elot743 import username_form

#: How many numbered variants are tried before giving up.
MAX_NUMBERED_ATTEMPTS = 1000


def _candidates(given: str, surname: str, max_length: int) -> Iterator[str]:
    """Yield username candidates in the documented order, unchecked."""
    initial = given[:1]
    yield initial + surname
    yield given[: max(max_length - len(surname), 1)] + surname
    yield surname + initial
    for n in range(2, MAX_NUMBERED_ATTEMPTS + 2):
        digits = str(n)
        room = max_length - len(digits)
        base = initial + surname if len(initial + surname) <= room else surname
        yield base + digits


def suggest_usernames(
    given: str,
    surname: str,
    *,
    max_length: int,
    accept: Callable[[str], bool],
    limit: int = 5,
) -> list[str]:
    """Usernames that satisfy R10 and the policy's ``accept``, best first.

    Order: ``gpapadopoulos``, ``giorgospapadopoulos``, ``papadopoulosg``,
    then ``gpapadopoulos2``, ``gpapadopoulos3`` ... No candidate is longer
    than ``max_length``: the given name is cut to fit, the surname never is,
    so a surname whose ELOT form alone is longer (or has no letters) yields
    an empty list: such a username must be chosen by hand. ``accept(name)``
    is the policy's verdict (syntax, reserved, free).
    """
    given_form, surname_form = username_form(given), username_form(surname)
    if not surname_form or len(surname_form) > max_length or limit <= 0:
        return []
    found: list[str] = []
    seen: set[str] = set()
    for name in _candidates(given_form, surname_form, max_length):
        if name in seen or len(name) > max_length:
            continue
        seen.add(name)
        if accept(name):
            found.append(name)
            if len(found) >= limit:
                break
    return found
