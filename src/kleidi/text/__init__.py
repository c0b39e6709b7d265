"""Greek text toolkit: ELOT 743, name matching, look-alikes, Greek-aware strength.

Pure Python, no Django: the lowest layer of Kleidi (DESIGN §3). The strength
estimator is imported lazily because it loads zxcvbn and the dictionaries.

| module | what it holds |
|---|---|
| ``marked`` | Greek letters as base letter plus accent/diaeresis markers |
| ``elot743`` | ``transliterate``, ``username_form`` |
| ``matchkeys`` | ``match_key`` |
| ``surname`` | R10: ``username_contains_surname`` |
| ``suggestions`` | ``suggest_usernames`` |
| ``lookalike`` | R9: ``lookalikes``, ``Lookalike`` |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kleidi.text.elot743 import transliterate, username_form
from kleidi.text.lookalike import Lookalike, lookalikes
from kleidi.text.matchkeys import match_key
from kleidi.text.suggestions import suggest_usernames
from kleidi.text.surname import username_contains_surname

if TYPE_CHECKING:
    from kleidi.text.strength import Estimate, estimate

__all__ = [
    "Estimate",
    "Lookalike",
    "estimate",
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
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
