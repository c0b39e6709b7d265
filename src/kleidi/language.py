"""Greek or English: the one place that decides which of the two Kleidi shows.

Kleidi speaks Greek first and English second. Anything that holds a
(Greek, English) pair, or picks a template, help page or report heading by
language, asks here, so every layer agrees that "en", "en-gb" and "EN" are
English and that everything else, no language at all included, is Greek.
A leaf: it imports nothing of Kleidi.
"""

from django.utils import translation

GREEK = "el"
ENGLISH = "en"


def resolve(requested: str | None = None) -> str:
    """`requested` (default: the active language) as "en" or "el"."""
    code = requested or translation.get_language() or GREEK
    return ENGLISH if code[:2].lower() == ENGLISH else GREEK


def pick(pair: tuple[str, str], requested: str | None = None) -> str:
    """The Greek or the English of a (Greek, English) pair."""
    greek, english = pair
    return english if resolve(requested) == ENGLISH else greek
