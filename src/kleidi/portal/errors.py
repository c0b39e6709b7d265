"""Error codes of the portal: its request handling and the `kleidi` command (docs/errors.md)."""

MESSAGES = {
    "request.too_large": (
        "Το αίτημα είναι μεγαλύτερο από όσο δέχεται αυτή η σελίδα (έως %(max_kb)s KB).",
        "The request is larger than this page accepts (at most %(max_kb)s KB).",
    ),
    "request.length_required": (
        "Το αίτημα πρέπει να δηλώνει το μέγεθός του (Content-Length).",
        "The request must state its size (Content-Length).",
    ),
    "database.not_set_up": (
        "Η βάση δεδομένων %(database)s δεν έχει ακόμα τους πίνακες του Kleidi "
        "(ή δεν είναι ενημερωμένη). Τρέξτε πρώτα: %(command)s. Για τα δεδομένα "
        "της επίδειξης: `kleidi demo --seed-only` μία φορά, και μετά `kleidi --demo ...`.",
        "The database %(database)s does not have Kleidi's tables yet (or is not up "
        "to date). Run first: %(command)s. For the demo's data instead: "
        "`kleidi demo --seed-only` once, then `kleidi --demo ...`.",
    ),
    "database.demo_not_set_up": (
        "Η βάση δεδομένων της επίδειξης %(database)s δεν έχει ακόμα τους πίνακες του "
        "Kleidi (ή δεν είναι ενημερωμένη). Τρέξτε πρώτα: kleidi demo --seed-only.",
        "The demo's database %(database)s does not have Kleidi's tables yet (or is "
        "not up to date). Run first: kleidi demo --seed-only.",
    ),
}
