"""R19 results file and templates; §6 cells are never formulas."""

import io

import openpyxl
import pytest

from kleidi.sheets.reports import escape, results_workbook, template_workbook
from kleidi.sheets.services import validate_content
from tests.sheets.factories import csv_bytes, person_row, table

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["=1+1", "+30691", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_s6_formula_like_cells_are_escaped(value):
    assert escape(value) == "'" + value
    assert escape("Παπαδόπουλος") == "Παπαδόπουλος"


def test_r19_results_file_lists_outcomes_and_errors_and_reuploads(school_el):
    hostile = '=HYPERLINK("http://evil.example","click")'
    rows = [person_row(1), person_row(2, mobile="123", father_name=hostile)]
    # CSV carries the formula as text, as a hostile or careless sheet would.
    data = csv_bytes(table(rows))
    result = validate_content(data, school=school_el, kind="postgraduate")
    report = results_workbook(data, result.as_dict(), "el")
    sheet = openpyxl.load_workbook(io.BytesIO(report)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][-2:] == ["Αποτέλεσμα", "Σφάλματα"]
    assert values[1][-2] == "Δημιουργία"
    assert values[2][-2] == "Σφάλμα"
    assert "Κινητό τηλέφωνο" in values[2][-1]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert any(v == "'" + hostile for v in values[2])
    # Corrected and uploaded again: the outcome and errors columns are ignored.
    sheet.cell(row=3, column=6).value = "6900000002"
    sheet.cell(row=3, column=4).value = "Πέτρος"
    out = io.BytesIO()
    sheet.parent.save(out)
    again = validate_content(out.getvalue(), school=school_el, kind="postgraduate")
    assert again.ok, again.errors
    assert again.warnings == []


def test_r19_results_file_of_an_unreadable_sheet(school_el):
    result = validate_content(b"\x00\x01garbage", school=school_el, kind="phd")
    sheet = openpyxl.load_workbook(io.BytesIO(results_workbook(b"\x00", result.as_dict()))).active
    assert sheet.cell(row=2, column=1).value.startswith("Το αρχείο δεν διαβάζεται")


@pytest.mark.parametrize("kind", ["postgraduate", "phd", "renewal"])
def test_r9_templates_have_greek_headers_an_example_and_instructions(kind, school_el):
    data = template_workbook(kind)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert "Ημερομηνία λήξης" in headers
    assert sheet.cell(row=2, column=1).value == "gpapadopoulos"
    assert "Οδηγίες" in workbook.sheetnames
    if kind != "renewal":
        assert sheet.data_validations.dataValidation
        assert workbook["Λίστες"].sheet_state == "hidden"
    # The template's own headers map with no warnings.
    result = validate_content(data, school=school_el, kind=kind)
    assert result.warnings == []
    assert result.header_row == 1
