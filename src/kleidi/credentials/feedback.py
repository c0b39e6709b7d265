"""Strength feedback in Greek and English (R25, issue 12 §8).

`kleidi.text.strength` explains an estimate with stable codes; this module
turns them into sentences for the meter and the form. They are advice, not
errors, so they live apart from the error catalogue.

A refused password gets one reason and one tip (`advice`), in plain words:
the meter and the page without JavaScript show the same two sentences, never
a list of every weakness found, a keyboard-pattern term or a guess count.
"""

from dataclasses import dataclass

from kleidi.errors import text
from kleidi.language import pick
from kleidi.text import strength

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
        "Οι κοινές λέξεις μαντεύονται εύκολα· μερικές τυχαίες, ασυνήθιστες λέξεις όχι.",
        "Common words are easy to guess; a few random, uncommon words are not.",
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
        "Γειτονικά πλήκτρα (π.χ. qwerty ή asdf) μαντεύονται εύκολα.",
        "Keys next to each other (such as qwerty or asdf) are easy to guess.",
    ),
    "password.too_guessable": (
        "Μαντεύεται εύκολα.",
        "It is easy to guess.",
    ),
    "password.suggestion.keep_typing": (
        "Συνεχίστε: μερικές τυχαίες λέξεις κάνουν ισχυρό κωδικό που θυμάστε εύκολα.",
        "Keep going: a few random words make a strong password that is easy to remember.",
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
        "Αντί για γειτονικά πλήκτρα, γράψτε μερικές τυχαίες λέξεις.",
        "Instead of keys next to each other, write a few random words.",
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


KEEP_TYPING = "password.suggestion.keep_typing"

# The tip that goes with the reason: the policy error's own, else the weakness's.
_ERROR_TIPS = {
    "password.too_short": KEEP_TYPING,
    "password.common": strength.ADD_WORDS,
    "password.own_data": strength.AVOID_PERSONAL_DATA,
    "password.similar": strength.AVOID_PERSONAL_DATA,
}
_NO_TIP = {"password.too_long", "password.control"}
_WARNING_TIPS = {
    strength.MOSTLY_USER_DATA: strength.AVOID_PERSONAL_DATA,
    strength.USER_DATA: strength.AVOID_PERSONAL_DATA,
    strength.DATE: strength.AVOID_DATES,
    strength.SEQUENCE: strength.AVOID_SEQUENCES,
    strength.REPEAT: strength.AVOID_REPEATS,
    strength.KEYBOARD: strength.LONGER_KEYBOARD_PATTERN,
}
# A weakness too vague to be the reason; the policy error says it better.
_VAGUE = {"", strength.TOO_GUESSABLE}


@dataclass(frozen=True)
class Advice:
    """Why a password is refused and what to do, each a code and a sentence."""

    reason_code: str
    reason: str
    tip_code: str = ""
    tip: str = ""

    def as_list(self) -> list[dict]:
        """The meter's lines: the reason, then the tip (if any)."""
        lines = [{"code": self.reason_code, "message": self.reason}]
        if self.tip_code:
            lines.append({"code": self.tip_code, "message": self.tip})
        return lines


def advice(verdict) -> Advice | None:
    """One reason and one tip for a refused password (None when accepted), in the active language.

    The reason is the policy's first error; a plain "too easy to guess" gives
    way to the weakness that makes it so ("it contains a name"). The tip is
    the one that answers that reason.
    """
    if verdict.acceptable:
        return None
    first = verdict.errors[0]
    warning = verdict.estimate.warning if verdict.estimate is not None else ""
    if first.code == "password.too_weak" and warning not in _VAGUE:
        reason_code, reason = warning, describe(warning)
    else:
        reason_code, reason = first.code, text(first)
    if first.code in _NO_TIP:
        return Advice(reason_code, reason)
    tip_code = _ERROR_TIPS.get(first.code) or _WARNING_TIPS.get(warning, strength.ADD_WORDS)
    return Advice(reason_code, reason, tip_code, describe(tip_code))
