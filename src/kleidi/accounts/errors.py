"""Error codes of accounts and the username policy (R5–R7, R11, R17, R20, R22)."""

MESSAGES = {
    "command.changepassword": (
        "Ο κωδικός αλλάζει μόνο μέσω του Kleidi: «Ξέχασα τον κωδικό μου» ή η σελίδα του "
        "μέλους μετά τη σύνδεση, ώστε να ενημερωθεί ο κατάλογος, να ακυρωθούν οι παλιοί "
        "σύνδεσμοι και να σταλεί επιβεβαίωση (R26).",
        "A password changes only through Kleidi: forgot password, or the member's page "
        "after signing in, so that the directory is updated, old links are void and a "
        "confirmation is sent (R26).",
    ),
    "username.syntax": (
        "Το όνομα χρήστη «%(value)s» δεν είναι έγκυρο: μόνο πεζά λατινικά γράμματα και ψηφία, "
        "να αρχίζει από γράμμα, %(min)s–%(max)s χαρακτήρες.",
        "The username “%(value)s” is not valid: lowercase Latin letters and digits only, "
        "starting with a letter, %(min)s–%(max)s characters.",
    ),
    "username.taken": (
        "Το όνομα χρήστη «%(value)s» υπάρχει ήδη (τα ονόματα χρήστη δεν επαναχρησιμοποιούνται).",
        "The username “%(value)s” is already taken (usernames are never reused).",
    ),
    "username.undergraduate_pattern": (
        "Το όνομα χρήστη «%(value)s» έχει τη μορφή ονομάτων προπτυχιακών φοιτητών, "
        "που δεν επιτρέπεται για άλλες κατηγορίες.",
        "The username “%(value)s” has the undergraduate username pattern, which other "
        "kinds of account may not use.",
    ),
    "username.unknown": (
        "Δεν υπάρχει λογαριασμός με όνομα χρήστη «%(value)s».",
        "There is no account with username “%(value)s”.",
    ),
    "account.transition": (
        "Ο λογαριασμός «%(username)s» δεν μπορεί να περάσει από «%(old)s» σε «%(new)s».",
        "Account “%(username)s” cannot go from “%(old)s” to “%(new)s”.",
    ),
    "account.retired": (
        "Ο λογαριασμός «%(username)s» έχει απενεργοποιηθεί οριστικά και δεν ενεργοποιείται ξανά.",
        "Account “%(username)s” is retired for ever and cannot be activated again.",
    ),
    "account.not_renewable": (
        "Ο λογαριασμός «%(value)s» δεν είναι μεταπτυχιακού ή διδακτορικού και δεν ανανεώνεται.",
        "Account “%(value)s” is not a postgraduate or PhD account and cannot be renewed.",
    ),
    "account.not_reactivatable": (
        "Ο λογαριασμός «%(value)s» δεν μπορεί να ενεργοποιηθεί εκ νέου.",
        "Account “%(value)s” cannot be reactivated.",
    ),
    "permission.school": (
        "Δεν έχετε δικαίωμα για τη σχολή αυτή.",
        "You do not have permission for this school.",
    ),
    "date.invalid": (
        "Η ημερομηνία «%(value)s» δεν είναι έγκυρη (ηη/μμ/εεεε ή εεεε-μμ-ηη).",
        "“%(value)s” is not a valid date (dd/mm/yyyy or yyyy-mm-dd).",
    ),
    "date.past": (
        "Η ημερομηνία «%(value)s» πρέπει να είναι μελλοντική.",
        "The date “%(value)s” must be in the future.",
    ),
    "expiry.too_far": (
        "Η ημερομηνία λήξης «%(value)s» απέχει περισσότερο από %(years)s χρόνια.",
        "The expiry date “%(value)s” is more than %(years)s years away.",
    ),
    "field.required": (
        "Το πεδίο είναι υποχρεωτικό.",
        "This field is required.",
    ),
    "account.reason_required": (
        "Γράψτε τον λόγο· καταγράφεται στο ημερολόγιο ελέγχου.",
        "Give the reason; it is recorded in the audit log.",
    ),
    "account.reason_too_long": (
        "Ο λόγος μπορεί να έχει το πολύ %(max)s χαρακτήρες.",
        "The reason may have at most %(max)s characters.",
    ),
    "account.confirm_username": (
        "Για επιβεβαίωση πληκτρολογήστε ακριβώς το όνομα χρήστη «%(username)s».",
        "To confirm, type the username “%(username)s” exactly.",
    ),
    "account.self": (
        "Δεν μπορείτε να απενεργοποιήσετε ή να καταργήσετε τον δικό σας λογαριασμό· ζητήστε "
        "το από άλλον χειριστή.",
        "You cannot disable or retire your own account; ask another operator.",
    ),
    "membership.exists": (
        "Ο λογαριασμός «%(username)s» είναι ήδη γραμματεία της σχολής «%(school)s».",
        "Account “%(username)s” is already a secretariat of school “%(school)s”.",
    ),
    "membership.missing": (
        "Ο λογαριασμός «%(username)s» δεν είναι γραμματεία της σχολής «%(school)s».",
        "Account “%(username)s” is not a secretariat of school “%(school)s”.",
    ),
    "staff.not_secretariat": (
        "Ο λογαριασμός «%(username)s» δεν είναι λογαριασμός γραμματείας· "
        "μόνο η γραμματεία ανήκει σε σχολές.",
        "Account “%(username)s” is not a secretariat account; only a secretariat belongs "
        "to schools.",
    ),
    "staff.not_staff_account": (
        "Ο λογαριασμός «%(username)s» είναι λογαριασμός μέλους, όχι προσωπικού.",
        "Account “%(username)s” is a member's account, not a staff account.",
    ),
    "staff.role_invalid": (
        "Ο ρόλος «%(value)s» δεν υπάρχει (secretariat ή helpdesk).",
        "There is no role “%(value)s” (secretariat or helpdesk).",
    ),
    "staff.role_exists": (
        "Ο λογαριασμός «%(username)s» έχει ήδη τον ρόλο «%(label)s».",
        "Account “%(username)s” already has the role “%(label)s”.",
    ),
    "staff.no_role": (
        "Ο λογαριασμός «%(username)s» δεν έχει ρόλο προσωπικού.",
        "Account “%(username)s” has no staff role.",
    ),
    "staff.self": (
        "Δεν μπορείτε να αφαιρέσετε τον δικό σας ρόλο· ζητήστε το από άλλον χειριστή.",
        "You cannot revoke your own role; ask another operator.",
    ),
    "staff.last_helpdesk": (
        "Ο «%(username)s» είναι ο τελευταίος ενεργός χειριστής του helpdesk· ορίστε πρώτα άλλον.",
        "“%(username)s” is the last active helpdesk operator; make another one first.",
    ),
    "staff.name_required": (
        "Το πεδίο «%(label)s» είναι υποχρεωτικό.",
        "The field “%(label)s” is required.",
    ),
    "staff.name_too_long": (
        "Το πεδίο «%(label)s» μπορεί να έχει το πολύ %(max)s χαρακτήρες.",
        "The field “%(label)s” may have at most %(max)s characters.",
    ),
    "staff.no_such_school": (
        "Δεν υπάρχει σχολή με κωδικό «%(value)s».",
        "There is no school with code “%(value)s”.",
    ),
    "staff.failed": (
        "Απρόσμενο σφάλμα (%(error)s)· τίποτα δεν άλλαξε.",
        "Unexpected error (%(error)s); nothing changed.",
    ),
}
