"""Crafted hostile workbooks (written here with zipfile), each with the code it must end in.

Each reproduces an escape found in review (issue 8): a part name that differs
from its relation only in letter case, by a backslash or by `./` (the bounds
scan was skipped while calamine still found the part, and one cell at
XFD1048576 made the process abort allocating 512 GiB), an unsupported
compression method (NotImplementedError), a bad CRC (BadZipFile, HTTP 500),
and one enormous cell (a 105 MB stored result).
"""

import io
import struct
import zipfile

from tests.sheets.factories import person_row, table, xlsx

SHEET = "xl/worksheets/sheet1.xml"
FAR_CELL = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def valid() -> bytes:
    return xlsx(table([person_row(1)]))


def rewrite(data: bytes, *, rename=None, change=None, rels=None) -> bytes:
    """Copy an .xlsx, renaming or changing its first sheet and its workbook relations."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            name, content = info.filename, source.read(info.filename)
            if name == SHEET:
                content = change(content) if change else content
                name = rename or name
            if name == "xl/_rels/workbook.xml.rels" and rels:
                content = content.replace(b'Target="/xl/worksheets/sheet1.xml"', rels)
            archive.writestr(name, content)
    return out.getvalue()


def far(content: bytes) -> bytes:
    return content.replace(b"</sheetData>", FAR_CELL + b"</sheetData>")


def renamed_far_cell(spelling: str) -> bytes:
    """The far cell in a sheet whose zip entry is spelled differently from its relation."""
    return rewrite(valid(), rename=spelling, change=far)


def relation_far_cell(target: bytes) -> bytes:
    """The far cell, the relation spelling the (unchanged) entry differently."""
    return rewrite(valid(), change=far, rels=b'Target="' + target + b'"')


def _patch_headers(data: bytes, name: str, offset_local: int, offset_central: int, value: bytes):
    """Overwrite a field of `name`'s local and central headers."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    local = info.header_offset
    out[local + offset_local : local + offset_local + len(value)] = value
    position = 0
    encoded = name.encode()
    while (position := out.find(b"PK\x01\x02", position + 1)) != -1:
        length = struct.unpack("<H", out[position + 28 : position + 30])[0]
        if bytes(out[position + 46 : position + 46 + length]) == encoded:
            out[position + offset_central : position + offset_central + len(value)] = value
    return bytes(out)


def unsupported_compression() -> bytes:
    """xl/workbook.xml claiming method 9 (Deflate64), which zipfile cannot read."""
    return _patch_headers(valid(), "xl/workbook.xml", 8, 10, struct.pack("<H", 9))


def bad_crc() -> bytes:
    """xl/workbook.xml with a wrong CRC-32."""
    return _patch_headers(valid(), "xl/workbook.xml", 14, 16, b"\x00\x00\x00\x00")


def huge_cell(megabytes: int = 20) -> bytes:
    """One inline cell of `megabytes` MB: a tiny file (it compresses 1000:1)."""
    text = b'<c r="B2" t="inlineStr"><is><t>' + b"a" * (megabytes << 20) + b"</t></is></c>"
    return rewrite(
        valid(),
        change=lambda c: c.replace(b'<c r="B2"', text + b'<c r="B2x"', 1),
    )


# (name, file factory, the code it must end in)
FAR_CELLS = [
    ("entry in other letter case", lambda: renamed_far_cell("xl/worksheets/Sheet1.xml")),
    ("entry all capitals", lambda: renamed_far_cell("XL/WORKSHEETS/SHEET1.XML")),
    ("entry with backslashes", lambda: renamed_far_cell("xl\\worksheets\\sheet1.xml")),
    ("entry with ./", lambda: renamed_far_cell("xl/./worksheets/sheet1.xml")),
    ("relation in other letter case", lambda: relation_far_cell(b"/XL/Worksheets/Sheet1.xml")),
    ("relation with ./", lambda: relation_far_cell(b"./worksheets/sheet1.xml")),
    ("relation with backslash", lambda: relation_far_cell(b"worksheets\\sheet1.xml")),
]
CRAFTED = [(name, make, "sheet.too_many_rows") for name, make in FAR_CELLS] + [
    ("unsupported compression method", unsupported_compression, "sheet.unreadable"),
    ("bad CRC", bad_crc, "sheet.unreadable"),
    ("one 20 MB cell", huge_cell, "field.too_long"),
]
