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
    "registry.unknown_school": (
        "Το departmentID «%(department)s» δεν αντιστοιχεί σε καμία σχολή του Κλειδιού.",
        "The departmentID “%(department)s” matches no school in Kleidi.",
    ),
    "registry.no_username": (
        "Δεν βρέθηκε ελεύθερο όνομα χρήστη προπτυχιακού για τον αριθμό μητρώου "
        "«%(registration_number)s» (δοκιμάστηκαν: %(tried)s).",
        "No free undergraduate username was found for registration number "
        "“%(registration_number)s” (tried: %(tried)s).",
    ),
    "registry.too_many_missing": (
        "Η εισαγωγή σταμάτησε χωρίς καμία αλλαγή: %(missing)s από τους %(known)s γνωστούς "
        "ενεργούς προπτυχιακούς (%(share)s) λείπουν από το αρχείο, περισσότεροι από το όριο "
        "%(limit)s. Ελέγξτε ότι η εξαγωγή του φοιτητολογίου είναι πλήρης.",
        "The import stopped without any change: %(missing)s of the %(known)s known active "
        "undergraduates (%(share)s) are missing from the feed, more than the limit %(limit)s. "
        "Check that the registry's export is complete.",
    ),
    # Why a record waits for the helpdesk (the outcome's "reason", the review queue).
    "registry.admission_route": (
        "Εισαγωγή με «%(route)s», όχι με Πανελλήνιες: ο λογαριασμός δημιουργείται μόνο μετά "
        "από έγκριση του ΚΗΥ.",
        "Admitted by “%(route)s”, not through the national exams: the account is created only "
        "once the helpdesk approves.",
    ),
    "registry.left": (
        "Το φοιτητολόγιο δηλώνει ότι ο φοιτητής διαγράφηκε ή διέκοψε τις σπουδές του: το ΚΗΥ "
        "αποφασίζει για τον λογαριασμό «%(username)s».",
        "The registry says the student left (struck off or interrupted): the helpdesk decides "
        "about the account “%(username)s”.",
    ),
    "registry.graduated_active": (
        "Το φοιτητολόγιο δηλώνει ενεργό φοιτητή που το Κλειδί έχει ήδη ως διπλωματούχο: ο "
        "λογαριασμός αποσύρθηκε οριστικά και δεν ενεργοποιείται ξανά.",
        "The registry says active a student Kleidi already has as graduated: the account was "
        "retired for ever and is not reactivated.",
    ),
    "registry.other_undergraduate": (
        "Το πρόσωπο έχει ήδη λογαριασμό προπτυχιακού («%(username)s») σε άλλη σχολή.",
        "The person already has an undergraduate account (“%(username)s”) in another school.",
    ),
    "registry.names_differ": (
        "Ο αριθμός μητρώου «%(registration_number)s» ανήκει στο πρόσωπο «%(person)s», με άλλο "
        "ονοματεπώνυμο: τίποτα δεν αλλάζει πριν αποφασίσει το ΚΗΥ.",
        "Registration number “%(registration_number)s” belongs to “%(person)s”, who has other "
        "names: nothing changes until the helpdesk decides.",
    ),
    "registry.number_taken": (
        "Ο αριθμός μητρώου «%(registration_number)s» ανήκει ήδη στο πρόσωπο «%(person)s»: "
        "εγκρίνετε τη σύνδεση με αυτό το πρόσωπο ή απορρίψτε την εγγραφή.",
        "Registration number “%(registration_number)s” already belongs to “%(person)s”: "
        "approve linking to that person or reject the record.",
    ),
    "registry.several_people": (
        "Η εγγραφή ταιριάζει με περισσότερα από ένα πρόσωπα (ή μόνο εν μέρει με ένα): τίποτα "
        "δεν αλλάζει πριν αποφασίσει το ΚΗΥ.",
        "The record matches more than one person (or only partly one): nothing changes until "
        "the helpdesk decides.",
    ),
}
