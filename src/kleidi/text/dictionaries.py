"""Greek and greeklish ranked dictionaries for zxcvbn (R25).

zxcvbn ships English word lists only, so it rates ``Papadopoulos2024!`` as
strong. Kleidi adds two ranked dictionaries:

``greek_words``
    the most frequent Greek words (wordfreq, language ``el``);
``greek_names``
    common Greek given names (with nicknames and vocatives) and surnames
    (masculine and feminine), ranked by wordfreq frequency;
``greek_phrases``
    common Greek phrases, sayings and chants (:mod:`kleidi.text.phrases`),
    each a single guess however many words it has.

Every entry appears in Greek (with and without accents), in its ELOT 743
form and in a few greeklish spellings (:func:`latin_forms`). The lists are
built once by :mod:`kleidi.text.build_dictionaries` into a gzip'd text file
inside the package, so run time never needs wordfreq.
"""

from __future__ import annotations

import gzip
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from kleidi.text.elot743 import LETTERS, unit_regex, username_form
from kleidi.text.marked import GREEK_LETTERS, MARKS, to_marked
from kleidi.text.matchers import RankedIndex
from kleidi.text.matchkeys import match_key

DATA_PACKAGE = "kleidi.text"
DATA_FILE = "greek_dictionaries.txt.gz"
DICTIONARY_NAMES = ("greek_words", "greek_names", "greek_phrases")

# --------------------------------------------------------------------------
# Greeklish spellings

_UNITS, _UNIT_GROUPS = unit_regex()

#: Greeklish styles: how each unit is spelled when it differs from ELOT 743.
#: Bounded on purpose: a word yields at most ``1 + len(STYLES)`` Latin forms.
STYLES: tuple[dict[str, str], ...] = (
    # phonetic: kalimera, agapo, eftyxia
    {"η": "i", "υ": "i", "ω": "o", "ει": "i", "οι": "i", "αι": "e", "υι": "i", "χ": "x", "ξ": "ks"},
    # visual: kalhmera, agapw, 8eos, eu3eino, mairh
    {
        "η": "h",
        "υ": "u",
        "ω": "w",
        "θ": "8",
        "χ": "x",
        "ξ": "3",
        "β": "b",
        "αυ": "au",
        "ευ": "eu",
        "ηυ": "hu",
        "υι": "ui",
        "μπ": "mp",
    },
    # keyboard-mixed: kalhmera, agapw, xara, thelw
    {"η": "h", "ω": "w", "χ": "x", "ξ": "ks"},
    # kalimera, agapw
    {"ω": "w", "χ": "x", "ξ": "ks"},
    # kalhmera, agapo, euxaristw -> euxaristo
    {"η": "h", "υ": "u", "χ": "x", "αυ": "au", "ευ": "eu"},
)


def _units(word: str) -> list[tuple[str, str]]:
    """Split a word into (unit, ELOT spelling) pairs; non-Greek is kept."""
    units = []
    for match in _UNITS.finditer(to_marked(word).lower()):
        unit, spelling = _UNIT_GROUPS[match.lastgroup]
        char = match[0]
        if unit:
            units.append((unit, spelling))
        elif char in GREEK_LETTERS:
            units.append((char, LETTERS[char]))
        elif char not in MARKS:
            units.append((char, char))
    return units


def _spellings(text: str, dropped: str) -> list[str]:
    """ELOT 743 then every style, with the characters ``dropped`` removed."""
    units = _units(text)
    forms = ["".join(spelling for _, spelling in units)]
    forms += ["".join(style.get(u, s) for u, s in units) for style in STYLES]
    cleaned = (" ".join(re.sub(dropped, "", f).split()) for f in forms)
    return [f for f in dict.fromkeys(cleaned) if f]


def latin_forms(word: str) -> list[str]:
    """The ELOT 743 form of a Greek word followed by its greeklish spellings.

    Lowercase, deduplicated, ELOT first. Characters that are not letters or
    digits are dropped.
    """
    return _spellings(word, r"[^0-9a-z]")


_NON_WORD = re.compile(r"[\W_]+")


def phrase_forms(phrase: str) -> list[str]:
    """A phrase as a password might hold it: Greek, ELOT, greeklish (R25).

    Words are joined by one space, then (the same forms again) by nothing:
    ``σ' αγαπώ πάρα πολύ`` gives ``σ αγαπώ πάρα πολύ``, ``s agapo para poly``,
    ``s agapw para poly`` ... ``sagapwparapoly``. The matcher reads any
    separator in a password (``-``, ``_``, ``'`` ...) as a space.
    """
    spaced = " ".join(w for w in _NON_WORD.split(unicodedata.normalize("NFC", phrase)) if w)
    accented = spaced.lower()
    bare = unicodedata.normalize(
        "NFC",
        "".join(c for c in unicodedata.normalize("NFD", accented) if c.isalnum() or c == " "),
    )
    forms = list(dict.fromkeys([accented, bare, *_spellings(spaced, r"[^0-9a-z ]")]))
    return list(dict.fromkeys(forms + [f.replace(" ", "") for f in forms]))


def greek_forms(word: str) -> list[str]:
    """The word in lowercase Greek, accented and unaccented (final ς kept)."""
    accented = unicodedata.normalize("NFC", word).lower()
    bare = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", accented) if c.isalpha())
    )
    return list(dict.fromkeys(f for f in (accented, bare) if f))


def all_forms(word: str) -> list[str]:
    """Greek forms, then the ELOT form, then greeklish spellings."""
    return list(dict.fromkeys(greek_forms(word) + latin_forms(word)))


# --------------------------------------------------------------------------
# The packaged data file


def parse(text: str) -> dict[str, list[str]]:
    """Read the data file format: ``[name]`` headers, one entry per line."""
    lists: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = lists.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return lists


def serialise(lists: dict[str, list[str]], header: str) -> str:
    """Write the data file format read by :func:`parse`."""
    lines = [f"# {line}" for line in header.splitlines()]
    for name, entries in lists.items():
        lines.append(f"[{name}]")
        lines.extend(entries)
    return "\n".join(lines) + "\n"


@cache
def load() -> dict[str, list[str]]:
    """The ranked Greek dictionaries, read once from the packaged file."""
    data = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    return parse(gzip.decompress(data).decode("utf-8"))


_index_lock = threading.Lock()


@cache
def _build_index() -> RankedIndex:
    from zxcvbn.matching import RANKED_DICTIONARIES

    ranked = {name: ranks for name, ranks in RANKED_DICTIONARIES.items() if name != "user_inputs"}
    for name, words in load().items():
        ranked[name] = {word: rank for rank, word in enumerate(words, 1)}
    return RankedIndex(ranked)


def ranked_index() -> RankedIndex:
    """zxcvbn's English dictionaries plus the Greek ones, merged once.

    Built lazily on the first estimate and then shared by the whole process
    (thread-safe). zxcvbn's own module-level table is left untouched, so other
    users of zxcvbn in the process see no change.
    """
    with _index_lock:
        return _build_index()


# --------------------------------------------------------------------------
# Member data as zxcvbn user inputs

MAX_USER_INPUTS = 256
MAX_INPUT_CHARS = 100
_SPLIT_WORDS = re.compile(r"[\W_]+")
_SPLIT_DIGITS = re.compile(r"(\d+)")


def _tokens(text: str) -> list[str]:
    """The text itself, its words, and its letter and digit runs."""
    words = [w for w in _SPLIT_WORDS.split(text) if w]
    runs = [r for w in words for r in _SPLIT_DIGITS.split(w) if r]
    return [text, *words, *runs]


def expand_user_inputs(inputs: Iterable[object]) -> list[str]:
    """Expand the member's data into the forms a password might use.

    Each input counts as typed, as its match key, in ELOT 743 and in
    greeklish, whole and word by word, so that ``Γιώργος`` also penalises
    ``giorgos``, ``giwrgos`` and ``γιωργος``. Bounded in count and length.
    """
    out: dict[str, None] = {}
    for raw in inputs:
        text = str(raw)[: MAX_INPUT_CHARS * 4]
        forms = [text.lower(), match_key(text), username_form(text)]
        for word in _SPLIT_WORDS.split(text):
            forms.extend(all_forms(word) if word else ())
        for form in forms:
            for token in _tokens(form[:MAX_INPUT_CHARS]):
                if len(token) >= 2:
                    out[token] = None
        if len(out) >= MAX_USER_INPUTS:
            break
    return list(out)[:MAX_USER_INPUTS]
