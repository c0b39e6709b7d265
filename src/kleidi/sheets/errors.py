"""Error codes of secretariat sheets (R9, R10, R18, R19).

Codes of the checks the sheets share with other paths (email, phone, dates,
usernames, people) live in those apps' catalogues; these are the sheet's own.
"""

MESSAGES = {
    "sheet.unreadable": (
        "Το αρχείο δεν διαβάζεται ως λογιστικό φύλλο (xlsx, xls, ods ή csv): είναι κενό, "
        "κρυπτογραφημένο, κατεστραμμένο ή άλλου τύπου.",
        "The file cannot be read as a spreadsheet (xlsx, xls, ods or csv): it is empty, "
        "encrypted, damaged or of another type.",
    ),
    "sheet.too_large": (
        "Το αρχείο ξεπερνά το όριο των %(max_mb)s MB (ή αποσυμπιέζεται σε υπερβολικό μέγεθος).",
        "The file exceeds the %(max_mb)s MB limit (or decompresses to an excessive size).",
    ),
    "sheet.too_many_rows": (
        "Το φύλλο έχει περισσότερες από %(max)s γραμμές· χωρίστε το σε μικρότερα.",
        "The sheet has more than %(max)s rows; split it into smaller ones.",
    ),
    "sheet.too_many_columns": (
        "Το φύλλο έχει περισσότερες από %(max)s στήλες.",
        "The sheet has more than %(max)s columns.",
    ),
    "sheet.too_complex": (
        "Η ανάγνωση του αρχείου ξεπέρασε τα όρια (%(seconds)s δευτερόλεπτα, %(memory_mb)s MB "
        "μνήμης): είναι κατεστραμμένο ή υπερβολικά περίπλοκο. Αποθηκεύστε το ξανά ως απλό "
        "xlsx ή csv.",
        "Reading the file exceeded the limits (%(seconds)s seconds, %(memory_mb)s MB of memory): "
        "it is damaged or too complex. Save it again as a plain xlsx or csv.",
    ),
    "sheet.xlsb": (
        "Το αρχείο είναι «Δυαδικό βιβλίο εργασίας του Excel» (.xlsb), που δεν διαβάζεται "
        "με ασφάλεια· αποθηκεύστε το ως «Βιβλίο εργασίας του Excel» (.xlsx) και ανεβάστε το ξανά.",
        "The file is an Excel binary workbook (.xlsb), which cannot be read safely; save it "
        "as an Excel workbook (.xlsx) and upload it again.",
    ),
    "sheet.no_rows": (
        "Το φύλλο έχει επικεφαλίδες αλλά καμία γραμμή με στοιχεία.",
        "The sheet has headers but no rows of data.",
    ),
    "sheet.missing_column": (
        "Λείπει η στήλη «%(column)s».",
        "The column “%(column)s” is missing.",
    ),
    "sheet.duplicate_column": (
        "Η στήλη «%(column)s» εμφανίζεται δύο φορές.",
        "The column “%(column)s” appears twice.",
    ),
    "sheet.unknown_column": (
        "Η στήλη «%(column)s» δεν αναγνωρίζεται και αγνοείται.",
        "The column “%(column)s” is not recognised and is ignored.",
    ),
    "sheet.not_clean": (
        "Το φύλλο έχει σφάλματα και δεν μπορεί να εφαρμοστεί· διορθώστε τα και ανεβάστε το ξανά.",
        "The sheet has errors and cannot be applied; correct them and upload it again.",
    ),
    "sheet.apply_failed": (
        "Η εφαρμογή του φύλλου απέτυχε και δεν έγινε καμία αλλαγή. Δοκιμάστε ξανά ή "
        "επικοινωνήστε με το helpdesk του ΚΗΥ.",
        "Applying the sheet failed and nothing was changed. Try again or contact the "
        "computer centre's helpdesk.",
    ),
    "sheet.apply_interrupted": (
        "Η εφαρμογή του φύλλου διακόπηκε (σταμάτησε η διεργασία που το εφάρμοζε) και δεν "
        "έγινε καμία αλλαγή. Μπορείτε να το εφαρμόσετε ξανά.",
        "Applying the sheet was interrupted (the process applying it stopped) and nothing "
        "was changed. You can apply it again.",
    ),
    "sheet.apply_running": (
        "Το φύλλο εφαρμόζεται ήδη αυτή τη στιγμή· περιμένετε να ολοκληρωθεί.",
        "The sheet is already being applied; wait for it to finish.",
    ),
    "sheet.already_applied": (
        "Το φύλλο έχει ήδη εφαρμοστεί· η εγγραφή του και το αρχείο αποτελεσμάτων μένουν ως "
        "είχαν. Για να εφαρμόσετε αλλαγές που έγιναν από τότε, ανεβάστε το ξανά.",
        "The sheet has already been applied; its record and results file stay as they were. "
        "To apply changes made since, upload it again.",
    ),
    "row.duplicate": (
        "Η τιμή «%(value)s» εμφανίζεται σε περισσότερες γραμμές του φύλλου (%(rows)s).",
        "The value “%(value)s” appears in more than one row of the sheet (%(rows)s).",
    ),
    "username.missing_surname": (
        "Το όνομα χρήστη «%(value)s» πρέπει να περιέχει ολόκληρο το επώνυμο «%(surname)s». "
        "Ελεύθερες προτάσεις: %(suggestions)s.",
        "The username “%(value)s” must contain the full surname “%(surname)s”. "
        "Free suggestions: %(suggestions)s.",
    ),
    "kind.invalid": (
        "Η κατηγορία «%(value)s» δεν αναγνωρίζεται· γράψτε «ΔΠΜΣ» ή «Διδακτορικό».",
        "The kind “%(value)s” is not recognised; write “postgraduate” or “PhD”.",
    ),
    "field.too_long": (
        "Η τιμή είναι πολύ μεγάλη (έως %(max)s χαρακτήρες).",
        "The value is too long (at most %(max)s characters).",
    ),
    "name.invalid": (
        "Το όνομα «%(value)s» δεν περιέχει γράμματα ή περιέχει ψηφία.",
        "The name “%(value)s” has no letters or contains digits.",
    ),
    "name.order_ambiguous": (
        "Στο «%(value)s» δεν φαίνεται ποιο είναι το επώνυμο και ποιο το όνομα· γράψτε τα σε "
        "χωριστές στήλες «Επώνυμο» και «Όνομα», ή το επώνυμο με κεφαλαία.",
        "In “%(value)s” it cannot be told which is the surname and which the given name; "
        "write them in separate “Επώνυμο” (surname) and “Όνομα” (given name) columns, or "
        "the surname in capitals.",
    ),
    "registration.in_use": (
        "Ο αριθμός μητρώου «%(value)s» ανήκει σε προπτυχιακή ιδιότητα της σχολής· ο "
        "μεταπτυχιακός ή διδακτορικός φοιτητής χρειάζεται δικό του αριθμό μητρώου.",
        "The registration number “%(value)s” belongs to an undergraduate affiliation of the "
        "school; the postgraduate or PhD student needs a registration number of their own.",
    ),
    # The review queue's decisions on possible duplicates (R16, docs/registry.md).
    "person.review_rejected": (
        "Το helpdesk του ΚΗΥ απέρριψε τη γραμμή ως πιθανή ταύτιση με υπάρχον άτομο "
        "(%(existing)s): «%(reason)s». Διορθώστε τα στοιχεία ή επικοινωνήστε με το helpdesk.",
        "The computer centre's helpdesk rejected the row as possibly an existing person "
        "(%(existing)s): “%(reason)s”. Correct the data or contact the helpdesk.",
    ),
    "person.review_conflict": (
        "Το helpdesk ενέκρινε νέο άτομο, αλλά ο αριθμός μητρώου «%(value)s» ανήκει ήδη στο "
        "άτομο %(existing)s της σχολής· διορθώστε τον αριθμό μητρώου.",
        "The helpdesk approved a new person, but the registration number “%(value)s” already "
        "belongs to person %(existing)s of the school; correct the registration number.",
    ),
}
