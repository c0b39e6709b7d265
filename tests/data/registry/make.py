"""Write the registry feed test files beside this script (README.md says what each is).

Run `uv run python tests/data/registry/make.py`; the output is the same byte for
byte every time (fixed zip timestamps, no library that stamps the date), and
`tests/registry/test_feed.py` checks that the committed files are what it writes.
The .xlsx files are written with zipfile, not openpyxl: the smallest workbook
calamine reads, with inline strings, so a claimed dimension is exactly what
this script puts there.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

HEADER = [
    "systemID",
    "registrationID",
    "SSN",
    "TIN",
    "departmentID",
    "lastNameEl",
    "firstNameEl",
    "fatherFirstNameEl",
    "motherFirstNameEl",
    "lastNameEn",
    "firstNameEn",
    "fatherFirstNameEn",
    "motherFirstNameEn",
    "birthDate",
    "gender",
    "extEmail",
    "mobilePhone",
    "enrollmentStatus",
    "enrollmentStatusDate",
    "enrollmentType",
    "loginName",
]

# Two schools (el: electrical, ch: chemical), every status and admission route;
# SSN and TIN hold obviously fake values and must never reach a record.
STUDENTS = [
    ["1001", "03118001", "00000000001", "000000001", "el", "Παπαδόπουλος", "Γιώργος",
     "Νικόλαος", "Μαρία", "Papadopoulos", "Georgios", "Nikolaos", "Maria", "2004-03-12",
     "M", "gpapadopoulos@gmail.com", "6912345671", "active", "2022-09-15", "national_exams",
     ""],
    ["1002", "03118002", "00000000002", "000000002", "el", "Κωνσταντίνου", "Ελένη",
     "Δημήτριος", "Αικατερίνη", "Konstantinou", "Eleni", "Dimitrios", "Aikaterini",
     "12/05/2004", "F", "eleni.k@yahoo.gr", "+30 691 234 5672", "interim", "15/09/2022",
     "Πανελλήνιες", "el18002"],
    ["1003", "03118003", "00000000003", "000000003", "el", "Γεωργίου", "Δημήτρης", "-",
     "Σοφία", "Georgiou", "Dimitris", "", "Sofia", "2003-01-30", "M", "", "6912345673",
     "active", "2022-09-15", "national_exams", ""],
    ["1004", "03118004", "00000000004", "000000004", "el", "Αντωνίου", "Μαρία", "Ιωάννης",
     "Ελένη", "Antoniou", "Maria", "Ioannis", "Eleni", "2004-07-01", "F",
     "mantoniou@central.ntua.gr", "6912345674", "active", "2022-09-15", "national_exams",
     ""],
    ["1005", "03118005", "00000000005", "000000005", "el", "Οικονόμου", "Νίκος", "Πέτρος",
     "Άννα", "Oikonomou", "Nikos", "Petros", "Anna", "2003-11-11", "M", "noik@outlook.com",
     "6912345675", "active", "2023-02-01", "μετεγγραφή", ""],
    ["1006", "03114006", "00000000006", "000000006", "el", "Δημητρίου", "Κατερίνα",
     "Γεώργιος", "Ζωή", "Dimitriou", "Katerina", "Georgios", "Zoi", "2000-02-02", "F",
     "kdim@gmail.com", "6912345676", "graduated", "2026-07-10", "national_exams", ""],
    ["1007", "03119007", "00000000007", "000000007", "el", "Μαρκόπουλος", "Άγγελος",
     "Σπύρος", "Ειρήνη", "Markopoulos", "Angelos", "Spyros", "Eirini", "2005-05-05", "M",
     "amarko@gmail.com", "6912345677", "διαγραφή", "2025-01-20", "national_exams", ""],
    ["2001", "05118001", "00000000008", "000000008", "ch", "Σταθοπούλου", "Χριστίνα",
     "Αθανάσιος", "Βασιλική", "Stathopoulou", "Christina", "Athanasios", "Vasiliki",
     "2004-09-09", "F", "cstath@gmail.com", "6912345678", "ενεργός", "2022-09-15",
     "national_exams", ""],
    ["2002", "05118002", "00000000009", "000000009", "ch", "Λαμπράκη", "Ιωάννα", "Μιχάλης",
     "Δέσποινα", "Lamprakis", "Ioanna", "Michalis", "Despoina", "2004-10-10", "F",
     "ilamprak@gmail.com", "6912345679", "active", "2022-09-15", "ειδική κατηγορία", ""],
    ["2003", "05117003", "00000000010", "000000010", "ch", "Νικολάου", "Παναγιώτης",
     "Κώστας", "Γεωργία", "Nikolaou", "Panagiotis", "Kostas", "Georgia", "2001-12-24", "M",
     "pnikol@gmail.com", "6912345680", "διπλωματούχος", "2026-06-30", "Πανελλήνιες", ""],
    # The same registration number as el's first student, in another school: no duplicate.
    ["2004", "03118001", "00000000011", "000000011", "ch", "Ιωάννου", "Στέλιος",
     "Αλέξανδρος", "Χαρά", "Ioannou", "Stelios", "Alexandros", "Chara", "2004-04-04", "M",
     "sioannou@gmail.com", "6912345681", "active", "2022-09-15", "national_exams", ""],
]  # fmt: skip


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_xml(rows: list[list[str]], *, dimension: str | None = None, extra: str = "") -> bytes:
    """A worksheet with inline strings; `extra` is raw XML appended inside sheetData."""
    body = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_column(i)}{number}", v) for i, v in enumerate(row) if v)
        body.append(f'<row r="{number}">{cells}</row>')
    last = f"{_column(max(len(r) for r in rows) - 1)}{len(rows)}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension or "A1:" + last}"/>'
        f"<sheetData>{''.join(body)}{extra}</sheetData></worksheet>"
    ).encode()


_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="V_VD_SIS" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def xlsx(sheet: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in [*_PARTS.items(), ("xl/worksheets/sheet1.xml", sheet)]:
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


def ods(rows: list[list[str]]) -> bytes:
    """The smallest OpenDocument spreadsheet calamine reads: one table of strings."""
    body = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p>'
            "</table:table-cell>"
            if v
            else "<table:table-cell/>"
            for v in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="V_VD_SIS">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data, method in [
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
        ]:
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return out.getvalue()


def files() -> dict[str, bytes]:
    """Every file's name and bytes."""
    rows = [HEADER, *STUDENTS]
    # el's second student twice (another systemID): row.duplicate on both records.
    again = list(STUDENTS[1])
    again[0] = "1099"
    duplicated = [HEADER, *STUDENTS, again]
    # A provisioning sheet sent as the feed by mistake: the secretariat's columns.
    wrong = [
        ["Όνομα χρήστη", "Επώνυμο", "Όνομα", "Κινητό τηλέφωνο", "Email εκτός ΕΜΠ"],
        ["gpapadopoulos", "Παπαδόπουλος", "Γιώργος", "6912345671", "gp@gmail.com"],
    ]
    far_row = f'<row r="1000000">{_cell("A1000000", "03118999")}</row>'
    return {
        "valid.csv": csv_text(rows).encode("utf-8"),
        "valid.xlsx": xlsx(sheet_xml(rows)),
        "valid.ods": ods(rows),
        "cp1253.csv": csv_text(rows, ";").encode("cp1253"),
        "bom.csv": b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"),
        "wrong_columns.csv": csv_text(wrong).encode("utf-8"),
        "duplicated_ids.csv": csv_text(duplicated).encode("utf-8"),
        "million_rows.xlsx": xlsx(sheet_xml(rows[:3], dimension="A1:U1000000", extra=far_row)),
    }


def main() -> None:
    for name, content in files().items():
        (HERE / name).write_bytes(content)
        print(f"{name}: {len(content)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
