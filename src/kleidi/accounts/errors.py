"""Error codes of accounts and the username policy (R5–R7, R11, R17, R20, R22)."""

MESSAGES = {
    "username.syntax": (
        "Το όνομα χρήστη «{value}» δεν είναι έγκυρο: μόνο πεζά λατινικά γράμματα και ψηφία, "
        "να αρχίζει από γράμμα, {min}–{max} χαρακτήρες.",
        "The username “{value}” is not valid: lowercase Latin letters and digits only, "
        "starting with a letter, {min}–{max} characters.",
    ),
    "username.taken": (
        "Το όνομα χρήστη «{value}» υπάρχει ήδη (τα ονόματα χρήστη δεν επαναχρησιμοποιούνται).",
        "The username “{value}” is already taken (usernames are never reused).",
    ),
    "username.undergraduate_pattern": (
        "Το όνομα χρήστη «{value}» έχει τη μορφή ονομάτων προπτυχιακών φοιτητών, "
        "που δεν επιτρέπεται για άλλες κατηγορίες.",
        "The username “{value}” has the undergraduate username pattern, which other "
        "kinds of account may not use.",
    ),
    "username.unknown": (
        "Δεν υπάρχει λογαριασμός με όνομα χρήστη «{value}».",
        "There is no account with username “{value}”.",
    ),
    "account.transition": (
        "Ο λογαριασμός «{username}» δεν μπορεί να περάσει από «{old}» σε «{new}».",
        "Account “{username}” cannot go from “{old}” to “{new}”.",
    ),
    "account.retired": (
        "Ο λογαριασμός «{username}» έχει απενεργοποιηθεί οριστικά και δεν ενεργοποιείται ξανά.",
        "Account “{username}” is retired for ever and cannot be activated again.",
    ),
    "account.not_renewable": (
        "Ο λογαριασμός «{value}» δεν είναι μεταπτυχιακού ή διδακτορικού και δεν ανανεώνεται.",
        "Account “{value}” is not a postgraduate or PhD account and cannot be renewed.",
    ),
    "account.not_reactivatable": (
        "Ο λογαριασμός «{value}» δεν μπορεί να ενεργοποιηθεί εκ νέου.",
        "Account “{value}” cannot be reactivated.",
    ),
    "permission.school": (
        "Δεν έχετε δικαίωμα για τη σχολή αυτή.",
        "You do not have permission for this school.",
    ),
    "date.invalid": (
        "Η ημερομηνία «{value}» δεν είναι έγκυρη (ηη/μμ/εεεε ή εεεε-μμ-ηη).",
        "“{value}” is not a valid date (dd/mm/yyyy or yyyy-mm-dd).",
    ),
    "date.past": (
        "Η ημερομηνία «{value}» πρέπει να είναι μελλοντική.",
        "The date “{value}” must be in the future.",
    ),
    "expiry.too_far": (
        "Η ημερομηνία λήξης «{value}» απέχει περισσότερο από {years} χρόνια.",
        "The expiry date “{value}” is more than {years} years away.",
    ),
    "field.required": (
        "Το πεδίο είναι υποχρεωτικό.",
        "This field is required.",
    ),
}
