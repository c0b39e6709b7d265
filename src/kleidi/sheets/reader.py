"""Reading an uploaded sheet into rows of clean cells (R9, §6).

python-calamine reads .xlsx, .xls and .ods; CSV goes through the standard
library. Calamine allocates a dense grid up to the farthest cell that holds a
value, so a tiny file with one value in cell XFD1048576 would ask for half a
terabyte: before calamine sees an .xlsx or .ods, its zip is checked (entry
count, declared sizes) and the chosen sheet's XML is scanned, streaming and
with a cap on the decompressed bytes, for the farthest row and column that
hold a value. An .xls is bounded by its format (65,536 × 256).

Cells come out as text or as `datetime.date` (date cells): numbers without a
trailing `.0`, text as written (leading zeros kept), Unicode NFC, invisible
characters dropped, every kind of space turned into one plain space, trimmed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import python_calamine
from django.conf import settings

Cell = str | dt.date

# Limits that follow from the settings' byte limit.
MAX_ZIP_ENTRIES = 2_000
MAX_COLUMNS = 200
# Rows above the header and blank rows between data rows are allowed, up to this many.
ROW_SLACK = 1_000
# Office XML is verbose: a legitimate sheet decompresses to at most this many times its size.
XML_EXPANSION = 16
CHUNK = 1 << 20

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class SheetError(Exception):
    """A sheet-level problem: a stable code and its message parameters."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Table:
    """The first visible sheet: (spreadsheet row number, cells) for every non-empty row."""

    rows: list[tuple[int, list[Cell]]]
    format: str


def read_sheet(data: bytes, filename: str = "") -> Table:
    """Read `data` (the whole upload) or raise SheetError."""
    if len(data) > settings.SHEET_MAX_BYTES:
        raise SheetError("sheet.too_large", max_mb=_max_mb())
    if not data.strip():
        raise SheetError("sheet.unreadable", detail="empty")
    if data.startswith(ZIP_MAGIC):
        fmt = _guard_zip(data)
        return _read_calamine(data, fmt)
    if data.startswith(OLE2_MAGIC):
        # .xls, or an encrypted .xlsx (an OLE2 container): calamine refuses the latter.
        return _read_calamine(data, "xls")
    return _read_csv(data)


def _max_mb() -> int:
    return max(1, settings.SHEET_MAX_BYTES // (1024 * 1024))


def _row_limit() -> int:
    return settings.SHEET_MAX_ROWS + ROW_SLACK


# --------------------------------------------------------------------------
# Cells

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\x00-\x08\x0e-\x1f\x7f-\x9f]"
)


_ESCAPED = frozenset("=+-@\t\r")


def clean_text(value: str) -> str:
    """NFC, invisible characters dropped, all whitespace (NBSP too) collapsed, trimmed.

    A leading apostrophe before `=`, `+`, `-`, `@`, tab or CR is the escape
    Kleidi's own reports write (§6), and is removed.
    """
    if value[:1] == "'" and value[1:2] in _ESCAPED:
        value = value[1:]
    if value.isascii():
        if value.isprintable() and "  " not in value:
            return value.strip()
        return " ".join(_INVISIBLE.sub("", value).split())
    value = _INVISIBLE.sub("", value)
    value = " ".join(value.split())
    return unicodedata.normalize("NFC", value)


def clean_cell(value) -> Cell:
    """One cell as text or a date; numbers lose a trailing `.0`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        return ""
    return clean_text(str(value))


# --------------------------------------------------------------------------
# Zip guard for .xlsx and .ods

_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s>/]([^>]*)>?")
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]*)(\d+)["']""")
_WIDE_CELL = re.compile(rb'<c r="[A-Za-z]{2}')
_FAR_CELL = re.compile(rb'<c r="[A-Za-z](\d{5,})"')

_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)\b([^>]*)>")
_ODS_ROWS_REPEATED = re.compile(rb"""table:number-rows-repeated\s*=\s*["'](\d+)["']""")
_ODS_COLS_REPEATED = re.compile(rb"""table:number-columns-repeated\s*=\s*["'](\d+)["']""")
_ODS_VALUE = re.compile(rb"office:value-type|office:string-value")


def _guard_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SheetError("sheet.unreadable", detail="bad zip") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SheetError("sheet.unreadable", detail="too many zip entries")
    cap = settings.SHEET_MAX_BYTES * XML_EXPANSION
    if sum(info.file_size for info in infos) > cap:
        raise SheetError("sheet.too_large", max_mb=_max_mb())
    names = {info.filename for info in infos}
    if any(info.flag_bits & 0x1 for info in infos):
        raise SheetError("sheet.unreadable", detail="encrypted")
    if "xl/workbook.xml" in names:
        path = _first_visible_xlsx_sheet(archive, names)
        if path:
            _scan(archive, path, cap, _XlsxScanner())
        return "xlsx"
    if "content.xml" in names:
        _scan(archive, "content.xml", cap, _OdsScanner())
        return "ods"
    raise SheetError("sheet.unreadable", detail="zip without a workbook")


_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b([^>]*)/?>")


def _small(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as handle:
        content = handle.read(CHUNK * 8 + 1)
    if len(content) > CHUNK * 8:
        raise SheetError("sheet.too_large", max_mb=_max_mb())
    return content


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {key.split(b":")[-1]: value for key, value in _ATTR.findall(raw)}


def _first_visible_xlsx_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part name of the first visible worksheet, as calamine will choose it."""
    try:
        workbook = _small(archive, "xl/workbook.xml")
        rels = _small(archive, "xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    targets = {}
    for raw in _RELATIONSHIP.findall(rels):
        attrs = _attrs(raw)
        targets[attrs.get(b"Id", b"")] = attrs.get(b"Target", b"").decode("utf-8", "replace")
    for raw in _SHEET_TAG.findall(workbook):
        attrs = _attrs(raw)
        if attrs.get(b"state", b"visible") != b"visible":
            continue
        target = targets.get(attrs.get(b"id", b""), "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        return path if path in names else None
    return None


class _XlsxScanner:
    """The farthest row and column of a cell with a value (self-closing cells are empty)."""

    def __init__(self):
        self.row = 0
        self.col = 0

    @staticmethod
    def _clearly_small(chunk: bytes) -> bool:
        """A quick, safe answer for the usual sheet; anything unusual gets the full scan.

        Safe when every cell is written `<c r="X9"` (as Excel, LibreOffice and
        openpyxl do), no reference has a two-letter column, and no row number
        has five digits or more that exceeds the limit.
        """
        cells = chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/")
        if cells != chunk.count(b'<c r="') or _WIDE_CELL.search(chunk):
            return False
        limit = _row_limit()
        return all(int(found) <= limit for found in _FAR_CELL.findall(chunk))

    def feed(self, chunk: bytes) -> None:
        if self._clearly_small(chunk):
            return
        for match in _ROW_OR_CELL.finditer(chunk):
            tag, attrs = match.group(1), match.group(2)
            ref = _REF.search(attrs)
            if tag == b"row":
                self.row = int(ref.group(2)) if ref else self.row + 1
                self.col = 0
                continue
            if ref:
                self.row = int(ref.group(2))
                self.col = _column_number(ref.group(1)) if ref.group(1) else self.col + 1
            else:
                self.col += 1
            if attrs.rstrip().endswith(b"/"):
                continue
            _check_bounds(self.row, self.col)


class _OdsScanner:
    """The same for ODS, where rows and cells carry repeat counts."""

    def __init__(self):
        self.tables = 0
        self.row = 0
        self.col = 0
        self.repeat = 1
        self.row_has_value = False

    def feed(self, chunk: bytes) -> None:
        for closing, tag, attrs in _ODS_TAG.findall(chunk):
            if tag == b"table":
                if not closing:
                    self.tables += 1
                continue
            if self.tables != 1:
                continue  # only the first sheet is read
            if tag == b"table-row":
                if closing:
                    self.row += self.repeat
                    if self.row_has_value:
                        _check_bounds(self.row, 1)
                    continue
                found = _ODS_ROWS_REPEATED.search(attrs)
                self.repeat = int(found.group(1)) if found else 1
                self.col = 0
                self.row_has_value = False
                if attrs.rstrip().endswith(b"/"):
                    self.row += self.repeat
                continue
            if closing:
                continue
            found = _ODS_COLS_REPEATED.search(attrs)
            self.col += int(found.group(1)) if found else 1
            if _ODS_VALUE.search(attrs):
                self.row_has_value = True
                _check_bounds(self.row + self.repeat, self.col)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


def _check_bounds(row: int, col: int) -> None:
    if row > _row_limit():
        raise SheetError("sheet.too_many_rows", max=settings.SHEET_MAX_ROWS)
    if col > MAX_COLUMNS:
        raise SheetError("sheet.too_many_columns", max=MAX_COLUMNS)


def _scan(archive: zipfile.ZipFile, name: str, cap: int, scanner) -> None:
    """Stream one XML part through `scanner`, cutting chunks at a tag start."""
    total = 0
    carry = b""
    try:
        with archive.open(name) as handle:
            while chunk := handle.read(CHUNK):
                total += len(chunk)
                if total > cap:
                    raise SheetError("sheet.too_large", max_mb=_max_mb())
                buffer = carry + chunk
                cut = buffer.rfind(b"<")
                if cut <= 0 or len(buffer) - cut > CHUNK:
                    cut = len(buffer)
                scanner.feed(buffer[:cut])
                carry = buffer[cut:]
            scanner.feed(carry)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        raise SheetError("sheet.unreadable", detail="damaged zip") from None


# --------------------------------------------------------------------------
# Calamine


def _read_calamine(data: bytes, fmt: str) -> Table:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        index = _first_visible_index(workbook)
        sheet = workbook.get_sheet_by_index(index)
        if sheet.height > _row_limit():
            raise SheetError("sheet.too_many_rows", max=settings.SHEET_MAX_ROWS)
        if sheet.width > MAX_COLUMNS:
            raise SheetError("sheet.too_many_columns", max=MAX_COLUMNS)
        raw_rows = sheet.to_python(skip_empty_area=False)
    except SheetError:
        raise
    except BaseException as exc:
        # Calamine raises its own errors, ValueError, and Rust panics (a BaseException
        # subclass) on damaged input; all mean the same to the secretariat.
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise SheetError("sheet.unreadable", detail=fmt) from None
    rows = []
    for number, raw in enumerate(raw_rows, start=1):
        cells = [clean_cell(value) for value in raw]
        if any(cell != "" for cell in cells):
            rows.append((number, cells))
    return Table(rows=rows, format=fmt)


def _first_visible_index(workbook) -> int:
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == python_calamine.SheetVisibleEnum.Visible and (
            meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ):
            return index
    raise SheetError("sheet.unreadable", detail="no visible worksheet")


# --------------------------------------------------------------------------
# CSV


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise SheetError("sheet.unreadable", detail="binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Greek Windows (Excel's "CSV" on a Greek system).
        return data.decode("cp1253")
    except UnicodeDecodeError:
        raise SheetError("sheet.unreadable", detail="encoding") from None


def _read_csv(data: bytes) -> Table:
    try:
        text = _decode(data)
    except UnicodeError:
        raise SheetError("sheet.unreadable", detail="encoding") from None
    if "\x00" in text:
        raise SheetError("sheet.unreadable", detail="binary")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, raw in enumerate(reader, start=1):
            if number > _row_limit():
                raise SheetError("sheet.too_many_rows", max=settings.SHEET_MAX_ROWS)
            if len(raw) > MAX_COLUMNS:
                raise SheetError("sheet.too_many_columns", max=MAX_COLUMNS)
            cells = [clean_text(value) for value in raw]
            if any(cells):
                rows.append((number, cells))
    except csv.Error:
        raise SheetError("sheet.unreadable", detail="csv") from None
    return Table(rows=rows, format="csv")
