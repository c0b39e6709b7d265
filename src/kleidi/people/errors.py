"""Error codes of people's data (R1, R9, R12, R13, R15, R16, §6)."""

MESSAGES = {
    "email.required": (
        "Απαιτείται διεύθυνση email εκτός ΕΜΠ.",
        "An external (non-NTUA) email address is required.",
    ),
    "email.invalid": (
        "Η διεύθυνση email «{value}» δεν είναι έγκυρη.",
        "The email address “{value}” is not valid.",
    ),
    "email.institutional": (
        "Η διεύθυνση «{value}» είναι του ΕΜΠ· δηλώστε διεύθυνση εκτός ΕΜΠ (π.χ. στο gmail.com).",
        "“{value}” is an NTUA address; give an address outside NTUA (e.g. at gmail.com).",
    ),
    "phone.invalid": (
        "Ο αριθμός «{value}» δεν είναι έγκυρος αριθμός τηλεφώνου.",
        "“{value}” is not a valid phone number.",
    ),
    "phone.not_mobile": (
        "Ο αριθμός «{value}» δεν είναι κινητό τηλέφωνο.",
        "“{value}” is not a mobile number.",
    ),
    "supervisor.email_invalid": (
        "Το email του διευθυντή ή επιβλέποντα «{value}» δεν είναι έγκυρο.",
        "The director's or supervisor's email “{value}” is not valid.",
    ),
    "supervisor.two_emails": (
        "Το κελί του διευθυντή ή επιβλέποντα «{value}» έχει δύο διευθύνσεις email· "
        "αφήστε μόνο μία.",
        "The director's or supervisor's cell “{value}” holds two email addresses; keep only one.",
    ),
    "name.lookalike": (
        "Το «{value}» αναμειγνύει ελληνικά και λατινικά γράμματα· μήπως εννοείτε «{suggestion}»;",
        "“{value}” mixes Greek and Latin letters; did you mean “{suggestion}”?",
    ),
    "person.not_graduated": (
        "Το άτομο έχει προπτυχιακή ιδιότητα χωρίς να έχει δηλωθεί διπλωματούχος στο "
        "φοιτητολόγιο· δεν μπορεί να λάβει μεταπτυχιακό ή διδακτορικό λογαριασμό.",
        "This person holds an undergraduate affiliation not yet declared graduate in the "
        "registry, so cannot get a postgraduate or PhD account.",
    ),
    "person.undeclared_account": (
        "Το άτομο έχει ήδη λογαριασμό ({existing})· δηλώστε αυτό το όνομα χρήστη για να "
        "ενεργοποιηθεί εκ νέου, αντί για νέο.",
        "This person already has an account ({existing}); declare that username to "
        "reactivate it instead of asking for a new one.",
    ),
    "person.possible_duplicate": (
        "Πιθανή ταύτιση με υπάρχον άτομο ({existing}) με διαφορετικά στοιχεία· "
        "χρειάζεται έλεγχος από το helpdesk του ΚΗΥ.",
        "Possibly the same person as an existing one ({existing}) with different data; "
        "the computer centre's helpdesk must review it.",
    ),
}
