"""R10: the username contains the full surname; suggestions; R7 syntax of suggestions."""

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kleidi.text import suggest_usernames, username_contains_surname, username_form
from kleidi.text.surname import MAX_SURNAME_CHARS

SYNTAX = re.compile("[a-z][a-z0-9]{2,31}")


def suggest(given, surname, taken=(), *, max_length=32, limit=5):
    """suggest_usernames under the default policy: R7 syntax, free unless in ``taken``."""

    def accept(name):
        return SYNTAX.fullmatch(name) is not None and name not in taken

    return suggest_usernames(given, surname, max_length=max_length, accept=accept, limit=limit)


@pytest.mark.parametrize(
    ("username", "surname"),
    [
        ("gpapadopoulos", "Παπαδόπουλος"),
        ("giorgospapadopoulos", "Παπαδόπουλος"),
        ("papadopoulosg", "ΠΑΠΑΔΟΠΟΥΛΟΣ"),
        ("Gpapadopoulos", "Παπαδόπουλος"),  # compared lowercase
        ("dbakogianni", "Μπακογιάννη"),
        ("dmpakogianni", "Μπακογιάννη"),
        ("ntalaras", "Νταλάρας"),
        ("dalaras1", "Νταλάρας"),
        ("angelopoulos", "Αγγελόπουλος"),
        ("aggelopoulos", "Αγγελόπουλος"),
        ("gkikas", "Γκίκας"),
        ("gikas", "Γκίκας"),
        ("nkikas", "Γκίκας"),
        ("avgerinos", "Αυγερινός"),
        ("afgerinos", "Αυγερινός"),
        ("augerinos", "Αυγερινός"),
        ("evthimiou", "Ευθυμίου"),
        ("efthymiou", "Ευθυμίου"),
        ("euthimiou", "Ευθυμίου"),
        ("kutsukos", "Κουτσούκος"),
        ("koutsoukos", "Κουτσούκος"),
        ("psarakis", "Ψαράκης"),
        ("psarakys", "Ψαράκης"),
        ("oikonomou", "Οικονόμου"),
        ("ikonomou", "Οικονόμου"),
        ("ykonomu", "Οικονόμου"),
        ("xatzis", "Χατζής"),
        ("hatzis", "Χατζής"),
        ("chatzis", "Χατζής"),
        ("theodorou", "Θεοδώρου"),
        ("filippou", "Φιλίππου"),
        ("philippou", "Φιλίππου"),
        ("xanthopoulos", "Ξανθόπουλος"),
        ("ksanthopoulos", "Ξανθόπουλος"),
        ("vlachos", "Βλάχος"),
        ("blachos", "Βλάχος"),
        ("mavridis", "Μαυρίδης"),
        ("mavrydys", "Μαυρίδης"),
        ("taygetos", "Ταΰγετος"),
    ],
)
def test_r10_username_contains_surname_accepts_spellings(username, surname):
    assert username_contains_surname(username, surname)


@pytest.mark.parametrize(
    ("username", "surname"),
    [
        ("gpapadopoul", "Παπαδόπουλος"),
        ("papas", "Παπαδόπουλος"),
        ("tavgetos", "Ταΰγετος"),  # the diaeresis makes υ a vowel: y/i only
        ("theodoru2", "Θεοδωρίδης"),
        ("xyz", "Ευθυμίου"),
        ("katzis", "Χατζής"),
    ],
)
def test_r10_username_contains_surname_refuses_others(username, surname):
    assert not username_contains_surname(username, surname)


# Spellings of Greek passports before ELOT 743 and of English usage (issue 9):
# (rule, username, surname).
PASSPORT_SPELLINGS = [
    ("οι → e, κ → c", "aeconomou", "Οικονόμου"),
    ("οι → oe", "oeconomou", "Οικονόμου"),
    ("οι → e", "gekonomou", "Οικονόμου"),
    ("γι → yi", "eyiannopoulos", "Γιαννόπουλος"),
    ("γι → y", "yannopoulos", "Γιαννόπουλος"),
    ("γι → gi (ELOT)", "giannopoulos", "Γιαννόπουλος"),
    ("γι → y, accented ι", "ayiou", "Αγίου"),
    ("-ης → -es", "ktheodorides", "Θεοδωρίδης"),
    ("-ης → -is (ELOT)", "ktheodoridis", "Θεοδωρίδης"),
    ("-ης → -ys", "ktheodoridys", "Θεοδωρίδης"),
    ("η → e", "gdemetriou", "Δημητρίου"),
    ("-ου → -ou, ψ → ps", "spsarou", "Ψαρού"),
    ("-ου → -u", "spsaru", "Ψαρού"),
    ("κ → c", "nicolaou", "Νικολάου"),
    ("κ → c, -ης → -es", "anicolaides", "Νικολαΐδης"),
]


@pytest.mark.parametrize(("rule", "username", "surname"), PASSPORT_SPELLINGS)
def test_r10_passport_and_english_spellings_are_accepted(rule, username, surname):
    assert username_contains_surname(username, surname), rule


@pytest.mark.parametrize(
    ("username", "surname"),
    [
        ("aeconomides", "Οικονόμου"),  # another surname
        ("economou", "Οικονομίδης"),
        ("yannakopoulos", "Γιαννόπουλος"),
        ("ktheodorou", "Θεοδωρίδης"),
        ("kpapadakos", "Παπαδάκης"),
        ("spsaros", "Ψαρού"),
        ("sbsarou", "Ψαρού"),  # ψ is ps only
        ("ecconomou", "Οικονόμου"),
        ("yeorgiou", "Γεωργίου"),  # γ before ε is not y
        ("yda", "Γιδά"),  # γι before a consonant is not y
        ("aeconomu", "Κοκκίνου"),
    ],
)
def test_r10_passport_spellings_do_not_admit_other_surnames(username, surname):
    assert not username_contains_surname(username, surname)


@pytest.mark.parametrize(
    ("username", "surname", "accepted"),
    [
        ("sfinx", "Σφίγξ", True),
        ("sfigx", "Σφίγξ", True),
        ("sfinks", "Σφίγξ", True),
        ("sfigks", "Σφίγξ", True),
        ("sfix", "Σφίγξ", False),
        ("sfingx", "Σφίγξ", False),
        ("anchialos", "Αγχίαλος", True),
        ("anhialos", "Αγχίαλος", True),
        ("anxialos", "Αγχίαλος", True),
        ("aghialos", "Αγχίαλος", True),
        ("agxialos", "Αγχίαλος", True),
        ("agchialos", "Αγχίαλος", True),
        ("achialos", "Αγχίαλος", False),
        ("akhialos", "Αγχίαλος", False),
        ("lannxas", "Λαγγξάς", True),  # γγξ: a nasal γ, then γξ
        ("langxas", "Λαγγξάς", True),
        ("laggksas", "Λαγγξάς", True),
        ("lanxas", "Λαγγξάς", False),
    ],
)
def test_r10_nasal_gamma_before_xi_and_chi(username, surname, accepted):
    assert username_contains_surname(username, surname) is accepted


def test_r10_username_contains_compound_surname():
    surname = "Παπαδοπούλου-Κωνσταντίνου"
    assert username_contains_surname("mpapadopouloukonstantinou", surname)
    assert username_contains_surname("papadopoulou2konstantinu", surname)
    assert not username_contains_surname("mpapadopoulou", surname)
    assert not username_contains_surname("konstantinoupapadopoulou", surname)  # order


def test_r10_username_contains_compound_surname_with_space():
    assert username_contains_surname("gpapakonstantinou", "Παπά Κωνσταντίνου")
    assert not username_contains_surname("gkonstantinou", "Παπά Κωνσταντίνου")


def test_r10_username_contains_latin_surname_column():
    assert username_contains_surname("jpapadopoylos", "Παπαδόπουλος", "Papadopoylos")
    assert username_contains_surname("gpapadopoulos", "Παπαδόπουλος", "Papadopoylos")
    assert not username_contains_surname("jpapadopoylos", "Παπαδόπουλος")
    assert username_contains_surname("jsmith", "", "Smith")


@pytest.mark.parametrize("surname", ["", "   ", "-", "123", "😀", "\u200f", "'"])
def test_r10_username_contains_surname_without_letters_is_false(surname):
    assert username_contains_surname("anything", surname) is False


def test_r10_username_contains_surname_too_long_is_false():
    assert username_contains_surname("a" * 10, "α" * (MAX_SURNAME_CHARS + 1)) is False


def test_r10_suggestions_in_documented_order():
    names = suggest("Γιώργος", "Παπαδόπουλος")
    assert names == [
        "gpapadopoulos",
        "giorgospapadopoulos",
        "papadopoulosg",
        "gpapadopoulos2",
        "gpapadopoulos3",
    ]


def test_r10_suggestions_skip_taken_names():
    taken = {"gpapadopoulos", "papadopoulosg", "gpapadopoulos2"}
    names = suggest("Γιώργος", "Παπαδόπουλος", taken, limit=3)
    assert names == ["giorgospapadopoulos", "gpapadopoulos3", "gpapadopoulos4"]


def test_r10_suggestions_respect_limit_and_reserved_patterns():
    def accept(name):
        return SYNTAX.fullmatch(name) is not None and not re.fullmatch(r"[a-z]{2}\d+", name)

    names = suggest_usernames("Ελένη", "Ου", max_length=32, accept=accept, limit=2)
    assert names == ["eou", "eleniou"]
    assert suggest("Ελένη", "Ου", limit=0) == []


def test_r10_suggestions_truncate_given_name_keep_surname():
    surname = "Παπαδοπούλου-Κωνσταντινοπούλου"
    form = username_form(surname)
    assert len(form) == 29
    names = suggest("Αικατερίνη", surname, limit=3 + 98 + 1)
    assert all(len(n) <= 32 for n in names)
    assert all(form in n for n in names)
    assert names[:3] == ["a" + form, "aik" + form, form + "a"]
    assert names[3] == "a" + form + "2"
    assert names[-2] == "a" + form + "99"
    assert names[-1] == form + "100"  # no room left for the initial
    assert all(username_contains_surname(n, surname) for n in names)


def test_r10_suggestions_surname_longer_than_32_is_empty():
    surname = "Παπαδοπούλου-Κωνσταντινοπούλου-Ευαγγελάτου"
    assert suggest("Μαρία", surname) == []


@pytest.mark.parametrize("surname", ["", "-", "123", "😀", "\u200f"])
def test_r10_suggestions_for_a_letterless_surname_are_empty(surname):
    assert suggest("Γιώργος", surname) == []


def test_r10_suggestions_fit_the_configured_maximum_length():
    asked = []

    def accept(name):
        asked.append(name)
        return True

    names = suggest_usernames("Γιώργος", "Βλάχος", max_length=8, accept=accept, limit=3)
    assert names == ["gvlachos", "vlachosg", "vlachos2"]
    assert all(len(name) <= 8 for name in asked)
    assert suggest("Γιώργος", "Παπαδόπουλος", max_length=11) == []


def test_r10_suggestions_follow_the_policy_verdict():
    names = suggest_usernames(
        "Γιώργος",
        "Βλάχος",
        max_length=32,
        accept=lambda name: name != "gvlachos",
        limit=2,
    )
    assert names == ["giorgosvlachos", "vlachosg"]


def test_r10_suggestions_when_everything_is_taken_end():
    assert (
        suggest_usernames("Γιώργος", "Παπαδόπουλος", max_length=32, accept=lambda name: False) == []
    )


def test_r10_suggestions_without_given_name():
    assert suggest("", "Βλάχος", limit=3) == [
        "vlachos",
        "vlachos2",
        "vlachos3",
    ]


def test_r10_compact_unit_patterns_accept_exactly_the_documented_spellings():
    from kleidi.text.elot743 import LETTERS
    from kleidi.text.surname import ALTERNATIVES, _unit_pattern, spellings

    for unit in [*ALTERNATIVES, *LETTERS]:
        accepted = spellings(unit)
        letters = sorted(set("".join(accepted)))
        candidates = {"".join(p) for n in range(4) for p in itertools.product(letters, repeat=n)}
        assert {c for c in candidates if re.fullmatch(_unit_pattern(unit), c)} == accepted, unit


@given(st.sets(st.text(alphabet="abcgh", max_size=4), min_size=1, max_size=6))
def test_r10_compact_regex_matches_exactly_its_words(words):
    from kleidi.text.surname import compact_regex

    pattern = compact_regex(frozenset(words))
    candidates = {"".join(p) for n in range(6) for p in itertools.product("abcgh", repeat=n)}
    assert {c for c in candidates if re.fullmatch(pattern, c)} == words


def test_r10_surname_length_limit_is_inclusive():
    surname = "Α" * MAX_SURNAME_CHARS
    assert username_contains_surname("a" * MAX_SURNAME_CHARS, surname)
    assert username_contains_surname("a" * MAX_SURNAME_CHARS, "Βλάχος", surname)
    assert not username_contains_surname("a" * 300, surname + "Α")
    assert not username_contains_surname("vlachos", "Βλάχος", surname + "Α")


def test_r10_without_latin_surname_only_the_greek_one_counts():
    assert not username_contains_surname("xxxx", "Παπαδόπουλος")
    assert not username_contains_surname("xxxx", "Παπαδόπουλος", None)


@pytest.mark.parametrize(
    ("unit", "accepted"),
    [
        ("θ", {"th"}),
        ("χ", {"ch", "h", "x"}),
        ("μπ", {"b", "mp"}),
        ("αυ", {"av", "af", "au"}),
        ("γι", {"gi", "y", "yi"}),
        ("nasal γ", {"n", "g"}),
        ("οι", {"oi", "i", "y", "e", "oe"}),
    ],
)
def test_r10_unit_spellings_are_elot_plus_alternatives(unit, accepted):
    from kleidi.text.surname import spellings

    assert spellings(unit) == accepted


def test_r10_suggestions_default_to_five():
    names = suggest_usernames("Γιώργος", "Βλάχος", max_length=32, accept=SYNTAX.fullmatch)
    assert len(names) == 5


def test_r10_suggestions_surname_exactly_the_maximum_length():
    assert suggest("", "Βλάχος", max_length=7) == ["vlachos"]
    assert suggest("", "Βλάχος", max_length=6) == []
