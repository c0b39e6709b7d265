"""Error codes of the directory connector (R26, R28)."""

MESSAGES = {
    "directory.unavailable": (
        "Ο κατάλογος (LDAP) του ΚΗΥ δεν απαντά αυτή τη στιγμή· τίποτα δεν άλλαξε και ο "
        "σύνδεσμός σας ισχύει ακόμη. Δοκιμάστε ξανά σε λίγα λεπτά.",
        "The computer centre's directory (LDAP) is not answering right now; nothing changed "
        "and your link still works. Try again in a few minutes.",
    ),
    "directory.refused": (
        "Ο κατάλογος (LDAP) δεν δέχτηκε την αλλαγή της εγγραφής: %(result)s. Η αλλαγή "
        "μένει στην ουρά και θα ξαναδοκιμαστεί.",
        "The directory (LDAP) refused the change to the entry: %(result)s. The change stays "
        "queued and will be tried again.",
    ),
    "directory.password_too_short": (
        "Ο κατάλογος (LDAP) δεν δέχτηκε τον κωδικό: είναι πιο σύντομος απ' όσο επιτρέπει· "
        "τίποτα δεν άλλαξε. Διαλέξτε μεγαλύτερο κωδικό.",
        "The directory (LDAP) refused the password as too short; nothing changed. "
        "Choose a longer password.",
    ),
    "directory.password_in_history": (
        "Ο κατάλογος (LDAP) δεν δέχτηκε τον κωδικό: τον έχετε χρησιμοποιήσει πρόσφατα· "
        "τίποτα δεν άλλαξε. Διαλέξτε κωδικό που δεν έχετε ξαναχρησιμοποιήσει.",
        "The directory (LDAP) refused the password because you used it recently; nothing "
        "changed. Choose a password you have not used before.",
    ),
    "directory.password_quality": (
        "Ο κατάλογος (LDAP) δεν δέχτηκε τον κωδικό ως αρκετά ισχυρό· τίποτα δεν άλλαξε. "
        "Διαλέξτε άλλον κωδικό.",
        "The directory (LDAP) refused the password as not strong enough; nothing changed. "
        "Choose another password.",
    ),
    "directory.password_too_young": (
        "Ο κατάλογος (LDAP) δεν επιτρέπει νέα αλλαγή κωδικού τόσο σύντομα μετά την "
        "προηγούμενη· τίποτα δεν άλλαξε. Δοκιμάστε ξανά αργότερα.",
        "The directory (LDAP) does not allow another password change this soon after the "
        "last one; nothing changed. Try again later.",
    ),
    "directory.password_too_long": (
        "Ο κατάλογος (LDAP) δεν δέχτηκε τον κωδικό: είναι μακρύτερος απ' όσο επιτρέπει· "
        "τίποτα δεν άλλαξε.",
        "The directory (LDAP) refused the password as too long; nothing changed.",
    ),
    "directory.disabled": (
        "Η σύνδεση με τον κατάλογο (LDAP) είναι απενεργοποιημένη: ορίστε το KLEIDI_LDAP_URL "
        "(docs/configuration.md).",
        "The directory (LDAP) connector is off: set KLEIDI_LDAP_URL (docs/configuration.md).",
    ),
    "directory.failed": (
        "Απρόσμενο σφάλμα (%(error)s)· ό,τι ολοκληρώθηκε έχει αποθηκευτεί και η επόμενη "
        "εκτέλεση συνεχίζει από εκεί.",
        "Unexpected error (%(error)s); what was done is saved and the next run continues "
        "from there.",
    ),
    "directory.reconcile_running": (
        "Ένας άλλος έλεγχος καταλόγου (reconcile) τρέχει ταυτόχρονα· αυτός σταμάτησε χωρίς να "
        "μετρήσει τίποτα δύο φορές. Αφήστε τον άλλον να τελειώσει.",
        "Another directory reconcile is running at the same time; this one stopped without "
        "counting anything twice. Let the other one finish.",
    ),
    "directory.busy": (
        "Η εγγραφή του %(username)s ενημερώνεται αυτή τη στιγμή από τον worker· η αλλαγή "
        "μπήκε ξανά στην ουρά και θα εφαρμοστεί αμέσως μετά.",
        "A worker is updating %(username)s's entry right now; it was queued again and will "
        "be converged right after.",
    ),
}
