"""R9–R18 on small sheets built here, and against the demo people."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kleidi.sheets.services import validate_content
from tests.sheets.factories import (
    FIELDS,
    GREEK_HEADERS,
    errors_at,
    future,
    outcome,
    person_row,
    table,
    xlsx,
)

pytestmark = pytest.mark.django_db


def check(rows, school, kind="postgraduate", headers=None, fields=None, **kwargs):
    return validate_content(
        xlsx(table(rows, headers=headers, fields=fields)), school=school, kind=kind, **kwargs
    )


def test_r19_valid_sheet_plans_creation_and_writes_nothing(school_el):
    from kleidi.accounts.models import Account
    from kleidi.people.models import Person

    before = (Person.objects.count(), Account.objects.count())
    result = check([person_row(1), person_row(2)], school_el)
    assert result.ok, result.errors
    assert [o["action"] for o in result.outcomes] == ["create", "create"]
    assert (Person.objects.count(), Account.objects.count()) == before


# ---------------------------------------------------------------- R9 columns


def test_r9_english_headers_in_any_order(school_el):
    english = [
        "End date",
        "Username",
        "Surname",
        "Given name",
        "Mobile",
        "External email",
        "Registration number",
        "Supervisor email",
    ]
    fields = [
        "end_date",
        "username",
        "surname",
        "given_name",
        "mobile",
        "external_email",
        "registration_number",
        "supervisor_email",
    ]
    result = check([person_row(1)], school_el, headers=english, fields=fields)
    assert result.ok, result.errors


def test_r9_headers_ignore_case_accents_spacing_and_punctuation(school_el):
    messy = [
        "ΟΝΟΜΑ ΧΡΗΣΤΗ (username)",
        " επωνυμο ",
        "ονομα.",
        "πατρωνυμο",
        "ΜΗΤΡΩΝΥΜΟ",
        "Κινητό  τηλέφωνο",
        "e-mail εκτός ΕΜΠ",
        "Α.Μ.",
        "Επιβλέπων",
        "Mail του επιβλέποντα",
        "ημερομηνια ληξης του ΔΠΜΣ",
    ]
    result = check([person_row(1)], school_el, headers=messy)
    assert result.ok, result.errors


def test_r9_single_full_name_column(school_el):
    headers = [
        "Όνομα χρήστη",
        "Ονοματεπώνυμο",
        "Κινητό",
        "Email",
        "ΑΜ",
        "Email επιβλέποντα",
        "Ημερομηνία λήξης",
    ]
    fields = [
        "username",
        "full_name",
        "mobile",
        "external_email",
        "registration_number",
        "supervisor_email",
        "end_date",
    ]
    rows = [
        person_row(1, full_name="Ιωάννου Νίκος"),
        person_row(2, full_name="Νίκος Δημητρίου"),
    ]
    result = check(rows, school_el, headers=headers, fields=fields)
    assert result.ok, result.errors
    surnames = [p.values["surname"] for p in result.plans]
    assert surnames == ["Ιωάννου", "Δημητρίου"]


def test_r9_missing_column_is_a_sheet_error(school_el):
    headers = [h for h in GREEK_HEADERS if h != "Email εκτός ΕΜΠ"]
    fields = [f for f in FIELDS if f != "external_email"]
    result = check([person_row(1)], school_el, headers=headers, fields=fields)
    assert [(e["code"], e["row"], e["column"]) for e in result.errors] == [
        ("sheet.missing_column", None, None)
    ]


def test_r9_unknown_columns_are_reported_not_fatal(school_el):
    headers = [*GREEK_HEADERS, "Παρατηρήσεις"]
    fields = [*FIELDS, "notes"]
    result = check([person_row(1, notes="x")], school_el, headers=headers, fields=fields)
    assert result.ok
    assert [w["code"] for w in result.warnings] == ["sheet.unknown_column"]


def test_r9_no_header_row_at_all(school_el):
    result = validate_content(xlsx([["a", "b"], ["c", "d"]]), school=school_el, kind="phd")
    assert set(errors_at(result)) == {"sheet.missing_column"}


def test_r9_required_cells(school_el):
    row = person_row(1, mobile="", registration_number="", supervisor_email="", end_date="")
    result = check([row], school_el)
    for column in ("mobile", "registration_number", "supervisor_email", "end_date"):
        assert errors_at(result, 2, column) == ["field.required"], column


def test_r9_kind_column_overrides_the_upload_kind(school_el):
    rows = [person_row(1, kind="Διδακτορικό"), person_row(2, kind="ΔΠΜΣ"), person_row(3, kind="")]
    headers, fields = [*GREEK_HEADERS, "Κατηγορία"], [*FIELDS, "kind"]
    result = check(rows, school_el, headers=headers, fields=fields)
    assert [p.kind for p in result.plans] == ["phd", "postgraduate", "postgraduate"]


def test_r9_kind_invalid(school_el):
    headers, fields = [*GREEK_HEADERS, "Κατηγορία"], [*FIELDS, "kind"]
    result = check([person_row(1, kind="Προπτυχιακός")], school_el, headers=headers, fields=fields)
    assert errors_at(result, 2, "kind") == ["kind.invalid"]


def test_r9_name_mixing_greek_and_latin_lookalikes_is_flagged(school_el):
    # «Ιωάννου» with a Latin capital I and o.
    result = check(
        [person_row(1, surname="Iωάnnου".replace("n", "ν").replace("ν", "ν"))], school_el
    )
    lookalike = [e for e in result.errors if e["code"] == "name.lookalike"]
    assert lookalike and lookalike[0]["column"] == "surname"
    assert lookalike[0]["params"]["suggestion"] == "Ιωάννου"


def test_r9_numbers_as_numeric_cells(school_el):
    row = person_row(1, mobile=6900000001, registration_number=35000001)
    result = check([row], school_el)
    assert result.ok, result.errors
    assert result.plans[0].values["mobile"] == "+306900000001"
    assert result.plans[0].values["registration_number"] == "35000001"


def test_r9_nbsp_and_zero_width_in_cells_are_trimmed(school_el):
    row = person_row(
        1, username="\u00a0nioannou\u200b", external_email="student1@example.com\u00a0"
    )
    result = check([row], school_el)
    assert result.ok, result.errors
    assert result.plans[0].username == "nioannou"


def test_r9_too_long_value(school_el):
    result = check([person_row(1, supervisor_name="Α" * 300)], school_el)
    assert errors_at(result, 2, "supervisor_name") == ["field.too_long"]


# ---------------------------------------------------------------- R10, R11, R7


@pytest.mark.parametrize(
    ("username", "surname"),
    [
        ("gpapadopoulos", "Παπαδόπουλος"),
        ("giorgospapadopoulos", "Παπαδόπουλος"),
        ("mbakogianni", "Μπακογιάννη"),
        ("mmpakogianni", "Μπακογιάννη"),
        ("akaraiskakis", "Καραϊσκάκης"),
        ("npapadopouloukarali", "Παπαδοπούλου-Καράλη"),
    ],
)
def test_r10_username_contains_the_surname(school_el, username, surname):
    result = check([person_row(1, username=username, surname=surname)], school_el)
    assert "username.missing_surname" not in errors_at(result), result.errors


def test_r10_username_without_the_surname_offers_free_suggestions(school_el):
    result = check(
        [person_row(1, username="nikos1", surname="Παπαδόπουλος", given_name="Γιώργος")], school_el
    )
    (error,) = [e for e in result.errors if e["code"] == "username.missing_surname"]
    suggestions = error["params"]["suggestions"].split(", ")
    # gpapadopoulos is the demo's: never suggested.
    assert "gpapadopoulos" not in suggestions
    assert suggestions[0] == "giorgospapadopoulos"


def test_r10_compound_surname_needs_every_part(school_el):
    row = person_row(1, username="npapadopoulou", surname="Παπαδοπούλου-Καράλη")
    assert "username.missing_surname" in errors_at(check([row], school_el), 2, "username")


def test_r10_latin_surname_column_is_accepted(school_el):
    headers, fields = [*GREEK_HEADERS, "Επώνυμο με λατινικούς"], [*FIELDS, "latin_surname"]
    row = person_row(1, username="nyoannou", surname="Ιωάννου", latin_surname="Yoannou")
    assert check([row], school_el, headers=headers, fields=fields).ok


def test_r11_undergraduate_pattern_is_refused(school_el):
    result = check([person_row(1, username="el18123")], school_el)
    assert "username.undergraduate_pattern" in errors_at(result, 2, "username")


def test_r7_username_syntax(school_el):
    result = check([person_row(1, username="1ιωάννου")], school_el)
    assert errors_at(result, 2, "username") == ["username.syntax"]


# ---------------------------------------------------------------- R1, R12, R13, R14


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("", "email.required"),
        ("not-an-email", "email.invalid"),
        ("someone@mail.ntua.gr", "email.institutional"),
    ],
)
def test_r1_external_email(school_el, email, code):
    assert errors_at(
        check([person_row(1, external_email=email)], school_el), 2, "external_email"
    ) == [code]


@pytest.mark.parametrize(
    ("mobile", "code"), [("12345", "phone.invalid"), ("2107721000", "phone.not_mobile")]
)
def test_r12_mobile(school_el, mobile, code):
    assert errors_at(check([person_row(1, mobile=mobile)], school_el), 2, "mobile") == [code]


def test_r12_foreign_mobile_with_country_code(school_el):
    result = check([person_row(1, mobile="+447911123456")], school_el)
    assert result.ok, result.errors
    assert result.plans[0].values["mobile"] == "+447911123456"


def test_r13_supervisor_email(school_el):
    result = check([person_row(1, supervisor_email="prof@")], school_el)
    assert errors_at(result, 2, "supervisor_email") == ["supervisor.email_invalid"]
    assert check([person_row(1, supervisor_email="prof@central.ntua.gr")], school_el).ok


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("31/02/2030", "date.invalid"),
        ("next year", "date.invalid"),
        ("2020-01-01", "date.past"),
        (dt.date(2001, 1, 1), "date.past"),
    ],
)
def test_r14_end_date(school_el, value, code):
    assert errors_at(check([person_row(1, end_date=value)], school_el), 2, "end_date") == [code]


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d/%m/%Y"])
def test_r14_dates_as_text(school_el, fmt):
    day = future(400)
    result = check([person_row(1, end_date=day.strftime(fmt))], school_el)
    assert result.ok, result.errors
    assert result.plans[0].end_date == day


# ---------------------------------------------------------------- R15, R16, R17 (demo)


def test_r15_not_graduated_for_eleni_konstantinou(school_el):
    row = person_row(
        1,
        username="ekonstantinou",
        surname="Κωνσταντίνου",
        given_name="Ελένη",
        father_name="Νικόλαος",
        mother_name="Αικατερίνη",
        external_email="eleni.konstantinou@example.com",
    )
    result = check([row], school_el)
    assert "person.not_graduated" in errors_at(result, 2)


def test_r17_reactivating_kbakogianni_is_planned(school_el):
    row = person_row(
        1,
        username="kbakogianni",
        surname="Μπακογιάννη",
        given_name="Αικατερίνη",
        father_name="Κωνσταντίνος",
        mother_name="Ελένη",
        external_email="katerina.bakogianni@example.com",
        registration_number="03800077",
    )
    result = check([row], school_el, kind="phd")
    assert result.ok, result.errors
    assert outcome(result, 2) == "reactivate"


def test_r17_reactivation_with_a_new_email_but_the_same_names(school_el):
    row = person_row(
        1,
        username="kbakogianni",
        surname="Μπακογιάννη",
        given_name="Αικατερίνη",
        father_name="Κωνσταντίνος",
        mother_name="Ελένη",
        external_email="kb@example.org",
    )
    result = check([row], school_el, kind="phd")
    assert result.ok, result.errors
    assert outcome(result, 2) == "reactivate"
    assert result.plans[0].person_changes["external_email"] == "kb@example.org"


def test_r16_username_of_another_person_is_taken(school_el):
    result = check([person_row(1, username="kbakogianni", surname="Μπακογιάννη")], school_el)
    assert errors_at(result, 2, "username") == ["username.taken"]


def test_r16_person_with_an_account_must_declare_it(school_el):
    row = person_row(
        1,
        username="giorgospapadopoulos",
        surname="Παπαδόπουλος",
        given_name="Γεώργιος",
        father_name="Ιωάννης",
        mother_name="Μαρία",
        external_email="giorgos.papadopoulos@example.com",
    )
    result = check([row], school_el)
    (error,) = [e for e in result.errors if e["code"] == "person.undeclared_account"]
    assert error["params"]["existing"] == "gpapadopoulos"


def test_r16_same_names_different_email_is_a_possible_duplicate(school_el):
    row = person_row(
        1,
        username="giorgospapadopoulos",
        surname="Παπαδόπουλος",
        given_name="Γεώργιος",
        father_name="",
        mother_name="",
        external_email="other@example.com",
        mobile="6900000099",
    )
    result = check([row], school_el)
    assert "person.possible_duplicate" in errors_at(result, 2)


def test_r16_helpdesk_resolves_a_possible_duplicate_by_correcting_the_data(school_el):
    from kleidi.accounts.models import Account
    from kleidi.people.services import update_person

    row = person_row(
        1,
        username="giorgospapadopoulos",
        surname="Παπαδόπουλος",
        given_name="Γεώργιος",
        father_name="",
        mother_name="",
        external_email="other@example.com",
        mobile="6900000099",
    )
    assert "person.possible_duplicate" in errors_at(check([row], school_el), 2)
    person = Account.objects.get(username="gpapadopoulos").person
    update_person(person, {"external_email": "other@example.com"})
    # Now the row identifies Γεώργιος, who must declare his existing account.
    codes = errors_at(check([row], school_el), 2)
    assert "person.possible_duplicate" not in codes
    assert "person.undeclared_account" in codes


def test_r16_namesake_with_a_different_father_is_a_new_person(school_el):
    row = person_row(
        1,
        username="giorgospapadopoulos",
        surname="Παπαδόπουλος",
        given_name="Γεώργιος",
        father_name="Αλέξανδρος",
        external_email="other@example.com",
        mobile="6900000099",
    )
    result = check([row], school_el)
    assert result.ok, result.errors
    assert outcome(result, 2) == "create"


def test_r16_registration_number_of_the_school_identifies_the_person(school_el):
    # Same registration number and names as gpapadopoulos, new email: same person.
    row = person_row(
        1,
        username="gpapadopoulos",
        surname="Παπαδόπουλος",
        given_name="Γεώργιος",
        father_name="Ιωάννης",
        mother_name="Μαρία",
        external_email="gp@example.org",
        registration_number=3400123,
    )
    result = check([row], school_el)
    assert result.ok, result.errors
    assert outcome(result, 2) in ("renew", "update", "unchanged")


def test_r17_retired_undergraduate_account_is_never_reactivated(school_el):
    row = person_row(
        1,
        username="el17007",
        surname="Νικολάου",
        given_name="Δημήτριος",
        external_email="dimitris.nikolaou@example.com",
    )
    result = check([row], school_el)
    assert "username.undergraduate_pattern" in errors_at(result, 2, "username")


# ---------------------------------------------------------------- R18 duplicates


@pytest.mark.parametrize(
    ("column", "same"),
    [
        ("username", {"username": "nioannou"}),
        ("registration_number", {"registration_number": "03501111"}),
        ("external_email", {"external_email": "same@example.com"}),
    ],
)
def test_r18_duplicate_marks_both_rows(school_el, column, same):
    rows = [person_row(1, **same), person_row(2, **same), person_row(3)]
    result = check(rows, school_el)
    assert "row.duplicate" in errors_at(result, 2, column)
    assert "row.duplicate" in errors_at(result, 3, column)
    assert "row.duplicate" not in errors_at(result, 4)
    (first,) = [e for e in result.errors if e["row"] == 2 and e["code"] == "row.duplicate"]
    assert first["params"]["rows"] == "2, 3"


def test_r18_duplicate_email_marks_both_rows_case_insensitively(school_el):
    rows = [
        person_row(1, external_email="Same@Example.com"),
        person_row(2, external_email="same@example.com"),
    ]
    result = check(rows, school_el)
    assert errors_at(result, 2, "external_email") == ["row.duplicate"]
    assert errors_at(result, 3, "external_email") == ["row.duplicate"]


def test_r18_registration_numbers_with_and_without_leading_zeros_are_the_same(school_el):
    rows = [
        person_row(1, registration_number="03501111"),
        person_row(2, registration_number=3501111),
    ]
    result = check(rows, school_el)
    assert errors_at(result, 2, "registration_number") == ["row.duplicate"]
    assert errors_at(result, 3, "registration_number") == ["row.duplicate"]


# ---------------------------------------------------------------- bulk queries


def test_r19_validation_queries_do_not_grow_with_rows(school_el):
    def queries(n):
        rows = [person_row(i) for i in range(1, n + 1)]
        rows[0]["username"] = "wrong1"  # one R10 suggestion lookup too
        data = xlsx(table(rows))
        with CaptureQueriesContext(connection) as captured:
            validate_content(data, school=school_el, kind="postgraduate")
        return len(captured.captured_queries)

    assert queries(5) == queries(60)
