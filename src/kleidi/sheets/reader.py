"""Reading an uploaded sheet into rows of clean cells (R9, §6).

python-calamine reads .xlsx, .xls and .ods; CSV goes through the standard
library. Calamine allocates a dense grid up to the farthest cell that holds a
value, so a tiny file with one value in cell XFD1048576 would ask for half a
terabyte: before calamine sees an .xlsx or .ods, its zip is checked (entry
count, declared sizes) and the chosen sheet's XML is scanned, streaming and
with a cap on the decompressed bytes, for the farthest row and column that
hold a value (`kleidi.sheets.zipguard`). An .xls is bounded by its format
(65,536 × 256).

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
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from kleidi.errors import CodedError
from kleidi.sheets import headers

Cell = str | dt.date

MAX_COLUMNS = 200
# Rows above the header and blank rows between data rows are allowed, up to this many.
ROW_SLACK = 1_000
# A single cell holds at most this many characters (after cleaning); a longer one is
# cut to MAX_CELL_CHARS + 1 characters, which validation reports as field.too_long.
MAX_CELL_CHARS = 4_000
# A cell is not even cleaned beyond this many characters as stored.
RAW_CELL_CHARS = 4 * MAX_CELL_CHARS

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class SheetError(CodedError):
    """A sheet-level problem: one of the coded errors (sheets/errors.py), with its params."""


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


def read_sheet(data: bytes, filename: str = "", limits: Limits | None = None) -> Table:
    """Read `data` (the whole upload) in a bounded child process, or raise SheetError.

    `limits` defaults to the sheets' settings; the registry feed passes its own
    (a feed is one file for the whole university, far larger than a school's sheet).
    """
    from kleidi.sheets import sandbox

    return sandbox.read_in_child(data, limits or Limits.from_settings())


def parse_sheet(data: bytes, limits: Limits | None = None) -> Table:
    """The parse itself, in this process: only for the sandbox's child and the guard's tests."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.max_bytes:
        raise SheetError("sheet.too_large", max_mb=limits.max_mb)
    if not data.strip():
        raise SheetError("sheet.unreadable", detail="empty")
    if data.startswith(ZIP_MAGIC):
        # Imported here: the guard builds on this module's SheetError and Limits.
        from kleidi.sheets.zipguard import guard_zip

        fmt, data = guard_zip(data, limits)
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
    delimiter = _delimiter(text[:65536])
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


CSV_DELIMITERS = ",;\t|"


def _delimiter(sample: str) -> str:
    """The delimiter under which a header row names the most of Kleidi's columns.

    Excel on Greek Windows writes `;`, and the guide's address column holds
    commas («Διεύθυνση κατοικίας, Περιοχή, ΤΚ»): when every row has as many
    commas as semicolons-worth of columns, the standard sniffer prefers `,`
    and the header falls apart. A file with no known header keeps the
    sniffer's choice.
    """
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","

    def score(delimiter: str) -> tuple[int, bool]:
        try:
            rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            return 0, delimiter == sniffed
        known = max(
            (len(headers.map_headers(row, headers.PROVISIONING).columns) for row in rows[:30]),
            default=0,
        )
        return (known if known >= 2 else 0), delimiter == sniffed

    return max(CSV_DELIMITERS, key=score)
