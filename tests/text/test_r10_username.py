"""R10: the username contains the full surname; suggestions; R7 syntax of suggestions."""

import re

import pytest

from kleidi.text.greek import (
    MAX_SURNAME_CHARS,
    suggest_usernames,
    username_contains_surname,
    username_form,
)

USERNAME = re.compile(r"[a-z][a-z0-9]{2,31}")


def never_taken(name: str) -> bool:
    return False


def free(is_taken):
    """A caller's policy: the default syntax (3-32 characters) and not taken."""
    return lambda name: USERNAME.fullmatch(name) is not None and not is_taken(name)


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
    names = suggest_usernames("Γιώργος", "Παπαδόπουλος", max_length=32, accept=free(never_taken))
    assert names == [
        "gpapadopoulos",
        "giorgospapadopoulos",
        "papadopoulosg",
        "gpapadopoulos2",
        "gpapadopoulos3",
    ]


def test_r10_suggestions_skip_taken_names():
    taken = {"gpapadopoulos", "papadopoulosg", "gpapadopoulos2"}
    names = suggest_usernames(
        "Γιώργος", "Παπαδόπουλος", max_length=32, accept=free(taken.__contains__), limit=3
    )
    assert names == ["giorgospapadopoulos", "gpapadopoulos3", "gpapadopoulos4"]


def test_r10_suggestions_respect_limit_and_reserved_patterns():
    def taken(name):
        return bool(re.fullmatch(r"[a-z]{2}\d+", name))

    assert suggest_usernames("Ελένη", "Ου", max_length=32, accept=free(taken), limit=2) == [
        "eou",
        "eleniou",
    ]
    assert suggest_usernames("Ελένη", "Ου", max_length=32, accept=free(never_taken), limit=0) == []


def test_r10_suggestions_truncate_given_name_keep_surname():
    surname = "Παπαδοπούλου-Κωνσταντινοπούλου"
    form = username_form(surname)
    assert len(form) == 29
    names = suggest_usernames(
        "Αικατερίνη", surname, max_length=32, accept=free(never_taken), limit=3 + 98 + 1
    )
    assert all(len(n) <= 32 for n in names)
    assert all(form in n for n in names)
    assert names[:3] == ["a" + form, "aik" + form, form + "a"]
    assert names[3] == "a" + form + "2"
    assert names[-2] == "a" + form + "99"
    assert names[-1] == form + "100"  # no room left for the initial
    assert all(username_contains_surname(n, surname) for n in names)


def test_r10_suggestions_surname_longer_than_32_is_empty():
    surname = "Παπαδοπούλου-Κωνσταντινοπούλου-Ευαγγελάτου"
    assert suggest_usernames("Μαρία", surname, max_length=32, accept=free(never_taken)) == []


def test_r10_suggestions_when_everything_is_taken_end():
    assert (
        suggest_usernames("Γιώργος", "Παπαδόπουλος", max_length=32, accept=free(lambda name: True))
        == []
    )


def test_r7_suggestions_fit_a_configured_maximum():
    names = suggest_usernames(
        "Γιώργος", "Παπαδόπουλος", max_length=13, accept=free(never_taken), limit=12
    )
    assert names[:3] == ["gpapadopoulos", "papadopoulosg", "papadopoulos2"]
    assert all(len(n) <= 13 for n in names)
    assert (
        suggest_usernames("Γιώργος", "Παπαδόπουλος", max_length=11, accept=free(never_taken)) == []
    )


def test_r7_suggestions_ask_the_callers_policy_for_every_name():
    asked = []

    def accept(name):
        asked.append(name)
        return name.endswith("3")

    assert suggest_usernames("Ιω", "Βλάχος", max_length=32, accept=accept, limit=1) == ["ivlachos3"]
    assert asked == ["ivlachos", "iovlachos", "vlachosi", "ivlachos2", "ivlachos3"]


def test_r10_suggestions_without_given_name():
    assert suggest_usernames("", "Βλάχος", max_length=32, accept=free(never_taken), limit=3) == [
        "vlachos",
        "vlachos2",
        "vlachos3",
    ]


def test_r10_compact_unit_patterns_accept_exactly_the_documented_spellings():
    import itertools

    from kleidi.text.greek import SPELLINGS, UNIT_REGEX

    assert set(SPELLINGS) == set(UNIT_REGEX)
    for unit, spellings in SPELLINGS.items():
        letters = sorted(set("".join(spellings)))
        candidates = {"".join(p) for n in range(1, 4) for p in itertools.product(letters, repeat=n)}
        accepted = {c for c in candidates if re.fullmatch(UNIT_REGEX[unit], c)}
        assert accepted == set(spellings), unit
