"""Error codes of the registry feed and its import (R4, R5, R6, docs/registry.md)."""

MESSAGES = {
    # The feed: reading a file or the database view (feed.py, sources.py).
    # The import: classifying and applying (services.py, classify.py, apply.py).
    # The command line and the run lock (management/commands/registry.py, lock.py).
    "registry.locked": (
        "Τρέχει ήδη άλλη εισαγωγή από το φοιτητολόγιο (%(holder)s)· αυτή η εκτέλεση δεν "
        "άλλαξε τίποτα. Ξαναδοκιμάστε όταν τελειώσει.",
        "Another registry import is running (%(holder)s); this run changed nothing. "
        "Try again once it has finished.",
    ),
    "registry.no_such_file": (
        "Δεν υπάρχει αρχείο «%(value)s» (ή δεν διαβάζεται).",
        "There is no readable file “%(value)s”.",
    ),
    "registry.no_such_school": (
        "Δεν υπάρχει σχολή με κωδικό «%(value)s».",
        "There is no school with code “%(value)s”.",
    ),
}
