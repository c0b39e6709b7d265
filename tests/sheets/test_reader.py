"""R9 reading and §6 hostile files: every bad file gets a sheet-level code, nothing crashes."""

import datetime as dt
import io
import os
import re
import resource
import signal
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kleidi.sheets import sandbox
from kleidi.sheets.reader import (
    MAX_CELL_CHARS,
    Limits,
    SheetError,
    clean_cell,
    clean_text,
    parse_sheet,
    read_sheet,
)
from tests.sheets.factories import csv_bytes, xlsx
from tests.sheets.hostile import CRAFTED, far, rewrite, valid

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"


def codes(data: bytes) -> str:
    with pytest.raises(SheetError) as caught:
        read_sheet(data)
    return caught.value.code


def test_r9_numbers_become_text_without_point_zero():
    assert clean_cell(6912345678.0) == "6912345678"
    assert clean_cell(3400123) == "3400123"
    assert clean_cell(1.5) == "1.5"
    assert clean_cell(True) == "TRUE"


def test_r9_leading_zeros_of_text_cells_are_kept():
    table = read_sheet(xlsx([["Αριθμός Μητρώου", "Κινητό"], ["03400123", "0030691234"]]))
    assert table.rows[1][1] == ["03400123", "0030691234"]


def test_r9_dates_from_date_cells():
    table = read_sheet(xlsx([["a", "b"], [dt.date(2030, 5, 1), dt.datetime(2030, 5, 2, 0, 0)]]))
    assert table.rows[1][1] == [dt.date(2030, 5, 1), dt.date(2030, 5, 2)]


def test_r9_invisible_characters_and_nbsp_are_trimmed():
    assert clean_text("\u00a0Παπα\u200bδόπουλος\u00a0") == "Παπαδόπουλος"
    assert clean_text("\ufeffgpapa\u200d  dopoulos ") == "gpapa dopoulos"
    assert clean_text("Γιώργος\u2003 Νίκος") == "Γιώργος Νίκος"
    # NFC: a decomposed accent is composed again.
    assert clean_text("Πα\u03b1\u0301") == "Παά"


def test_r9_row_numbers_are_the_spreadsheet_rows():
    table = read_sheet(xlsx([["title"], [], ["Όνομα χρήστη", "Επώνυμο"], ["a", "b"]]))
    assert [number for number, _ in table.rows] == [1, 3, 4]


def test_r9_csv_utf8_with_bom_and_semicolons():
    data = b"\xef\xbb\xbf" + csv_bytes([["Επώνυμο", "Όνομα"], ["Αλεξίου", "Σοφία"]], delimiter=";")
    table = read_sheet(data)
    assert table.format == "csv"
    assert table.rows[0][1] == ["Επώνυμο", "Όνομα"]
    assert table.rows[1][1] == ["Αλεξίου", "Σοφία"]


def test_r9_csv_in_cp1253_is_recognised():
    data = csv_bytes([["Επώνυμο", "Όνομα"], ["Παπαδόπουλος", "Γιώργος"]], encoding="cp1253")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_sheet(data).rows[1][1] == ["Παπαδόπουλος", "Γιώργος"]


def test_r9_csv_in_utf16_is_recognised():
    data = "Επώνυμο\tΌνομα\r\nΑλεξίου\tΣοφία\r\n".encode("utf-16")
    assert read_sheet(data).rows[1][1] == ["Αλεξίου", "Σοφία"]


def test_r9_ods_is_read(tmp_path):
    # An ODS written by hand: the smallest valid document.
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="A">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Επώνυμο</text:p>'
        '</table:table-cell><table:table-cell office:value-type="float" office:value="3400123">'
        "<text:p>3400123</text:p></table:table-cell></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    table = read_sheet(out.getvalue())
    assert table.format == "ods"
    assert table.rows[0][1] == ["Επώνυμο", "3400123"]


# ---------------------------------------------------------------- hostile files


def test_r9_not_a_spreadsheet_is_unreadable():
    assert codes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)) == "sheet.unreadable"
    assert codes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00") == "sheet.unreadable"


def test_r9_empty_file_is_unreadable():
    assert codes(b"") == "sheet.unreadable"
    assert codes(b"  \n\n ") == "sheet.unreadable"


def test_r9_zip_that_is_not_a_workbook_is_unreadable():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert codes(out.getvalue()) == "sheet.unreadable"


def test_r9_encrypted_or_damaged_ole2_is_unreadable():
    fake = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)
    assert codes(fake) == "sheet.unreadable"


def test_r9_truncated_xlsx_is_unreadable():
    data = xlsx([["Όνομα χρήστη"], ["abc"]])
    assert codes(data[: len(data) // 2]) == "sheet.unreadable"


def test_r9_file_over_the_size_limit(settings):
    settings.SHEET_MAX_BYTES = 2048
    assert codes(b"a,b\n" * 1000) == "sheet.too_large"


def _rewrite_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            archive.writestr(item, content)
    return out.getvalue()


def test_r9_zip_bomb_is_refused_before_it_expands(settings):
    settings.SHEET_MAX_BYTES = 1024 * 1024
    filler = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 400_000
    data = _rewrite_sheet(
        xlsx([["Όνομα χρήστη", "Επώνυμο"]]),
        lambda c: c.replace(b"</sheetData>", filler + b"</sheetData>"),
    )
    assert len(data) < settings.SHEET_MAX_BYTES
    assert codes(data) in ("sheet.too_large", "sheet.too_many_rows")


def test_r9_sheet_claiming_a_million_rows_is_refused():
    # One value in the last cell would make the parser allocate the whole grid.
    def far_cell(content):
        return content.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            b"</sheetData>",
        )

    data = _rewrite_sheet(xlsx([["Όνομα χρήστη", "Επώνυμο"], ["a", "b"]]), far_cell)
    assert codes(data) == "sheet.too_many_rows"


def test_r9_dimension_claim_alone_is_harmless():
    data = _rewrite_sheet(
        xlsx([["Όνομα χρήστη", "Επώνυμο"], ["a", "b"]]),
        lambda c: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', c),
    )
    assert len(read_sheet(data).rows) == 2


def test_r9_too_many_rows(settings):
    settings.SHEET_MAX_ROWS = 5
    grid = [["Όνομα χρήστη", "Επώνυμο"], *[[f"u{i}", "x"] for i in range(2000)]]
    assert codes(xlsx(grid)) == "sheet.too_many_rows"
    assert codes(csv_bytes(grid)) == "sheet.too_many_rows"


def test_r9_formulas_are_read_as_their_values_never_evaluated():
    wb = openpyxl.Workbook()
    wb.active.append(["Όνομα χρήστη", "Επώνυμο"])
    wb.active.append(['=CONCATENATE("a","b")', '=HYPERLINK("http://evil","x")'])
    table = read_sheet(xlsx([], workbook=wb))
    # openpyxl stores no cached value: the cells read empty, never as the formula text.
    assert table.rows[1:] == []


def test_r9_merged_cells_keep_the_value_in_the_first_cell_only():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Όνομα χρήστη", "Επώνυμο", "Όνομα"])
    ws.append(["gpapadopoulos", "Παπαδόπουλος", "Γιώργος"])
    ws.merge_cells("B2:C2")
    table = read_sheet(xlsx([], workbook=wb))
    assert table.rows[1][1][:2] == ["gpapadopoulos", "Παπαδόπουλος"]
    assert table.rows[1][1][2] == ""


def test_r9_hidden_sheets_are_skipped_the_first_visible_is_read():
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "secret"
    hidden.append(["Όνομα χρήστη", "Επώνυμο"])
    hidden.append(["hiddenuser", "Κρυφός"])
    hidden.sheet_state = "hidden"
    visible = wb.create_sheet("data")
    visible.append(["Όνομα χρήστη", "Επώνυμο"])
    visible.append(["visibleuser", "Φανερός"])
    table = read_sheet(xlsx([], workbook=wb))
    assert table.rows[1][1] == ["visibleuser", "Φανερός"]


def test_r9_escaped_report_cells_are_unescaped():
    assert clean_text("'+306912345678") == "+306912345678"
    assert clean_text("'=1+1") == "=1+1"
    assert clean_text("O'Brien") == "O'Brien"


# ---------------------------------------------------------------- issue 8: crafted escapes


@pytest.mark.parametrize(("name", "make", "code"), CRAFTED, ids=[c[0] for c in CRAFTED])
def test_r9_crafted_file_ends_in_its_code(name, make, code):
    # Before the fix the first four aborted the process (512 GiB), the next two escaped
    # as NotImplementedError and BadZipFile; the in-process parse must agree with the child.
    data = make()
    assert codes(data) == code
    with pytest.raises(SheetError) as caught:
        parse_sheet(data, Limits.from_settings())
    assert caught.value.code == code


def test_r9_a_cell_over_the_cap_is_cut_so_validation_says_too_long():
    cell = "α" * (MAX_CELL_CHARS + 10)
    assert len(clean_text(cell)) == MAX_CELL_CHARS + 1
    assert len(clean_text("x" * 10_000_000)) == MAX_CELL_CHARS + 1
    assert clean_text("x" * MAX_CELL_CHARS) == "x" * MAX_CELL_CHARS
    table = read_sheet(xlsx([["Όνομα χρήστη", "Κινητό"], ["abc", "9" * 50_000]]))
    assert len(table.rows[1][1][1]) == MAX_CELL_CHARS + 1


def test_r9_xlsb_inside_a_zip_is_refused_before_calamine():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    assert codes(out.getvalue()) == "sheet.xlsb"


def test_r9_a_real_xlsb_asks_to_be_saved_as_xlsx():
    data = (CORPUS / "poi/test-data/spreadsheet/Simple.xlsb").read_bytes()
    assert codes(data) == "sheet.xlsb"


# ---------------------------------------------------------------- issue 8: the child process


def test_r9_a_parse_that_needs_more_memory_than_allowed_is_too_complex():
    # POI's 51535.xls makes calamine grow to about 1.1 GB before it can be refused.
    data = (CORPUS / "poi/test-data/spreadsheet/51535.xls").read_bytes()
    assert codes(data) == "sheet.too_complex"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert codes(data) == "sheet.too_complex"
    # The memory went to (and with) the child, not to this process.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _read_while(signal_number: int, data: bytes) -> tuple[str, int]:
    """Read `data` while another thread sends `signal_number` to the child reading it."""
    outcome = {}

    def read():
        try:
            read_sheet(data)
            outcome["code"] = "table"
        except SheetError as exc:
            outcome["code"] = exc.code

    read_sheet(b"a,b\n1,2\n")  # the reader server is running
    server = sandbox._server.process.pid
    worker = threading.Thread(target=read)
    earlier = set(_children(server))  # children still exiting from earlier reads
    worker.start()
    child = 0
    while worker.is_alive() and not child:
        found = [pid for pid in _children(server) if pid not in earlier]
        child = found[0] if found else 0
    if child:
        os.kill(child, signal_number)
    worker.join()
    return outcome["code"], child


def _ends(pid: int) -> bool:
    """Whether `pid` is gone (or a zombie) within a few seconds: SIGKILL is asynchronous."""
    for _ in range(500):
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        threading.Event().wait(0.01)
    return False


def _slow_sheet() -> bytes:
    return csv_bytes([["Όνομα χρήστη", *[f"c{i}" for i in range(150)]]] * 12_000)


def test_r9_a_child_that_never_answers_is_killed_at_the_deadline(settings):
    settings.SHEET_PARSE_SECONDS = 1
    code, child = _read_while(signal.SIGSTOP, _slow_sheet())
    assert child, "the child was not seen"
    assert code == "sheet.too_complex"
    assert _ends(child), "the stopped child was left running"
    assert len(read_sheet(b"a,b\n1,2\n").rows) == 2


def test_r9_a_child_killed_mid_parse_is_too_complex_and_the_next_read_works():
    code, child = _read_while(signal.SIGKILL, _slow_sheet())
    assert child
    assert code == "sheet.too_complex"
    assert len(read_sheet(b"a,b\n1,2\n").rows) == 2


def test_r9_a_dead_reader_server_is_started_again():
    read_sheet(b"a,b\n1,2\n")
    old = sandbox._server.process
    old.kill()
    old.wait()
    assert len(read_sheet(b"a,b\n1,2\n").rows) == 2
    assert sandbox._server.process.pid != old.pid


def test_r9_a_chartsheet_first_does_not_hide_the_worksheet_from_the_scan():
    # Kleidi reads the first visible worksheet: the scan must not stop at a chartsheet.
    def chart_first(content):
        return content.replace(
            b"<sheets>",
            b'<sheets><sheet name="Chart" sheetId="9" r:id="rIdChart"/>',
        )

    data = rewrite(valid(), change=far)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = chart_first(content)
            if item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdChart" Target="charts/chart1.xml" Type="http://'
                    b'schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet"/>'
                    b"</Relationships>",
                )
            archive.writestr(item, content)
        archive.writestr("xl/charts/chart1.xml", b"<chartsheet/>")
    assert codes(out.getvalue()) == "sheet.too_many_rows"
    with pytest.raises(SheetError) as caught:
        parse_sheet(out.getvalue())
    assert caught.value.code == "sheet.too_many_rows"
