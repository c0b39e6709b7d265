"""Reading the guide's sheet as secretariats' software writes it (issue 9, item 7).

Excel's `;` CSV on Greek Windows, part names spelled with `\\` or `./` or in
capitals, and .xlsb.
"""

import csv
import io
import re
import zipfile

import pytest

from kleidi.sheets.reader import read_sheet
from kleidi.sheets.validation import validate
from tests.sheets.test_guide import GUIDE, TODAY, make

pytestmark = pytest.mark.django_db


def test_r9_a_semicolon_csv_with_commas_in_the_address_is_read_with_semicolons(school_el):
    """Every row as many commas as the header: the standard sniffer alone picks `,`."""
    rows = [";".join(make.HEADERS)]
    for row in make.ROWS:
        username, full, father, mother, address, mobile, email, am = row[:8]
        director = row[8].replace(",", "")  # one comma fewer than the address, on every row
        rows.append(";".join([username, full, father, mother, address, mobile, email, am]))
        rows[-1] += f";{director};30/09/2027"
    data = "\r\n".join(rows).encode("cp1253")
    assert csv.Sniffer().sniff(data.decode("cp1253"), delimiters=",;\t|").delimiter == ","
    table = read_sheet(data, "guide.csv")
    assert table.rows[0][1] == make.HEADERS
    result = validate(table, school=school_el, kind="postgraduate", today=TODAY)
    assert result.errors == []
    assert result.actions() == {"create": 8}


@pytest.mark.parametrize(
    "text", ["a;b,c;d\r\n1;2,3;4\r\n5;6,7;8\r\n", "a|b;c\r\n1|2;3\r\n", "a\tb\r\n1\t2\r\n"]
)
def test_r9_a_csv_without_kleidis_headers_keeps_the_sniffers_delimiter(text):
    sniffed = csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    table = read_sheet(text.encode())
    assert table.rows[0][1] == text.splitlines()[0].split(sniffed)


def _repackaged(data: bytes, name, relations=lambda content: content) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.endswith(".rels"):
                content = relations(content)
            archive.writestr(name(info.filename), content)
    return out.getvalue()


def _targets(change):
    pattern = re.compile(rb'Target="([^"]*)"')
    return lambda content: pattern.sub(lambda m: b'Target="' + change(m[1]) + b'"', content)


@pytest.mark.parametrize("source", ["guide.xlsx", "guide-lo.xlsx"])
@pytest.mark.parametrize(
    ("name", "relations"),
    [
        # Part names and relation targets with backslashes (some Windows generators).
        (lambda n: n.replace("/", "\\"), _targets(lambda t: t.replace(b"/", b"\\"))),
        # Every name and target in capitals.
        (str.upper, _targets(bytes.upper)),
        # `./` before a target, as some writers put it.
        (lambda n: n, _targets(lambda t: t if t.startswith(b"/") else b"./" + t)),
    ],
    ids=["backslash", "capitals", "dot-slash"],
)
def test_r9_valid_xlsx_with_other_part_name_spellings_is_read(school_el, source, name, relations):
    data = _repackaged((GUIDE / source).read_bytes(), name, relations)
    table = read_sheet(data, source)
    assert table.rows == read_sheet((GUIDE / source).read_bytes(), source).rows
    result = validate(table, school=school_el, kind="postgraduate", today=TODAY)
    assert result.errors == []
