"""ELOT 743 / ISO 843 transcription (R10 relies on it): published examples and every rule."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kleidi.text import transliterate, username_form

# Examples from the standard's tables, UN place-name practice and passports.
PUBLISHED = [
    ("Αθήνα", "Athina"),
    ("Θεσσαλονίκη", "Thessaloniki"),
    ("Μπακογιάννη", "Bakogianni"),
    ("Ευάγγελος", "Evangelos"),
    ("Αυγερινός", "Avgerinos"),
    ("Ευθύμιος", "Efthymios"),
    ("Παύλος", "Pavlos"),
    ("Άγγελος", "Angelos"),
    ("Σπύρος", "Spyros"),
    ("Χρήστος", "Christos"),
    ("Ψυχάρης", "Psycharis"),
    ("Ζευς", "Zefs"),
    ("Ταΰγετος", "Taygetos"),
    ("προϋπόθεση", "proypothesi"),
    ("Κομπότι", "Kompoti"),
    ("Αμπελόκηποι", "Ampelokipoi"),
    ("Πειραιάς", "Peiraias"),
    ("Ηράκλειο", "Irakleio"),
    ("Πάτρα", "Patra"),
    ("Βόλος", "Volos"),
    ("Χανιά", "Chania"),
    ("Ιωάννινα", "Ioannina"),
    ("Κέρκυρα", "Kerkyra"),
    ("Καβάλα", "Kavala"),
    ("Αγγελόπουλος", "Angelopoulos"),
    ("Γεώργιος Παπαδόπουλος", "Georgios Papadopoulos"),
    ("Νταλάρας", "Ntalaras"),
    ("Σφίγγα", "Sfinga"),
    ("Λαύριο", "Lavrio"),
    ("Ναύπλιο", "Nafplio"),
    ("Εύβοια", "Evvoia"),
    ("Ευρώπη", "Evropi"),
]


@pytest.mark.parametrize(("greek", "latin"), PUBLISHED)
def test_r10_elot743_published_examples(greek, latin):
    assert transliterate(greek) == latin


@pytest.mark.parametrize(("greek", "latin"), PUBLISHED)
def test_r10_elot743_nfd_input_gives_the_same(greek, latin):
    assert transliterate(unicodedata.normalize("NFD", greek)) == latin


# Every rule, each at least twice: (rule, greek, expected).
RULES = [
    ("letters", "αβγδεζηθικλμνξοπρστυφχψω", "avgdezithiklmnxoprstyfchpso"),
    ("letters", "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", "AVGDEZITHIKLMNXOPRSTYFCHPSO"),
    ("final sigma", "ς", "s"),
    ("final sigma", "λόγος", "logos"),
    ("αι", "και", "kai"),
    ("αι", "Αίγινα", "Aigina"),
    ("ει", "είναι", "einai"),
    ("ει", "Πειραιεύς", "Peiraiefs"),
    ("οι", "οικία", "oikia"),
    ("οι", "Οιδίπους", "Oidipous"),
    ("ου", "ουρανός", "ouranos"),
    ("ου", "Κουτσούκος", "Koutsoukos"),
    ("υι", "υιός", "yios"),
    ("υι", "μυιγάκι", "myigaki"),
    ("αυ before vowel", "άυπνος", "aypnos"),  # accent on α splits
    ("αυ before vowel", "Σταύρος", "Stavros"),
    ("αυ before voiced", "αυγή", "avgi"),
    ("αυ before voiced", "ναυμαχία", "navmachia"),
    ("ευ before voiced", "Ευβοϊκός", "Evvoikos"),
    ("ευ before vowel", "Ευανθία", "Evanthia"),
    ("ηυ before voiced", "ηύρα", "ivra"),
    ("ηυ before vowel", "ηυα", "iva"),
    ("αυ before voiceless", "αυτός", "aftos"),
    ("αυ before voiceless", "ναύτης", "naftis"),
    ("ευ before voiceless", "ευχαριστώ", "efcharisto"),
    ("ευ before voiceless", "Ευστάθιος", "Efstathios"),
    ("ηυ before voiceless", "ηυξημένος", "ifximenos"),
    ("ηυ before voiceless", "ηυφ", "iff"),
    ("αυ at end", "ταυ", "taf"),
    ("ευ at end", "Ζεύ", "Zef"),
    ("μπ at start", "μπαμπάς", "bampas"),
    ("μπ at start", "Μπότσαρης", "Botsaris"),
    ("μπ at end", "σαμπ", "sab"),
    ("μπ at end", "Κομπ Λαμπ", "Kob Lab"),
    ("μπ inside", "λάμπα", "lampa"),
    ("μπ inside", "Ολυμπία", "Olympia"),
    ("ντ", "ντομάτα", "ntomata"),
    ("ντ", "Πέντε", "Pente"),
    ("γγ", "Αγγλία", "Anglia"),
    ("γγ", "φεγγάρι", "fengari"),
    ("γκ", "γκρεμός", "gkremos"),
    ("γκ", "Αγκάθι", "Agkathi"),
    ("γξ", "σφιγξ", "sfinx"),
    ("γξ", "λαρυγξ", "larynx"),
    ("γχ", "μελαγχολία", "melancholia"),
    ("γχ", "Αγχίαλος", "Anchialos"),
    ("diaeresis splits", "Ταΰγετος", "Taygetos"),
    ("diaeresis splits", "Μαΐου", "Maiou"),
    ("diaeresis splits", "ευφυΐα", "effyia"),
    ("diaeresis splits", "Ευβοΐδα", "Evvoida"),
    ("accent on first splits", "άυλος", "aylos"),
    ("accent on first splits", "ΆΥΛΟΣ", "AYLOS"),
    ("title case", "Θεόδωρος", "Theodoros"),
    ("title case", "Ψαρράς Χίος", "Psarras Chios"),
    ("all capitals", "ΘΕΟΔΩΡΟΣ", "THEODOROS"),
    ("all capitals", "ΨΑΡΡΑΣ ΧΙΟΣ ΜΠΑΜΠΗΣ", "PSARRAS CHIOS BAMPIS"),
    ("all capitals end", "ΛΙΘ ΒΡΑΧ", "LITH VRACH"),
    ("all capitals end", "ΟΥΡΑΝΟΣ ΕΥΘΥΣ", "OURANOS EFTHYS"),
    ("pass through", "Café 2024 — ok!", "Café 2024 — ok!"),
    ("pass through", "Ñandú Αθήνα 😀", "Ñandú Athina 😀"),
    ("polytonic", "Ἀθῆναι", "Athinai"),
    ("polytonic", "ᾠδή Αὐτός ᾄδω", "odi Aftos ado"),
]


@pytest.mark.parametrize(("rule", "greek", "latin"), RULES)
def test_r10_elot743_rules(rule, greek, latin):
    assert transliterate(greek) == latin, rule


@pytest.mark.parametrize(("rule", "greek", "latin"), RULES)
def test_r10_elot743_rules_nfd(rule, greek, latin):
    result = transliterate(unicodedata.normalize("NFD", greek))
    assert unicodedata.normalize("NFC", result) == unicodedata.normalize("NFC", latin), rule


def test_r10_username_form_is_lowercase_ascii_letters():
    assert username_form("Παπαδόπουλος-Κωνσταντίνου") == "papadopouloskonstantinou"
    assert username_form("Ντ'Αλέσσιο Müller 2") == "ntalessiomuller"
    assert username_form("ΘΕΟΔΩΡΟΣ") == "theodoros"


def test_r10_transliterate_keeps_private_marker_characters():
    text = "Α\ufdd0υ\ufdd1Θ"
    assert transliterate(text) == "A\ufdd0y\ufdd1Th"


def test_r10_greek_letter_variants():
    assert transliterate("ϐϑϕϰϱϲϵ") == "vthfkrse"


# ELOT 743's table as the standard prints it, typed again here (not imported)
# so that the tests check the module's table instead of repeating it:
# (greek, alone or before a vowel/voiced letter, before a voiceless letter or at the end).
STANDARD_LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
STANDARD_PAIRS = {
    "αι": ("ai", "ai"),
    "ει": ("ei", "ei"),
    "οι": ("oi", "oi"),
    "υι": ("yi", "yi"),
    "ου": ("ou", "ou"),
    "αυ": ("av", "af"),
    "ευ": ("ev", "ef"),
    "ηυ": ("iv", "if"),
    "ντ": ("nt", "nt"),
    "γγ": ("ng", "ng"),
    "γκ": ("gk", "gk"),
    "γξ": ("nx", "nx"),
    "γχ": ("nch", "nch"),
}


def _positions(greek, latin_start, latin_middle, latin_end):
    """The unit at the start (before ρα), in the middle (after ρ) and at the end."""
    return [
        (greek + "ρα", latin_start + "ra"),
        ("ρ" + greek + "ρα", "r" + latin_middle + "ra"),
        ("ρ" + greek, "r" + latin_end),
    ]


TABLE_CASES = [
    *(case for g, lat in STANDARD_LETTERS.items() for case in _positions(g, lat, lat, lat)),
    *(case for g, (lat, end) in STANDARD_PAIRS.items() for case in _positions(g, lat, lat, end)),
    ("αυτα", "afta"),
    ("ρευκα", "refka"),
    ("ηυξα", "ifxa"),
    ("ευα", "eva"),
    *_positions("μπ", "b", "mp", "b"),
    ("ργγξα", "rnnxa"),
    ("ργγχα", "rnncha"),
    ("ραϋρα", "rayra"),
    ("ράυρα", "rayra"),
    ("ραύρα", "ravra"),
    ("ρόυρα", "royra"),
    ("ροϋρα", "royra"),
]


def _title(text):
    return text[:1].upper() + text[1:]


@pytest.mark.parametrize(("greek", "latin"), TABLE_CASES)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_elot743_every_rule_at_start_middle_end_in_every_case(greek, latin, form):
    """Every rule, lower case, capitals and title case: ΘΡΑ → THRA, Θρα → Thra."""
    for source, expected in (
        (greek, latin),
        (greek.upper(), latin.upper()),
        (_title(greek), _title(latin)),
    ):
        result = transliterate(unicodedata.normalize(form, source))
        assert unicodedata.normalize("NFC", result) == expected, source


@pytest.mark.parametrize(
    ("greek", "latin"),
    [
        ("Κουμπάρος", "Koumparos"),
        ("ΚΟΥΜΠΑΡΟΣ", "KOUMPAROS"),
        ("ακουμπώ", "akoumpo"),
        ("Τούμπα", "Toumpa"),
        ("Κουρουμπλής", "Kouroumplis"),
        ("ευμπα", "evmpa"),
        ("Γγγα", "Nnga"),
    ],
)
def test_elot743_word_boundaries_are_judged_on_the_greek_input(greek, latin):
    """μπ after ου is inside the word: the u the pair gave is no word boundary."""
    assert transliterate(greek) == latin


GREEK_WORD_LETTERS = "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΆΈΉΊΌΎΏΪΫ"
greek_words = st.text(alphabet=GREEK_WORD_LETTERS, min_size=1, max_size=12)


@given(
    st.lists(greek_words, min_size=1, max_size=5),
    st.sampled_from([" ", "-", ", ", "' ", " 2 ", "\u00a0", " — "]),
    st.sampled_from(["NFC", "NFD"]),
)
def test_elot743_a_word_alone_and_inside_a_sentence_agree(words, separator, form):
    words = [unicodedata.normalize(form, w) for w in words]
    alone = separator.join(transliterate(w) for w in words)
    assert transliterate(separator.join(words)) == alone
