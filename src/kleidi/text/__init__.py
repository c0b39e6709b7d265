"""Greek text toolkit: ELOT 743, name matching, look-alikes, Greek-aware strength.

Pure Python, no Django: the lowest layer of Kleidi (DESIGN §3). The strength
estimator and the name lists are imported lazily: they load zxcvbn, the
dictionaries and the lists.

| module | what it holds |
|---|---|
| ``marked`` | Greek letters as base letter plus accent/diaeresis markers |
| ``elot743`` | ``transliterate``, ``username_form`` |
| ``matchkeys`` | ``match_key`` |
| ``surname`` | R10: ``username_contains_surname`` |
| ``suggestions`` | ``suggest_usernames`` |
| ``lookalike`` | R9: ``lookalikes``, ``Lookalike`` |
| ``names`` | the given names and surnames; ``is_given_name`` |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kleidi.text.elot743 import transliterate, username_form
from kleidi.text.lookalike import Lookalike, lookalikes
from kleidi.text.matchkeys import match_key
from kleidi.text.suggestions import suggest_usernames
from kleidi.text.surname import username_contains_surname

if TYPE_CHECKING:
    from kleidi.text.names import is_given_name
    from kleidi.text.strength import Estimate, estimate

__all__ = [
    "Estimate",
    "Lookalike",
    "estimate",
    "is_given_name",
    "lookalikes",
    "match_key",
    "suggest_usernames",
    "transliterate",
    "username_contains_surname",
    "username_form",
]


def __getattr__(name: str) -> object:
    if name in {"estimate", "Estimate"}:
        from kleidi.text import strength

        return getattr(strength, name)
    if name == "is_given_name":
        from kleidi.text import names

        return names.is_given_name
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
