"""The registry feed from a file (R1, R4, R6, R9's codes; docs/registry.md, "The feed").

Feeds are written in each test (csv in any encoding, xlsx through openpyxl),
or are the hostile and valid files of tests/data/registry (made by its
make.py, checked here to be what it writes). No database: a file feed needs none.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kleidi.errors import catalogue
from kleidi.registry.feed import feed_from_rows, read_feed
from kleidi.registry.records import ACTIVE, FIELDS, GRADUATED, LEFT
from kleidi.sheets.reader import Limits, clean_cell
from kleidi.sheets.validation import render
from tests.registry import SIS

DATA = Path(__file__).resolve().parents[1] / "data" / "registry"


def student(n: int = 1, **changes) -> dict:
    """A valid national-exams undergraduate as the SIS view has them; `n` keeps them apart."""
    row = {
        "registrationID": f"031180{n:02d}",
        "departmentID": "el",
        "lastNameEl": "Παπαδόπουλος",
        "firstNameEl": "Γιώργος",
        "fatherFirstNameEl": "Νικόλαος",
        "motherFirstNameEl": "Μαρία",
        "lastNameEn": "Papadopoulos",
        "firstNameEn": "Georgios",
        "fatherFirstNameEn": "Nikolaos",
        "motherFirstNameEn": "Maria",
        "birthDate": "2004-03-12",
        "extEmail": f"student{n}@gmail.com",
        "mobilePhone": f"69123456{n:02d}",
        "enrollmentStatus": "active",
        "enrollmentStatusDate": "2022-09-15",
        "enrollmentType": "national_exams",
        "loginName": "",
    }
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict], *, header=None, encoding="utf-8", delimiter=","):
    header = header or list(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path.write_bytes(out.getvalue().encode(encoding))
    return str(path)


def feed_of(tmp_path, *rows: dict, **kwargs):
    return read_feed(write_csv(tmp_path / "feed.csv", list(rows), **kwargs))


def one(tmp_path, **changes):
    """The one record of a feed of one student with `changes`."""
    return feed_of(tmp_path, student(1, **changes)).records[0]


def codes(record) -> list[tuple[str, str]]:
    return [(entry["column"], entry["code"]) for entry in record.errors]


def refused(source, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_feed(source, **kwargs)
    return caught.value


def english(exc: ValidationError) -> str:
    with translation.override("en"):
        return exc.messages[0]


# --------------------------------------------------------------------------
# Columns and values


def test_r4_a_feed_record_holds_every_field_cleaned(tmp_path):
    feed = feed_of(tmp_path, student(1, loginName="EL18001", mobilePhone="691 234 5601"))
    (record,) = feed.records
    assert set(record.values) == set(FIELDS)
    assert record.values == {
        "registration_number": "03118001",
        "department_id": "el",
        "surname": "Παπαδόπουλος",
        "given_name": "Γιώργος",
        "father_name": "Νικόλαος",
        "mother_name": "Μαρία",
        "latin_surname": "Papadopoulos",
        "latin_given_name": "Georgios",
        "latin_father_name": "Nikolaos",
        "latin_mother_name": "Maria",
        "birth_date": dt.date(2004, 3, 12),
        "external_email": "student1@gmail.com",
        "mobile": "+306912345601",
        "status": ACTIVE,
        "status_date": dt.date(2022, 9, 15),
        "admission_route": "national_exams",
        "login_name": "el18001",
    }
    assert record.ok and record.email_code == ""
    assert record.number == 2  # the spreadsheet's row: the header is row 1
    assert feed.columns == SIS
    assert feed.source.endswith("feed.csv")
    assert feed.read_at is not None
    assert feed.warnings == []


def test_r4_columns_the_view_has_but_kleidi_does_not_keep_are_dropped_silently(tmp_path):
    row = student(1, SSN="12345678901", TIN="123456789", systemID="77", gender="M")
    feed = feed_of(tmp_path, row)
    (record,) = feed.records
    assert "12345678901" not in repr(record) and "123456789" not in repr(record)
    assert feed.columns == SIS
    assert feed.warnings == []


def test_r9_an_unknown_column_is_ignored_with_a_warning(tmp_path):
    feed = feed_of(tmp_path, student(1, Favourite="blue"))
    assert feed.records[0].ok
    assert feed.warnings == [
        {
            "row": None,
            "column": None,
            "code": "sheet.unknown_column",
            "params": {"column": "Favourite"},
            "value": "",
        }
    ]


def test_r9_headers_match_ignoring_case_spaces_and_underscores_and_greek_aliases(tmp_path):
    header = [
        "REGISTRATION_ID",
        "department id",
        "Επώνυμο",
        "ΌΝΟΜΑ",
        "ext_email",
        "Κατάσταση φοίτησης",
        "Τρόπος εισαγωγής",
    ]
    row = dict(
        zip(
            header,
            ["03118001", "el", "Παπαδόπουλος", "Γιώργος", "a@gmail.com", "ενεργός", "Πανελλήνιες"],
            strict=True,
        )
    )
    (record,) = feed_of(tmp_path, row).records
    assert record.ok
    assert record.values["registration_number"] == "03118001"
    assert record.values["given_name"] == "Γιώργος"
    assert record.values["status"] == ACTIVE
    assert record.values["admission_route"] == "national_exams"
    # Optional columns absent: empty values, never missing keys.
    assert record.values["father_name"] == "" and record.values["birth_date"] is None


def test_r9_missing_required_columns_are_one_source_error_naming_them(tmp_path):
    rows = [{k: v for k, v in student(1).items() if k not in ("departmentID", "extEmail")}]
    exc = refused(write_csv(tmp_path / "feed.csv", rows))
    assert exc.code == "sheet.missing_column"
    assert english(exc) == "The column “departmentID, extEmail” is missing."


def test_r9_wrong_columns_a_provisioning_sheet_is_refused():
    exc = refused(str(DATA / "wrong_columns.csv"))
    assert exc.code == "sheet.missing_column"
    assert exc.params == {
        "column": "registrationID, departmentID, enrollmentStatus, enrollmentType"
    }


def test_r9_a_file_with_no_known_header_names_every_required_column(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    exc = refused(str(path))
    assert exc.code == "sheet.missing_column"
    assert exc.params["column"] == (
        "registrationID, departmentID, lastNameEl, firstNameEl, extEmail, "
        "enrollmentStatus, enrollmentType"
    )


def test_r9_a_column_named_twice_is_refused(tmp_path):
    header = [*SIS, "Αριθμός μητρώου"]
    exc = refused(write_csv(tmp_path / "feed.csv", [student(1)], header=header))
    assert exc.code == "sheet.duplicate_column"
    assert exc.params == {"column": "registrationID"}


def test_r9_headers_without_records_are_refused(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(",".join(SIS) + "\n", encoding="utf-8")
    assert refused(str(path)).code == "sheet.no_rows"


# --------------------------------------------------------------------------
# Encodings and formats


@pytest.mark.parametrize("name", ["valid.csv", "valid.xlsx", "valid.ods", "cp1253.csv", "bom.csv"])
def test_r9_the_same_feed_reads_the_same_in_every_format_and_encoding(name):
    feed = read_feed(str(DATA / name))
    reference = read_feed(str(DATA / "valid.csv"))
    assert [r.values for r in feed.records] == [r.values for r in reference.records]
    assert [r.email_code for r in feed.records] == [r.email_code for r in reference.records]
    assert feed.columns == SIS
    assert all(record.ok for record in feed.records)
    surnames = [record.values["surname"] for record in feed.records]
    assert surnames[:2] == ["Παπαδόπουλος", "Κωνσταντίνου"]


def test_r9_cp1253_with_semicolons_as_greek_excel_writes_it(tmp_path):
    row = student(1, lastNameEl="Σταθοπούλου", firstNameEl="Χριστίνα", enrollmentType="Πανελλήνιες")
    (record,) = feed_of(tmp_path, row, encoding="cp1253", delimiter=";").records
    assert record.ok
    assert record.values["surname"] == "Σταθοπούλου"
    assert record.values["admission_route"] == "national_exams"


def test_r9_utf8_bom(tmp_path):
    path = tmp_path / "feed.csv"
    write_csv(path, [student(1)])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    (record,) = read_feed(str(path)).records
    assert record.ok and record.values["registration_number"] == "03118001"


def test_r9_xlsx_numeric_and_date_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(SIS)
    row = student(1)
    row.update(
        registrationID=3118001,  # a number cell: no ".0"
        birthDate=dt.datetime(2004, 3, 12),
        enrollmentStatusDate=dt.date(2022, 9, 15),
        mobilePhone=6912345601,
    )
    sheet.append([row[column] for column in SIS])
    path = tmp_path / "feed.xlsx"
    workbook.save(path)
    (record,) = read_feed(str(path)).records
    assert record.ok, record.errors
    assert record.values["registration_number"] == "3118001"
    assert record.values["birth_date"] == dt.date(2004, 3, 12)
    assert record.values["status_date"] == dt.date(2022, 9, 15)
    assert record.values["mobile"] == "+306912345601"


def test_r9_names_are_stored_nfc(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Παπαδόπουλος")
    assert decomposed != "Παπαδόπουλος"
    record = one(tmp_path, lastNameEl=decomposed)
    assert record.values["surname"] == "Παπαδόπουλος"


def test_r9_a_dash_means_nothing(tmp_path):
    record = one(tmp_path, fatherFirstNameEl="-", fatherFirstNameEn="—", mobilePhone="-")
    assert record.ok
    assert record.values["father_name"] == record.values["latin_father_name"] == ""
    assert record.values["mobile"] == ""


# --------------------------------------------------------------------------
# Per-record codes


def test_r1_no_external_email_waits_without_an_error(tmp_path):
    record = one(tmp_path, extEmail="")
    assert record.ok
    assert record.email_code == "email.required"
    assert record.values["external_email"] == ""


def test_r1_an_institutional_email_waits_without_an_error(tmp_path):
    record = one(tmp_path, extEmail="gpap@mail.ntua.gr")
    assert record.ok
    assert record.email_code == "email.institutional"
    assert record.email_params == {"value": "gpap@mail.ntua.gr"}
    assert record.values["external_email"] == ""


def test_r1_a_bad_email_is_an_error(tmp_path):
    record = one(tmp_path, extEmail="gpap@@gmail")
    assert codes(record) == [("extEmail", "email.invalid")]
    assert record.errors[0]["params"] == {"value": "gpap@@gmail"}
    assert record.errors[0]["row"] == 2
    assert record.email_code == ""


def test_r1_the_email_is_normalised(tmp_path):
    assert one(tmp_path, extEmail="GPap@GMAIL.com").values["external_email"] == "GPap@gmail.com"


@pytest.mark.parametrize(
    ("mobile", "code"),
    [("12345", "phone.invalid"), ("2107721000", "phone.not_mobile")],
)
def test_r12_a_bad_mobile_is_an_error(tmp_path, mobile, code):
    record = one(tmp_path, mobilePhone=mobile)
    assert codes(record) == [("mobilePhone", code)]
    assert record.errors[0]["params"]["value"] == mobile
    assert record.values["mobile"] == ""


def test_r12_a_foreign_mobile_with_its_country_code(tmp_path):
    assert one(tmp_path, mobilePhone="00447911123456").values["mobile"] == "+447911123456"


def test_r9_lookalike_latin_letters_in_a_greek_name(tmp_path):
    # "Παπαδoπουλος" with a Latin o.
    record = one(tmp_path, lastNameEl="Παπαδoπουλος")
    assert codes(record) == [("lastNameEl", "name.lookalike")]
    assert record.errors[0]["params"] == {"value": "Παπαδoπουλος", "suggestion": "Παπαδοπουλος"}


def test_r9_a_name_with_digits_is_invalid(tmp_path):
    record = one(tmp_path, firstNameEl="Γιώργος2", motherFirstNameEn="M4ria")
    assert codes(record) == [("firstNameEl", "name.invalid"), ("motherFirstNameEn", "name.invalid")]


def test_r9_latin_names_are_kept_as_given(tmp_path):
    record = one(tmp_path, lastNameEn="PAPADOPOULOS-GEORGIOU", firstNameEn="")
    assert record.ok
    assert record.values["latin_surname"] == "PAPADOPOULOS-GEORGIOU"
    assert record.values["latin_given_name"] == ""


@pytest.mark.parametrize(
    ("column", "value", "limit"),
    [
        ("registrationID", "0" * 33, 32),
        ("departmentID", "d" * 17, 16),
        ("lastNameEl", "Α" * 151, 150),
        ("loginName", "a" * 151, 150),
    ],
)
def test_r9_a_value_longer_than_kleidi_stores_is_too_long(tmp_path, column, value, limit):
    record = one(tmp_path, **{column: value})
    assert codes(record) == [(column, "field.too_long")]
    assert record.errors[0]["params"] == {"max": str(limit)}


def test_r9_a_huge_cell_is_too_long_and_not_carried(tmp_path):
    record = one(tmp_path, lastNameEl="Α" * 50_000)
    assert codes(record) == [("lastNameEl", "field.too_long")]
    assert len(record.errors[0]["value"]) <= 200
    assert record.values["surname"] == ""


@pytest.mark.parametrize(
    "column",
    ["registrationID", "departmentID", "lastNameEl", "firstNameEl", "enrollmentStatus"],
)
def test_r4_a_record_without_a_required_value(tmp_path, column):
    record = one(tmp_path, **{column: ""})
    assert codes(record) == [(column, "field.required")]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2004-03-12", dt.date(2004, 3, 12)),
        ("12/03/2004", dt.date(2004, 3, 12)),
        ("12.03.2004", dt.date(2004, 3, 12)),
        ("2004-03-12 00:00:00", dt.date(2004, 3, 12)),
    ],
)
def test_r9_dates_as_registries_write_them(tmp_path, text, day):
    record = one(tmp_path, birthDate=text, enrollmentStatusDate=text)
    assert record.ok
    assert record.values["birth_date"] == record.values["status_date"] == day


def test_r9_a_bad_date_is_date_invalid(tmp_path):
    record = one(tmp_path, birthDate="31/02/2004", enrollmentStatusDate="soon")
    assert codes(record) == [
        ("birthDate", "date.invalid"),
        ("enrollmentStatusDate", "date.invalid"),
    ]
    assert record.errors[0]["params"] == {"value": "31/02/2004"}
    assert record.values["birth_date"] is None and record.values["status_date"] is None


def test_r9_a_birth_date_in_the_future_is_invalid(tmp_path):
    # A two-digit year is read as 20yy: «12/03/99» would be born in 2099.
    record = one(tmp_path, birthDate="12/03/99")
    assert codes(record) == [("birthDate", "date.invalid")]


def test_r9_empty_optional_dates_are_none(tmp_path):
    record = one(tmp_path, birthDate="", enrollmentStatusDate="")
    assert record.ok
    assert record.values["birth_date"] is None and record.values["status_date"] is None


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("active", ACTIVE),
        ("Interim", ACTIVE),
        ("ΕΝΕΡΓΟΣ", ACTIVE),
        ("Ενεργή", ACTIVE),
        ("graduated", GRADUATED),
        ("Διπλωματούχος", GRADUATED),
        ("πτυχιουχος", GRADUATED),
        ("deleted", LEFT),
        ("interrupted", LEFT),
        ("suspended", LEFT),
        ("Διαγραφή", LEFT),
        ("διακοπή φοίτησης", LEFT),
    ],
)
def test_r6_enrollment_status_words(tmp_path, text, status):
    record = one(tmp_path, enrollmentStatus=text)
    assert record.ok
    assert record.values["status"] == status


def test_r6_an_unknown_status_is_an_error(tmp_path):
    record = one(tmp_path, enrollmentStatus="on holiday")
    assert codes(record) == [("enrollmentStatus", "registry.status_invalid")]
    with translation.override("en"):
        assert render(record.errors[0]).startswith(
            "The enrollment status “on holiday” is not recognised"
        )


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("national_exams", "national_exams"),
        ("National Exams", "national_exams"),
        ("Πανελλήνιες", "national_exams"),
        ("ΠΑΝΕΛΛΑΔΙΚΕΣ ΕΞΕΤΑΣΕΙΣ", "national_exams"),
        ("transfer", "transfer"),
        ("Μετεγγραφή", "transfer"),
        ("special", "special"),
        ("Ειδική κατηγορία", "special"),
        ("other", "other"),
        ("Κατατακτήριες", "other"),
        ("", "other"),
    ],
)
def test_r4_enrollment_type_words(tmp_path, text, route):
    record = one(tmp_path, enrollmentType=text)
    assert record.ok
    assert record.values["admission_route"] == route


def test_r4_an_unknown_enrollment_type_is_an_error(tmp_path):
    record = one(tmp_path, enrollmentType="lottery")
    assert codes(record) == [("enrollmentType", "registry.type_invalid")]
    assert record.errors[0]["params"] == {"value": "lottery"}


def test_r18_the_same_registration_number_twice_in_a_department_is_an_error_on_both(tmp_path):
    feed = feed_of(
        tmp_path,
        student(1),
        student(2, registrationID="03118001"),
        student(3, registrationID="03118001", departmentID="ch"),
        student(4),
    )
    first, second, other_school, fourth = feed.records
    for record in (first, second):
        assert record.errors == [
            {
                "row": record.number,
                "column": "registrationID",
                "code": "row.duplicate",
                "params": {"value": "03118001", "rows": "2, 3"},
                "value": "03118001",
            }
        ]
    assert other_school.ok and fourth.ok


def test_r18_duplicated_ids_file():
    feed = read_feed(str(DATA / "duplicated_ids.csv"))
    flagged = [(r.number, r.registration_number) for r in feed.records if not r.ok]
    assert flagged == [(3, "03118002"), (13, "03118002")]
    assert {e["code"] for r in feed.records for e in r.errors} == {"row.duplicate"}


def test_r4_every_record_reports_all_its_errors_at_once(tmp_path):
    record = one(
        tmp_path,
        registrationID="",
        extEmail="nope",
        mobilePhone="123",
        enrollmentStatus="??",
        enrollmentType="??",
        birthDate="yesterday",
    )
    assert codes(record) == [
        ("registrationID", "field.required"),
        ("extEmail", "email.invalid"),
        ("mobilePhone", "phone.invalid"),
        ("birthDate", "date.invalid"),
        ("enrollmentStatus", "registry.status_invalid"),
        ("enrollmentType", "registry.type_invalid"),
    ]


# --------------------------------------------------------------------------
# Limits and guards


def test_r9_more_records_than_the_feed_limit_is_refused(tmp_path):
    source = write_csv(tmp_path / "feed.csv", [student(n) for n in range(1, 6)])
    exc = refused(source, limits=Limits(max_bytes=10**6, max_rows=4))
    assert exc.code == "sheet.too_many_rows"
    assert english(exc) == "The sheet has more than 4 rows; split it into smaller ones."
    assert len(read_feed(source, limits=Limits(max_bytes=10**6, max_rows=5)).records) == 5


@override_settings(REGISTRY_MAX_RECORDS=3)
def test_r9_the_feed_limit_is_kleidi_registry_max_records_not_the_sheets(tmp_path):
    source = write_csv(tmp_path / "feed.csv", [student(n) for n in range(1, 5)])
    assert refused(source).params == {"max": 3}


@override_settings(SHEET_MAX_ROWS=2)
def test_r9_a_feed_is_not_bound_by_the_sheets_row_limit(tmp_path):
    source = write_csv(tmp_path / "feed.csv", [student(n) for n in range(1, 5)])
    assert len(read_feed(source).records) == 4


def test_r9_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    source = write_csv(tmp_path / "feed.csv", [student(n) for n in range(1, 30)])
    exc = refused(source, limits=Limits(max_bytes=2048, max_rows=100))
    assert exc.code == "sheet.too_large"


def test_r9_an_xlsx_claiming_a_million_rows_is_refused_by_the_guard():
    exc = refused(str(DATA / "million_rows.xlsx"))
    assert exc.code == "sheet.too_many_rows"
    assert exc.params == {"max": "200000"}  # as the bounded child answers


def test_r9_a_dimension_claim_alone_costs_nothing(tmp_path):
    make = _make()
    data = make.xlsx(make.sheet_xml([make.HEADER, *make.STUDENTS[:2]], dimension="A1:XFD1048576"))
    path = tmp_path / "claim.xlsx"
    path.write_bytes(data)
    assert len(read_feed(str(path)).records) == 2


def test_r9_a_file_that_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "feed.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    assert refused(str(path)).code == "sheet.unreadable"


def test_a_missing_file_is_file_unavailable(tmp_path):
    exc = refused(str(tmp_path / "nowhere.csv"))
    assert exc.code == "registry.file_unavailable"
    assert english(exc).startswith(f"The file “{tmp_path / 'nowhere.csv'}” cannot be opened")
    assert refused(str(tmp_path)).code == "registry.file_unavailable"


# --------------------------------------------------------------------------
# The data files


def _make():
    spec = importlib.util.spec_from_file_location("registry_make", DATA / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_data_files_are_what_make_py_writes():
    for name, content in _make().files().items():
        assert (DATA / name).read_bytes() == content, name


# --------------------------------------------------------------------------
# Fuzzing: whatever the cells hold, every record ends with clean values or codes

_samples = ["", "-", "\u200b", "=1+1", "0", "Iωάννου", "a@ntua.gr", "31/02/2004", "Πανελλήνιες"]
_any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_text = _any_text | st.sampled_from([*_samples, "x" * 200])
_cell = (
    _text
    | st.integers(min_value=-(10**12), max_value=10**15)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1))
    | st.none()
)
_TYPES = {"birth_date": (dt.date, type(None)), "status_date": (dt.date, type(None))}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=len(SIS), max_size=len(SIS)), min_size=1, max_size=4))
def test_r9_no_cell_makes_the_feed_fail_and_every_code_is_known(rows):
    # Cells as the reader (a file) or the view's driver (clean_cell) hands them over.
    table = [(1, list(SIS))] + [
        (n, [clean_cell(value) for value in row]) for n, row in enumerate(rows, start=2)
    ]
    feed = feed_from_rows(table, "fuzz.csv", max_rows=10)
    known = catalogue()
    for record in feed.records:
        assert set(record.values) == set(FIELDS)
        for name, value in record.values.items():
            assert isinstance(value, _TYPES.get(name, str)), (name, value)
        assert record.values["status"] in ("", ACTIVE, GRADUATED, LEFT)
        assert record.email_code in ("", "email.required", "email.institutional")
        for entry in record.errors:
            assert entry["code"] in known
            assert entry["column"] in SIS
            render(entry)  # every message fills in from its params
