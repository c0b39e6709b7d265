"""ELOT 743 / ISO 843 transcription (R10 relies on it): published examples and every rule."""

import unicodedata

import pytest

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
