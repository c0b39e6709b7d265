"""Error codes of the registry feed and its import (R4, R5, R6, docs/registry.md)."""

MESSAGES = {
    # The feed: reading a file or the database view (feed.py, sources.py).
    "registry.not_configured": (
        "Η βάση του φοιτητολογίου δεν έχει οριστεί (KLEIDI_REGISTRY_DATABASE_URL)· δώστε "
        "αρχείο (csv, xlsx, xls, ods) ή ορίστε τη σύνδεση.",
        "The registry database is not configured (KLEIDI_REGISTRY_DATABASE_URL); give a file "
        "(csv, xlsx, xls, ods) or configure the connection.",
    ),
    "registry.view_unavailable": (
        "Η προβολή «%(view)s» της βάσης του φοιτητολογίου δεν διαβάστηκε ολόκληρη (η σύνδεση "
        "απέτυχε ή διακόπηκε, ή η προβολή δεν υπάρχει)· δεν χρησιμοποιήθηκε τίποτε από αυτήν. "
        "Δοκιμάστε ξανά αργότερα.",
        "The registry database view “%(view)s” could not be read in full (the connection "
        "failed or dropped, or the view does not exist); nothing of it was used. Try again "
        "later.",
    ),
    "registry.file_unavailable": (
        "Το αρχείο «%(path)s» δεν ανοίγει (δεν υπάρχει, είναι φάκελος ή δεν επιτρέπεται η "
        "ανάγνωσή του).",
        "The file “%(path)s” cannot be opened (it does not exist, is a folder or may not be read).",
    ),
    "registry.status_invalid": (
        "Η κατάσταση φοίτησης «%(value)s» δεν αναγνωρίζεται· αναμένεται active, interim, "
        "graduated, deleted, interrupted ή suspended (ή τα ελληνικά τους).",
        "The enrollment status “%(value)s” is not recognised; expected active, interim, "
        "graduated, deleted, interrupted or suspended (or their Greek words).",
    ),
    "registry.type_invalid": (
        "Ο τρόπος εισαγωγής «%(value)s» δεν αναγνωρίζεται· αναμένεται national_exams "
        "(Πανελλήνιες), transfer (μετεγγραφή), special (ειδική κατηγορία) ή other (άλλο).",
        "The enrollment type “%(value)s” is not recognised; expected national_exams "
        "(Πανελλήνιες), transfer (μετεγγραφή), special (special category) or other.",
    ),
    # The import: classifying and applying (services.py, classify.py, apply.py).
}
