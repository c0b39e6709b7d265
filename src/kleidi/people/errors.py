"""Error codes of people's data (R1, R9, R12, R13, R15, R16, §6)."""

MESSAGES = {
    "email.required": (
        "Απαιτείται διεύθυνση email εκτός ΕΜΠ.",
        "An external (non-NTUA) email address is required.",
    ),
    "email.invalid": (
        "Η διεύθυνση email «%(value)s» δεν είναι έγκυρη.",
        "The email address “%(value)s” is not valid.",
    ),
    "email.institutional": (
        "Η διεύθυνση «%(value)s» είναι του ΕΜΠ· δηλώστε διεύθυνση εκτός ΕΜΠ (π.χ. στο gmail.com).",
        "“%(value)s” is an NTUA address; give an address outside NTUA (e.g. at gmail.com).",
    ),
    "phone.invalid": (
        "Ο αριθμός «%(value)s» δεν είναι έγκυρος αριθμός τηλεφώνου.",
        "“%(value)s” is not a valid phone number.",
    ),
    "phone.not_mobile": (
        "Ο αριθμός «%(value)s» δεν είναι κινητό τηλέφωνο.",
        "“%(value)s” is not a mobile number.",
    ),
    "supervisor.email_invalid": (
        "Το email του διευθυντή ή επιβλέποντα «%(value)s» δεν είναι έγκυρο.",
        "The director's or supervisor's email “%(value)s” is not valid.",
    ),
    "supervisor.two_emails": (
        "Το κελί του διευθυντή ή επιβλέποντα «%(value)s» έχει δύο διευθύνσεις email· "
        "αφήστε μόνο μία.",
        "The director's or supervisor's cell “%(value)s” holds two email addresses; keep only one.",
    ),
    "name.lookalike": (
        "Το «%(value)s» αναμειγνύει ελληνικά και λατινικά γράμματα· "
        "μήπως εννοείτε «%(suggestion)s»;",
        "“%(value)s” mixes Greek and Latin letters; did you mean “%(suggestion)s”?",
    ),
    "person.not_graduated": (
        "Το άτομο έχει προπτυχιακή ιδιότητα χωρίς να έχει δηλωθεί διπλωματούχος στο "
        "φοιτητολόγιο· δεν μπορεί να λάβει μεταπτυχιακό ή διδακτορικό λογαριασμό.",
        "This person holds an undergraduate affiliation not yet declared graduate in the "
        "registry, so cannot get a postgraduate or PhD account.",
    ),
    "person.undeclared_account": (
        "Το άτομο έχει ήδη λογαριασμό (%(existing)s)· δηλώστε αυτό το όνομα χρήστη για να "
        "ενεργοποιηθεί εκ νέου, αντί για νέο.",
        "This person already has an account (%(existing)s); declare that username to "
        "reactivate it instead of asking for a new one.",
    ),
    "person.possible_duplicate": (
        "Πιθανή ταύτιση με υπάρχον άτομο (%(existing)s) με διαφορετικά στοιχεία· "
        "χρειάζεται έλεγχος από το helpdesk του ΚΗΥ.",
        "Possibly the same person as an existing one (%(existing)s) with different data; "
        "the computer centre's helpdesk must review it.",
    ),
}
