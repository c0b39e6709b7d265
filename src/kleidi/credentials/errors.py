"""Error codes of credential self-service (R23–R27)."""

MESSAGES = {
    "password.too_short": (
        "Ο κωδικός πρέπει να έχει τουλάχιστον %(min)s χαρακτήρες.",
        "The password must have at least %(min)s characters.",
    ),
    "password.too_long": (
        "Ο κωδικός μπορεί να έχει το πολύ %(max)s χαρακτήρες.",
        "The password may have at most %(max)s characters.",
    ),
    "password.control": (
        "Ο κωδικός περιέχει χαρακτήρες ελέγχου (π.χ. αλλαγή γραμμής ή tab)· "
        "επιτρέπονται γράμματα κάθε γλώσσας, ψηφία, σύμβολα και κενά.",
        "The password contains control characters (such as a line break or a tab); "
        "letters of any language, digits, symbols and spaces are allowed.",
    ),
    "password.too_weak": (
        "Ο κωδικός μαντεύεται εύκολα. Μερικές τυχαίες λέξεις κάνουν ισχυρό κωδικό.",
        "The password is easy to guess. A few random words make a strong password.",
    ),
    "password.common": (
        "Ο κωδικός είναι από τους πιο κοινούς και δοκιμάζεται πρώτος από όσους επιτίθενται.",
        "The password is one of the most common ones, which attackers try first.",
    ),
    "password.own_data": (
        "Ο κωδικός βασίζεται στα στοιχεία σας: είναι φτιαγμένος κυρίως από το όνομα, το "
        "επώνυμο, το όνομα χρήστη, τον αριθμό μητρώου, το κινητό ή το email σας, που τα "
        "δοκιμάζει πρώτα όποιος σας γνωρίζει. Διαλέξτε λέξεις που δεν έχουν σχέση με εσάς.",
        "The password is based on your own data: it is made mostly of your name, surname, "
        "username, registration number, mobile or email, which anyone who knows you tries "
        "first. Choose words that have nothing to do with you.",
    ),
    "password.similar": (
        "Ο κωδικός περιέχει στοιχεία σας (όνομα, επώνυμο, όνομα χρήστη, αριθμό μητρώου, "
        "κινητό ή email) και μαντεύεται εύκολα.",
        "The password contains some of your own data (name, surname, username, registration "
        "number, mobile or email) and is easy to guess.",
    ),
    "password.mismatch": (
        "Οι δύο κωδικοί δεν είναι ίδιοι.",
        "The two passwords do not match.",
    ),
    "password.incorrect": (
        "Ο τρέχων κωδικός δεν είναι σωστός.",
        "The current password is not correct.",
    ),
    "password.directory_refused": (
        "Ο κατάλογος (LDAP) δεν δέχτηκε τον νέο κωδικό· τίποτα δεν άλλαξε. "
        "Δοκιμάστε ξανά ή επικοινωνήστε με το helpdesk του ΚΗΥ.",
        "The directory (LDAP) refused the new password; nothing changed. "
        "Try again or contact the computer centre's helpdesk.",
    ),
    "link.invalid": (
        "Ο σύνδεσμος δεν ισχύει: έληξε, χρησιμοποιήθηκε ήδη ή αντικαταστάθηκε από νεότερο.",
        "The link is not valid: it has expired, was already used or was replaced by a newer one.",
    ),
    "rate.limited": (
        "Πάρα πολλές προσπάθειες. Δοκιμάστε ξανά σε %(minutes)s λεπτά.",
        "Too many attempts. Try again in %(minutes)s minutes.",
    ),
    "reset.mismatch": (
        "Τα στοιχεία σας δεν είναι ενημερωμένα: το όνομα χρήστη και το email δεν αντιστοιχούν "
        "σε λογαριασμό που μπορεί να λάβει σύνδεσμο. "
        "Επικοινωνήστε με τη γραμματεία της Σχολής σας.",
        "Your data are not up to date: the username and email do not match an account that "
        "can receive a link. Contact your school's secretariat.",
    ),
    "login.failed": (
        "Λάθος όνομα χρήστη ή κωδικός.",
        "Wrong username or password.",
    ),
    "login.expired": (
        "Ο λογαριασμός σας έχει λήξει. Η γραμματεία της Σχολής σας μπορεί να τον ανανεώσει.",
        "Your account has expired. Your school's secretariat can renew it.",
    ),
    "login.disabled": (
        "Ο λογαριασμός σας έχει απενεργοποιηθεί. Επικοινωνήστε με το helpdesk του ΚΗΥ.",
        "Your account has been disabled. Contact the computer centre's helpdesk.",
    ),
    "login.retired": (
        "Ο λογαριασμός σας έχει καταργηθεί οριστικά (π.χ. μετά την αποφοίτηση).",
        "Your account has been retired for ever (for example after graduation).",
    ),
    "input.too_long": (
        "Το πεδίο μπορεί να έχει το πολύ %(max)s χαρακτήρες.",
        "This field may have at most %(max)s characters.",
    ),
    "input.control": (
        "Το πεδίο περιέχει μη επιτρεπτούς χαρακτήρες ελέγχου.",
        "This field contains control characters, which are not allowed.",
    ),
    "link.state": (
        "Ο λογαριασμός «%(username)s» είναι σε κατάσταση «%(label)s»: σύνδεσμος στέλνεται μόνο "
        "σε λογαριασμό σε αναμονή (ενεργοποίηση) ή ενεργό (νέος κωδικός).",
        "Account “%(username)s” is %(label)s: a link goes only to a pending account "
        "(activation) or an active one (reset).",
    ),
    "link.no_email": (
        "Ο λογαριασμός «%(username)s» δεν έχει εξωτερικό email· η γραμματεία της σχολής "
        "πρέπει πρώτα να το καταχωρίσει.",
        "Account “%(username)s” has no external email on record; the school's secretariat "
        "must record one first.",
    ),
}
