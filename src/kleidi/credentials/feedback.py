"""Strength feedback in Greek and English (R25).

`kleidi.text.strength` explains an estimate with stable codes; this module
turns them into sentences for the meter and the form. They are advice, not
errors, so they live apart from the error catalogue.
"""

from kleidi.language import pick

FEEDBACK = {
    "password.mostly_user_data": (
        "Αποτελείται κυρίως από στοιχεία σας (όνομα, όνομα χρήστη, αριθμό μητρώου, κινητό "
        "ή email), σε όποια σειρά, γραφή ή μορφή κι αν είναι: αυτά δοκιμάζονται πρώτα.",
        "It is made mostly of your own data (name, username, registration number, mobile "
        "or email), in whatever order, script or format: those are tried first.",
    ),
    "password.user_data": (
        "Περιέχει στοιχεία σας (όνομα, όνομα χρήστη, αριθμό μητρώου, κινητό ή email).",
        "It contains your own data (name, username, registration number, mobile or email).",
    ),
    "password.name": (
        "Περιέχει όνομα ή επώνυμο, που μαντεύονται εύκολα.",
        "It contains a given name or surname, which are easy to guess.",
    ),
    "password.common_password": (
        "Μοιάζει με πολύ κοινό κωδικό.",
        "It resembles a very common password.",
    ),
    "password.common_phrase": (
        "Οι γνωστές φράσεις και ευχές (π.χ. «σ' αγαπώ πάρα πολύ») μαντεύονται σαν μία λέξη.",
        "Well-known phrases and wishes (such as «s agapw para poly») are guessed like "
        "a single word.",
    ),
    "password.common_word": (
        "Μία μόνο κοινή λέξη μαντεύεται εύκολα· οι πολλές τυχαίες λέξεις όχι.",
        "A single common word is easy to guess; several random words are not.",
    ),
    "password.date": (
        "Οι ημερομηνίες και οι χρονιές μαντεύονται εύκολα.",
        "Dates and years are easy to guess.",
    ),
    "password.sequence": (
        "Ακολουθίες όπως abc ή 6543 μαντεύονται εύκολα.",
        "Sequences like abc or 6543 are easy to guess.",
    ),
    "password.repeat": (
        "Επαναλήψεις όπως aaa ή abcabc μαντεύονται εύκολα.",
        "Repeats like aaa or abcabc are easy to guess.",
    ),
    "password.keyboard_pattern": (
        "Σειρές πλήκτρων (π.χ. qwerty) μαντεύονται εύκολα.",
        "Rows of keys (such as qwerty) are easy to guess.",
    ),
    "password.too_guessable": (
        "Μαντεύεται εύκολα.",
        "It is easy to guess.",
    ),
    "password.suggestion.add_words": (
        "Προσθέστε μία ή δύο ακόμη ασυνήθιστες λέξεις.",
        "Add another word or two; uncommon words are better.",
    ),
    "password.suggestion.avoid_personal_data": (
        "Μη χρησιμοποιείτε το όνομα, το όνομα χρήστη ή τον αριθμό μητρώου σας.",
        "Do not use your name, username or registration number.",
    ),
    "password.suggestion.avoid_dates": (
        "Αποφύγετε ημερομηνίες και χρονιές που σχετίζονται με εσάς.",
        "Avoid dates and years that are associated with you.",
    ),
    "password.suggestion.avoid_sequences": (
        "Αποφύγετε ακολουθίες γραμμάτων ή ψηφίων.",
        "Avoid sequences of letters or digits.",
    ),
    "password.suggestion.avoid_repeats": (
        "Αποφύγετε επαναλαμβανόμενες λέξεις και χαρακτήρες.",
        "Avoid repeated words and characters.",
    ),
    "password.suggestion.longer_keyboard_pattern": (
        "Χρησιμοποιήστε μεγαλύτερο μοτίβο πλήκτρων με περισσότερες αλλαγές κατεύθυνσης.",
        "Use a longer keyboard pattern with more turns.",
    ),
    "password.suggestion.capitals_dont_help": (
        "Τα κεφαλαία γράμματα δεν βοηθούν πολύ.",
        "Capital letters do not help very much.",
    ),
    "password.suggestion.substitutions_dont_help": (
        "Αντικαταστάσεις όπως @ αντί για a δεν βοηθούν πολύ.",
        "Predictable substitutions like @ instead of a do not help very much.",
    ),
    "password.suggestion.reversed_doesnt_help": (
        "Οι ανεστραμμένες λέξεις δεν είναι πολύ πιο δύσκολες.",
        "Reversed words are not much harder to guess.",
    ),
}

# Meter levels 0–4; 4 means the server accepts the password.
LEVELS = (
    ("Πολύ αδύναμος", "Very weak"),
    ("Αδύναμος", "Weak"),
    ("Μέτριος", "Fair"),
    ("Σχεδόν αρκετός", "Almost there"),
    ("Ισχυρός", "Strong"),
)


def describe(code: str, language: str | None = None) -> str:
    """The sentence for a feedback code in `language` (default: the active one)."""
    pair = FEEDBACK.get(code, FEEDBACK["password.too_guessable"])
    return pick(pair, language)


def level_label(level: int, language: str | None = None) -> str:
    return pick(LEVELS[level], language)
