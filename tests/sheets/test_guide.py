"""The guide's own sheet, as secretariats mail it (issue 9, item 7).

`tests/data/guide/` holds the guide's ten columns, headers verbatim, written
by openpyxl and by LibreOffice (xlsx, xls, ods, and the two CSVs Excel and
LibreOffice write); `make.py` there regenerates them.
"""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from kleidi.accounts.models import Account
from kleidi.people.models import Person
from kleidi.sheets.apply import apply_table
from kleidi.sheets.reader import Table, read_sheet
from kleidi.sheets.validation import validate
from tests.sheets.factories import xlsx

pytestmark = pytest.mark.django_db

GUIDE = Path(__file__).resolve().parents[1] / "data" / "guide"
_spec = importlib.util.spec_from_file_location("guide_make", GUIDE / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

TODAY = dt.date(2026, 12, 1)
FILES = [
    "guide.xlsx",
    "guide-lo.xlsx",
    "guide.xls",
    "guide.ods",
    "guide-excel-el.csv",
    "guide-utf8.csv",
]


@pytest.fixture(params=FILES)
def guide_result(request, school_el):
    table = read_sheet((GUIDE / request.param).read_bytes(), request.param)
    return validate(table, school=school_el, kind="postgraduate", today=TODAY)


def test_r9_the_guides_sheet_in_every_format_is_clean(guide_result):
    assert guide_result.errors == []
    assert guide_result.warnings == []
    assert guide_result.actions() == {"create": 8}


def test_r10_one_full_name_cell_given_name_first_is_split_by_evidence(guide_result):
    stored = [(p.values["surname"], p.values["given_name"]) for p in guide_result.plans]
    assert stored == [(row[9], row[10]) for row in make.ROWS]


def test_r13_director_name_and_email_in_one_cell_are_split(guide_result):
    people = [
        (p.values["supervisor_name"], p.values["supervisor_email"]) for p in guide_result.plans
    ]
    assert people == [
        ("Καθ. Ιωάννης Παπαδάκης", "ipapadakis@central.ntua.gr"),
        ("Ι. Παπαδάκης", "ipapadakis@central.ntua.gr"),
        ("Παπαδάκης Ιωάννης", "ipapadakis@central.ntua.gr"),
    ] + [
        (name, "ipapadakis@central.ntua.gr")
        for name in (
            "Καθ. Ιωάννης Παπαδάκης",
            "Ι. Παπαδάκης",
            "Καθ. Ιωάννης Παπαδάκης",
            "Παπαδάκης Ιωάννης",
            "Καθ. Ιωάννης Παπαδάκης",
        )
    ]


def test_r9_address_area_and_postcode_in_one_cell_are_split(guide_result):
    first, _, third = guide_result.plans[:3]
    assert (first.values["address"], first.values["area"], first.values["postcode"]) == (
        "Ηρώων Πολυτεχνείου 9",
        "Ζωγράφου",
        "15780",
    )
    assert (third.values["address"], third.values["area"], third.values["postcode"]) == (
        "Λεωφ. Κηφισίας 120",
        "Μαρούσι",
        "15124",
    )


def test_r9_a_dash_for_an_unknown_parent_is_no_name(guide_result):
    rigas = guide_result.plans[1]
    assert rigas.values["mother_name"] == ""
    assert rigas.values["father_name"] == "Δημήτριος"


def test_r14_end_dates_with_and_without_a_time_are_the_same_day(guide_result):
    assert {p.end_date for p in guide_result.plans} == {dt.date(2027, 9, 30)}


# ---------------------------------------------------------------- one row at a time

GUIDE_DIRECTOR = make.HEADERS[8]


def one_row(school, cells: dict, **kwargs):
    """Validate a one-row sheet with the guide's headers (or others given in `cells`)."""
    base = dict(zip(make.HEADERS[:9], make.ROWS[1][:9], strict=True))
    base[make.HEADERS[9]] = "30/09/2027"
    base.update(cells)
    headers = [h for h, v in base.items() if v is not None]
    table = Table(rows=[(1, headers), (2, [base[h] for h in headers])], format="csv")
    return validate(table, school=school, kind="postgraduate", today=TODAY, **kwargs)


def plan_values(result) -> dict:
    assert result.errors == [], result.errors
    return result.plans[0].values


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr", "Καθ. Ιωάννης Παπαδάκης"),
        ("Ι. Παπαδάκης <ipapadakis@central.ntua.gr>", "Ι. Παπαδάκης"),
        ("Παπαδάκης Ιωάννης - ipapadakis@central.ntua.gr", "Παπαδάκης Ιωάννης"),
        ("Παπαδάκης Ιωάννης (email: ipapadakis@central.ntua.gr)", "Παπαδάκης Ιωάννης"),
        ("mailto:ipapadakis@central.ntua.gr", ""),
        ("ipapadakis@central.ntua.gr", ""),
    ],
)
def test_r13_name_and_email_typed_in_one_cell(school_el, cell, name):
    values = plan_values(one_row(school_el, {GUIDE_DIRECTOR: cell}))
    assert (values["supervisor_name"], values["supervisor_email"]) == (
        name,
        "ipapadakis@central.ntua.gr",
    )


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("Καθ. Ιωάννης Παπαδάκης", "supervisor.email_invalid"),
        ("Παπαδάκης, ipapadakis at central.ntua.gr", "supervisor.email_invalid"),
        ("Παπαδάκης ip@central.ntua.gr, Νικολάου nik@central.ntua.gr", "supervisor.two_emails"),
    ],
)
def test_r13_a_cell_without_an_email_or_with_two_is_refused(school_el, cell, code):
    result = one_row(school_el, {GUIDE_DIRECTOR: cell})
    assert [(e["column"], e["code"], e["params"]["value"]) for e in result.errors] == [
        ("supervisor_email", code, cell)
    ]


def test_r13_the_same_address_twice_is_one_address(school_el):
    cell = "Παπαδάκης ip@central.ntua.gr (IP@central.ntua.gr)"
    assert plan_values(one_row(school_el, {GUIDE_DIRECTOR: cell}))["supervisor_email"] == (
        "ip@central.ntua.gr"
    )


@pytest.mark.parametrize("header", ["Διευθυντής Μεταπτυχιακού", "Επιβλέπων (email)", "Επιβλέπων"])
def test_r13_a_shortened_header_holding_the_email_is_no_missing_column(school_el, header):
    cell = "Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr"
    values = plan_values(one_row(school_el, {GUIDE_DIRECTOR: None, header: cell}))
    assert (values["supervisor_name"], values["supervisor_email"]) == (
        "Καθ. Ιωάννης Παπαδάκης",
        "ipapadakis@central.ntua.gr",
    )


def test_r13_a_shortened_header_without_the_email_reports_its_cell(school_el):
    result = one_row(
        school_el, {GUIDE_DIRECTOR: None, "Διευθυντής Μεταπτυχιακού": "Καθ. Ι. Παπαδάκης"}
    )
    assert [(e["row"], e["column"], e["code"]) for e in result.errors] == [
        (2, "supervisor_name", "supervisor.email_invalid")
    ]


@pytest.mark.parametrize(
    ("cells", "name"),
    [
        # «Επιβλέπων (email)» beside «Επιβλέπων»: its note makes it the email column.
        (
            {
                "Επιβλέπων": "Καθ. Ιωάννης Παπαδάκης",
                "Επιβλέπων (email)": "ipapadakis@central.ntua.gr",
            },
            "Καθ. Ιωάννης Παπαδάκης",
        ),
        # A name column wins over the name in the email cell.
        (
            {
                "Διευθυντής ΔΠΜΣ ή επιβλέπων": "Ιωάννης Παπαδάκης",
                "Email διευθυντή ή επιβλέποντα": "Ι. Π. <ipapadakis@central.ntua.gr>",
            },
            "Ιωάννης Παπαδάκης",
        ),
    ],
)
def test_r13_a_name_column_and_an_email_column(school_el, cells, name):
    values = plan_values(one_row(school_el, {GUIDE_DIRECTOR: None, **cells}))
    assert (values["supervisor_name"], values["supervisor_email"]) == (
        name,
        "ipapadakis@central.ntua.gr",
    )


def test_r13_without_any_supervisor_column_the_column_is_missing(school_el):
    result = one_row(school_el, {GUIDE_DIRECTOR: None})
    assert [(e["code"], e["params"]) for e in result.errors] == [
        ("sheet.missing_column", {"column": "Email διευθυντή ή επιβλέποντα"})
    ]


# ---------------------------------------------------------------- surname and given name


@pytest.mark.parametrize(
    ("username", "full", "surname", "given"),
    [
        # The case: both parts are in the username; the dictionary knows the given name.
        ("konstantinosrigas", "Κωνσταντίνος Ρήγας", "Ρήγας", "Κωνσταντίνος"),
        ("konstantinosrigas", "Ρήγας Κωνσταντίνος", "Ρήγας", "Κωνσταντίνος"),
        # R10: only the surname is in the username.
        ("krigas", "Κωνσταντίνος Ρήγας", "Ρήγας", "Κωνσταντίνος"),
        ("olaskaris", "Ορφέας Λάσκαρης", "Λάσκαρης", "Ορφέας"),
        # Capitals, as forms print surnames.
        ("orfeaslaskaris", "ΛΑΣΚΑΡΗΣ Ορφέας", "ΛΑΣΚΑΡΗΣ", "Ορφέας"),
        ("orfeaslaskaris", "Ορφέας ΛΑΣΚΑΡΗΣ", "ΛΑΣΚΑΡΗΣ", "Ορφέας"),
        # The all-capitals cell, surname first.
        ("geopapadopoulos", "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΓΕΩΡΓΙΟΣ"),
        ("giorgospapadopoulos", "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΙΩΡΓΟΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΓΙΩΡΓΟΣ"),
        # Two dictionary words outweigh capitals.
        ("nikoskaragiannis", "ΝΙΚΟΣ Καραγιάννης", "Καραγιάννης", "ΝΙΚΟΣ"),
        # A comma says which is which; compound given names and surnames.
        ("orfeaslaskaris", "Λάσκαρης, Ορφέας", "Λάσκαρης", "Ορφέας"),
        ("mpapadopoulou", "Μαρία Ελένη Παπαδοπούλου", "Παπαδοπούλου", "Μαρία Ελένη"),
        ("mkonstantinoupapa", "Κωνσταντίνου Παπά Μαρία", "Κωνσταντίνου Παπά", "Μαρία"),
        # Username order (the guide's given-name-first form) and the registry's
        # surname-first convention agree.
        ("orfeaslaskaris", "Λάσκαρης Ορφέας", "Λάσκαρης", "Ορφέας"),
    ],
)
def test_r10_full_name_order_is_decided_by_evidence(school_el, username, full, surname, given):
    result = one_row(school_el, {"Όνομα χρήστη (username)": username, "Ονοματεπώνυμο": full})
    values = plan_values(result)
    assert (values["surname"], values["given_name"]) == (surname, given)


@pytest.mark.parametrize(
    ("username", "full"),
    [
        # Username order says Λάσκαρης, the surname-first convention says Ορφέας.
        ("orfeaslaskaris", "Ορφέας Λάσκαρης"),
        # Nothing but the convention: not enough.
        ("olaskaris1", "Ορφέας Ζερβουδάκης"),
        # Capitals contradict the surnames' dictionary.
        ("orfeaskaragiannis", "ΟΡΦΕΑΣ Καραγιάννης"),
    ],
)
def test_r10_an_ambiguous_full_name_is_flagged_not_guessed(school_el, username, full):
    result = one_row(school_el, {"Όνομα χρήστη (username)": username, "Ονοματεπώνυμο": full})
    assert [(e["column"], e["code"], e["params"]) for e in result.errors] == [
        ("full_name", "name.order_ambiguous", {"value": full})
    ]
    assert result.actions() == {"error": 1}


# ---------------------------------------------------------------- cells as typed


@pytest.mark.parametrize("dash", ["-", "—", "--", "Άγνωστος", "ΑΓΝΩΣΤΟΥ", "δ/υ"])
def test_r9_a_placeholder_for_an_unknown_parent_is_an_empty_name(school_el, dash):
    values = plan_values(one_row(school_el, {"Πατρώνυμο": dash, "Μητρώνυμο": dash}))
    assert (values["father_name"], values["mother_name"]) == ("", "")


def test_r9_a_placeholder_in_a_required_cell_is_field_required(school_el):
    result = one_row(school_el, {"εκτός ΕΜΠ mail": "-"})
    assert [(e["column"], e["code"]) for e in result.errors] == [
        ("external_email", "email.required")
    ]


def test_r9_a_dash_inside_a_name_is_kept(school_el):
    values = plan_values(one_row(school_el, {"Μητρώνυμο": "Άννα-Μαρία"}))
    assert values["mother_name"] == "Άννα-Μαρία"


@pytest.mark.parametrize(
    ("cell", "address", "area", "postcode"),
    [
        ("Ηρώων Πολυτεχνείου 9, Ζωγράφου, 15780", "Ηρώων Πολυτεχνείου 9", "Ζωγράφου", "15780"),
        ("Πατησίων 42, 104 34 Αθήνα", "Πατησίων 42", "Αθήνα", "10434"),
        ("Πατησίων 42, Αθήνα ΤΚ 10434", "Πατησίων 42", "Αθήνα", "10434"),
        ("Οδός Α 1, Κτίριο Β, Αθήνα, 10434", "Οδός Α 1, Κτίριο Β", "Αθήνα", "10434"),
        # No postcode: the area cannot be told from a floor, so the cell stays whole.
        ("Πατησίων 42, 3ος όροφος", "Πατησίων 42, 3ος όροφος", "", ""),
    ],
)
def test_r9_the_guides_one_cell_address_is_split(school_el, cell, address, area, postcode):
    values = plan_values(one_row(school_el, {"Διεύθυνση κατοικίας, Περιοχή, ΤΚ": cell}))
    assert (values["address"], values["area"], values["postcode"]) == (address, area, postcode)


def test_r9_an_address_is_not_split_when_the_sheet_has_area_and_postcode(school_el):
    cells = {
        "Διεύθυνση κατοικίας, Περιοχή, ΤΚ": None,
        "Διεύθυνση κατοικίας": "Πατησίων 42, Αθήνα, 10434",
        "Περιοχή": "Εξάρχεια",
        "ΤΚ": "10682",
    }
    values = plan_values(one_row(school_el, cells))
    assert (values["address"], values["area"], values["postcode"]) == (
        "Πατησίων 42, Αθήνα, 10434",
        "Εξάρχεια",
        "10682",
    )


@pytest.mark.parametrize(
    "cell",
    [
        "30/09/2027",
        "30/09/2027 00:00",
        "30/09/2027 17:45:00",
        "30.09.27",
        "30/09/27",
        "2027-09-30 00:00:00",
        "30 Σεπτεμβρίου 2027",
        "30 ΣΕΠΤΕΜΒΡΙΟΥ 2027",
        "30 Σεπτέμβριος 2027",
        "30 Σεπτ. 2027",
        "30-Σεπ-2027",
        "30 September 2027",
        "30-Sep-27",
    ],
)
def test_r14_end_dates_as_secretariats_type_them(school_el, cell):
    result = one_row(school_el, {make.HEADERS[9]: cell})
    assert plan_values(result)["end_date"] == "2027-09-30"


@pytest.mark.parametrize(
    "cell",
    ["31/02/2027", "30/09/2027 24:00", "30 Ιου 2027", "Σεπτέμβριος 2027", "30/13/27", "30/09/202"],
)
def test_r14_what_is_still_no_date(school_el, cell):
    result = one_row(school_el, {make.HEADERS[9]: cell})
    assert [(e["column"], e["code"], e["params"]) for e in result.errors] == [
        ("end_date", "date.invalid", {"value": cell})
    ]


# ---------------------------------------------------------------- empty sheets


@pytest.mark.parametrize("source", ["guide.xlsx", "guide.ods", "guide-excel-el.csv"])
def test_r9_a_sheet_with_headers_and_no_rows_is_an_error(school_el, source):
    grid = [make.HEADERS]
    data = xlsx(grid) if source.endswith(("xlsx", "ods")) else ";".join(grid[0]).encode("cp1253")
    result = validate(read_sheet(data), school=school_el, kind="postgraduate", today=TODAY)
    assert [(e["row"], e["code"]) for e in result.errors] == [(None, "sheet.no_rows")]
    assert not result.ok


def test_r20_a_renewal_sheet_with_headers_and_no_rows_is_an_error(school_el):
    data = xlsx([["Υπαρκτό όνομα χρήστη", "Ημερομηνία λήξης"]])
    result = validate(read_sheet(data), school=school_el, kind="renewal", today=TODAY)
    assert [e["code"] for e in result.errors] == ["sheet.no_rows"]


# ---------------------------------------------------------------- applied


def test_r19_the_guides_sheet_applied_stores_each_person_the_right_way_round(
    school_el, secretariat, monkeypatch
):
    monkeypatch.setattr("kleidi.sheets.validation.local_today", lambda: TODAY)
    data = (GUIDE / "guide-excel-el.csv").read_bytes()
    result = apply_table(read_sheet(data), school=school_el, kind="postgraduate", actor=secretariat)
    assert result.actions() == {"create": 8}
    for row in make.ROWS:
        account = Account.objects.select_related("person", "affiliation").get(username=row[0])
        person, affiliation = account.person, account.affiliation
        assert (person.surname, person.given_name) == (row[9], row[10])
        assert person.address == row[4].split(",")[0]
        assert affiliation.supervisor_email == "ipapadakis@central.ntua.gr"
        assert affiliation.supervisor_name in row[8]
        assert "@" not in affiliation.supervisor_name
    rigas = Person.objects.get(surname="Ρήγας")
    assert (rigas.mother_name, rigas.area, rigas.postcode) == ("", "Αθήνα", "10682")
    again = apply_table(read_sheet(data), school=school_el, kind="postgraduate", actor=secretariat)
    assert again.actions() == {"unchanged": 8}


def test_r9_an_error_in_a_split_address_points_at_the_address_cell(school_el):
    cell = "Πατησίων 42, " + "Α" * 151 + ", 10434"
    result = one_row(school_el, {"Διεύθυνση κατοικίας, Περιοχή, ΤΚ": cell})
    assert [(e["column"], e["code"], e["value"][:8]) for e in result.errors] == [
        ("address", "field.too_long", "ΑΑΑΑΑΑΑΑ")
    ]


def test_r9_the_guides_email_header_with_its_whole_note_is_the_external_email(school_el):
    header = "εκτός ΕΜΠ mail (όχι username@central.ntua.gr ή username@mail.ntua.gr)"
    result = one_row(school_el, {"εκτός ΕΜΠ mail": None, header: "k.rigas@yahoo.gr"})
    assert plan_values(result)["external_email"] == "k.rigas@yahoo.gr"
    assert result.warnings == []
