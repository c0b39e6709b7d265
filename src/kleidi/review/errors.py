"""Error codes of the review queue (R4, R16, docs/registry.md "The review queue")."""

MESSAGES = {
    "review.reason_required": (
        "Γράψτε την αιτιολογία της απόφασης.",
        "Write the reason for the decision.",
    ),
    "review.reason_too_long": (
        "Η αιτιολογία έχει %(length)s χαρακτήρες· επιτρέπονται έως %(max)s.",
        "The reason has %(length)s characters; at most %(max)s are allowed.",
    ),
    "review.already_decided": (
        "Για την εγγραφή αυτή έχει ήδη αποφασίσει ο/η %(actor)s (%(state)s).",
        "This record has already been decided by %(actor)s (%(state)s).",
    ),
    "review.changed": (
        "Η εγγραφή άλλαξε από τότε που την ανοίξατε· δείτε την ξανά πριν αποφασίσετε.",
        "The record changed since you opened it; look at it again before deciding.",
    ),
    "review.not_a_candidate": (
        "Το πρόσωπο %(person)s δεν είναι ένα από τα πιθανά πρόσωπα της εγγραφής.",
        "Person %(person)s is not one of the record's possible people.",
    ),
    "review.no_handler": (
        "Δεν υπάρχει χειρισμός εγκρίσεων για την πηγή «%(source)s».",
        "There is no approval handler for the source “%(source)s”.",
    ),
    "review.helpdesk_only": (
        "Μόνο το Helpdesk του ΚΗΥ αποφασίζει για τις εγγραφές προς έλεγχο.",
        "Only the computer centre's helpdesk decides on records under review.",
    ),
}
