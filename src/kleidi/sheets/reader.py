"""Reading an uploaded sheet into rows of clean cells (R9, §6).

python-calamine reads .xlsx, .xls and .ods; CSV goes through the standard
library. Calamine allocates a dense grid up to the farthest cell that holds a
value, so a tiny file with one value in cell XFD1048576 would ask for half a
terabyte: before calamine sees an .xlsx or .ods, its zip is checked (entry
count, declared sizes) and the chosen sheet's XML is scanned, streaming and
with a cap on the decompressed bytes, for the farthest row and column that
hold a value. An .xls is bounded by its format (65,536 × 256). Part names are
matched the way calamine matches them (letter case, `\\`, `./`, `../`), so a
name spelled differently in the relations cannot skip the scan.

The guard is the first line; the second is `kleidi.sheets.sandbox`:
`read_sheet` parses in a child process with bounded memory and time, so a
reader bug that the guard does not foresee costs one child, never the server.
`parse_sheet` is the same parse in the calling process, for that child.

Cells come out as text or as `datetime.date` (date cells): numbers without a
trailing `.0`, text as written (leading zeros kept), Unicode NFC, invisible
characters dropped, every kind of space turned into one plain space, trimmed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

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
# A single cell holds at most this many characters (after cleaning); a longer one is
# cut to MAX_CELL_CHARS + 1 characters, which validation reports as field.too_long.
MAX_CELL_CHARS = 4_000
# A cell is not even cleaned beyond this many characters as stored.
RAW_CELL_CHARS = 4 * MAX_CELL_CHARS
# XML text without a tag for this many bytes holds more than RAW_CELL_CHARS
# characters whatever its encoding (an entity such as &#x10FFFF; is 10 bytes).
LONG_TEXT_BYTES = 10 * RAW_CELL_CHARS
# Compression methods Office and LibreOffice write: stored and deflated.
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
# What a damaged zip raises from the standard library.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    KeyError,
    IndexError,
    OverflowError,
)

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
    # The peak memory of the child process that read it (0 when read in process).
    peak_mb: float = 0.0


@dataclass(frozen=True)
class Limits:
    """The settings a parse needs, passed explicitly: the child has no Django settings."""

    max_bytes: int
    max_rows: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(max_bytes=settings.SHEET_MAX_BYTES, max_rows=settings.SHEET_MAX_ROWS)

    @property
    def max_mb(self) -> int:
        return max(1, self.max_bytes // (1024 * 1024))

    @property
    def row_limit(self) -> int:
        return self.max_rows + ROW_SLACK


def read_sheet(data: bytes, filename: str = "") -> Table:
    """Read `data` (the whole upload) in a bounded child process, or raise SheetError."""
    from kleidi.sheets import sandbox

    return sandbox.read_in_child(data, Limits.from_settings())


def parse_sheet(data: bytes, limits: Limits | None = None) -> Table:
    """The parse itself, in this process: only for the sandbox's child and the guard's tests."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.max_bytes:
        raise SheetError("sheet.too_large", max_mb=limits.max_mb)
    if not data.strip():
        raise SheetError("sheet.unreadable", detail="empty")
    if data.startswith(ZIP_MAGIC):
        fmt = _guard_zip(data, limits)
        return _read_calamine(data, fmt, limits)
    if data.startswith(OLE2_MAGIC):
        # .xls, or an encrypted .xlsx (an OLE2 container): calamine refuses the latter.
        return _read_calamine(data, "xls", limits)
    return _read_csv(data, limits)


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
    Kleidi's own reports write (§6), and is removed. A cell over MAX_CELL_CHARS
    comes out as MAX_CELL_CHARS + 1 characters ending in `…` (validation says
    field.too_long), so no huge value travels further.
    """
    if len(value) > RAW_CELL_CHARS:
        return _too_long(value)
    cleaned = _clean(value)
    if len(cleaned) > MAX_CELL_CHARS:
        return cleaned[:MAX_CELL_CHARS] + "…"
    return cleaned


def _clean(value: str) -> str:
    if value[:1] == "'" and value[1:2] in _ESCAPED:
        value = value[1:]
    if value.isascii():
        if value.isprintable() and "  " not in value:
            return value.strip()
        return " ".join(_INVISIBLE.sub("", value).split())
    value = _INVISIBLE.sub("", value)
    value = " ".join(value.split())
    return unicodedata.normalize("NFC", value)


def _too_long(value: str) -> str:
    """A cell over the cap, cut to MAX_CELL_CHARS + 1 characters so validation sees it."""
    cut = _clean(value[:RAW_CELL_CHARS])
    return (cut[:MAX_CELL_CHARS] + "…").ljust(MAX_CELL_CHARS + 1, "…")


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


def _guard_zip(data: bytes, limits: Limits) -> str:
    """Check the zip and scan the part calamine will read; any damage is sheet.unreadable."""
    try:
        return _check_zip(data, limits)
    except SheetError:
        raise
    except ZIP_ERRORS:
        raise SheetError("sheet.unreadable", detail="damaged zip") from None


def _check_zip(data: bytes, limits: Limits) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SheetError("sheet.unreadable", detail="too many zip entries")
    cap = limits.max_bytes * XML_EXPANSION
    if sum(info.file_size for info in infos) > cap:
        raise SheetError("sheet.too_large", max_mb=limits.max_mb)
    if any(info.flag_bits & 0x1 for info in infos):
        raise SheetError("sheet.unreadable", detail="encrypted")
    if any(info.compress_type not in ZIP_METHODS for info in infos):
        raise SheetError("sheet.unreadable", detail="compression method")
    parts = _Parts(archive)
    if parts.find("xl/workbook.bin"):
        raise SheetError("sheet.unreadable", detail="xlsb")
    workbook = parts.workbook()
    fmt = None
    if workbook:
        fmt = "xlsx"
        for name in parts.first_visible_sheet(workbook):
            _scan(archive, name, cap, _XlsxScanner(limits), limits)
        for name in parts.shared_strings(workbook):
            _scan(archive, name, cap, _TextScanner(), limits)
    # A zip may hold both; calamine may fall back to either, so both are scanned.
    for name in parts.find("content.xml"):
        fmt = fmt or "ods"
        _scan(archive, name, cap, _OdsScanner(limits), limits)
    if fmt is None:
        raise SheetError("sheet.unreadable", detail="zip without a workbook")
    return fmt


_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b([^>]*)/?>")


def _small(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as handle:
        content = handle.read(CHUNK * 8 + 1)
    if len(content) > CHUNK * 8:
        raise SheetError("sheet.unreadable", detail="oversized workbook part")
    return content


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {key.split(b":")[-1]: value for key, value in _ATTR.findall(raw)}


def part_key(name: str) -> str:
    """A part name as calamine matches it: `\\` is `/`, `.` and `..` resolved, any case."""
    name = name.replace("\\", "/")
    name = posixpath.normpath("/" + name).lstrip("/")
    return name.lower()


class _Parts:
    """The zip's entries by part_key; a key may name several entries (all are scanned)."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.by_key: dict[str, list[str]] = {}
        for info in archive.infolist():
            self.by_key.setdefault(part_key(info.filename), []).append(info.filename)

    def find(self, name: str) -> list[str]:
        return self.by_key.get(part_key(name), [])

    def read(self, name: str) -> bytes | None:
        found = self.find(name)
        return _small(self.archive, found[-1]) if found else None

    def relations(self, part: str) -> list[dict[bytes, bytes]]:
        folder, base = posixpath.split(part_key(part))
        content = self.read(posixpath.join(folder, "_rels", base + ".rels"))
        return [_attrs(raw) for raw in _RELATIONSHIP.findall(content or b"")]

    @staticmethod
    def _target(part: str, target: bytes) -> str:
        text = target.decode("utf-8", "replace")
        if text.startswith(("/", "\\")):
            return text
        return posixpath.join(posixpath.dirname(part_key(part)), text)

    def workbook(self) -> str | None:
        """The workbook part: the package's officeDocument relation, else xl/workbook.xml."""
        for attrs in self.relations(""):
            if attrs.get(b"Type", b"").endswith(b"/officeDocument"):
                target = self._target("", attrs.get(b"Target", b""))
                if self.find(target):
                    return target
        return "xl/workbook.xml" if self.find("xl/workbook.xml") else None

    def first_visible_sheet(self, workbook: str) -> list[str]:
        """The entries of the first visible sheet as calamine chooses it.

        When its target cannot be told (no relation, no such entry), every
        XML part is scanned: a name the guard does not resolve must not escape it.
        """
        relations = {attrs.get(b"Id", b""): attrs for attrs in self.relations(workbook)}
        content = self.read(workbook) or b""
        for raw in _SHEET_TAG.findall(content):
            attrs = _attrs(raw)
            if attrs.get(b"state", b"visible") != b"visible":
                continue
            relation = relations.get(attrs.get(b"id", b""), {})
            kind = relation.get(b"Type", b"")
            if kind.endswith((b"/chartsheet", b"/dialogsheet")):
                continue  # Kleidi reads the first visible *worksheet*
            target = relation.get(b"Target")
            found = self.find(self._target(workbook, target)) if target else []
            return found or self._every_xml_part()
        return self._every_xml_part()

    def shared_strings(self, workbook: str) -> list[str]:
        names = []
        for attrs in self.relations(workbook):
            if attrs.get(b"Type", b"").endswith(b"/sharedStrings"):
                names += self.find(self._target(workbook, attrs.get(b"Target", b"")))
        for key, found in self.by_key.items():
            if key.endswith("sharedstrings.xml"):
                names += found
        return sorted(set(names))

    def _every_xml_part(self) -> list[str]:
        parts = self.by_key.items()
        return [name for key, found in parts if key.endswith(".xml") for name in found]


def _has_long_text(chunk: bytes) -> bool:
    """Whether `chunk` has a run of more than LONG_TEXT_BYTES without a tag.

    Such a run contains a whole block of half that length at a multiple of it,
    so one search per block (at C speed) finds every candidate.
    """
    step = LONG_TEXT_BYTES // 2
    for start in range(0, len(chunk), step):
        if chunk.find(b"<", start, start + step) != -1:
            continue
        begin = chunk.rfind(b"<", 0, start) + 1
        end = chunk.find(b"<", start + step)
        if (len(chunk) if end == -1 else end) - begin > LONG_TEXT_BYTES:
            return True
    return False


def _check_text(chunk: bytes) -> None:
    if _has_long_text(chunk):
        raise SheetError("field.too_long", max=MAX_CELL_CHARS)


class _TextScanner:
    """Shared strings: only the length of each text."""

    def feed(self, chunk: bytes) -> None:
        _check_text(chunk)


class _XlsxScanner:
    """The farthest row and column of a cell with a value (self-closing cells are empty)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row = 0
        self.col = 0

    def _clearly_small(self, chunk: bytes) -> bool:
        """A quick, safe answer for the usual sheet; anything unusual gets the full scan.

        Safe when every cell is written `<c r="X9"` (as Excel, LibreOffice and
        openpyxl do), no reference has a two-letter column, and no row number
        has five digits or more that exceeds the limit.
        """
        cells = chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/")
        if cells != chunk.count(b'<c r="') or _WIDE_CELL.search(chunk):
            return False
        limit = self.limits.row_limit
        return all(int(found) <= limit for found in _FAR_CELL.findall(chunk))

    def feed(self, chunk: bytes) -> None:
        _check_text(chunk)
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
            _check_bounds(self.row, self.col, self.limits)


class _OdsScanner:
    """The same for ODS, where rows and cells carry repeat counts."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.tables = 0
        self.row = 0
        self.col = 0
        self.repeat = 1
        self.row_has_value = False

    def feed(self, chunk: bytes) -> None:
        _check_text(chunk)
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
                        _check_bounds(self.row, 1, self.limits)
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
                _check_bounds(self.row + self.repeat, self.col, self.limits)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


def _check_bounds(row: int, col: int, limits: Limits) -> None:
    if row > limits.row_limit:
        raise SheetError("sheet.too_many_rows", max=limits.max_rows)
    if col > MAX_COLUMNS:
        raise SheetError("sheet.too_many_columns", max=MAX_COLUMNS)


def _scan(archive: zipfile.ZipFile, name: str, cap: int, scanner, limits: Limits) -> None:
    """Stream one XML part through `scanner`, cutting chunks at a tag start."""
    total = 0
    carry = b""
    try:
        with archive.open(name) as handle:
            while chunk := handle.read(CHUNK):
                total += len(chunk)
                if total > cap:
                    raise SheetError("sheet.too_large", max_mb=limits.max_mb)
                buffer = carry + chunk
                cut = buffer.rfind(b"<")
                if cut <= 0 or len(buffer) - cut > CHUNK:
                    # More than a chunk without a tag: text far over the cell cap.
                    _check_text(buffer)
                    cut = len(buffer)
                scanner.feed(buffer[:cut])
                carry = buffer[cut:]
            scanner.feed(carry)
    except ZIP_ERRORS:
        raise SheetError("sheet.unreadable", detail="damaged zip") from None


# --------------------------------------------------------------------------
# Calamine


def _read_calamine(data: bytes, fmt: str, limits: Limits) -> Table:
    import python_calamine  # on first use: `kleidi sheet ...` starts without it

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        index = _first_visible_index(workbook)
        sheet = workbook.get_sheet_by_index(index)
        if sheet.height > limits.row_limit:
            raise SheetError("sheet.too_many_rows", max=limits.max_rows)
        if sheet.width > MAX_COLUMNS:
            raise SheetError("sheet.too_many_columns", max=MAX_COLUMNS)
        raw_rows = sheet.to_python(skip_empty_area=False)
    except SheetError:
        raise
    except BaseException as exc:
        # Calamine raises its own errors, ValueError, and Rust panics (a BaseException
        # subclass) on damaged input; all mean the same to the secretariat.
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
            raise
        raise SheetError("sheet.unreadable", detail=fmt) from None
    rows = []
    for number, raw in enumerate(raw_rows, start=1):
        cells = [clean_cell(value) for value in raw]
        if any(cell != "" for cell in cells):
            rows.append((number, cells))
    return Table(rows=rows, format=fmt)


def _first_visible_index(workbook) -> int:
    import python_calamine

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


def _read_csv(data: bytes, limits: Limits) -> Table:
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
            if number > limits.row_limit:
                raise SheetError("sheet.too_many_rows", max=limits.max_rows)
            if len(raw) > MAX_COLUMNS:
                raise SheetError("sheet.too_many_columns", max=MAX_COLUMNS)
            cells = [clean_text(value) for value in raw]
            if any(cells):
                rows.append((number, cells))
    except csv.Error:
        raise SheetError("sheet.unreadable", detail="csv") from None
    return Table(rows=rows, format="csv")
