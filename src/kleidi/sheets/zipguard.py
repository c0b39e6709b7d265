"""The zip guard for .xlsx and .ods, run before calamine sees the file (R9, §6).

Calamine allocates a dense grid up to the farthest cell that holds a value:
the zip is checked (entry count, declared sizes, encryption, methods) and the
part calamine will read is streamed, with a cap on the decompressed bytes, for
the farthest row and column that hold a value and for text far over the cell
cap. Part names are matched the way calamine matches them (letter case, `\\`,
`./`, `../`), so a name spelled differently in the relations cannot skip the
scan. Any damage the zip library reports is sheet.unreadable.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib

from kleidi.sheets.reader import MAX_CELL_CHARS, MAX_COLUMNS, RAW_CELL_CHARS, Limits, SheetError

MAX_ZIP_ENTRIES = 2_000
# Office XML is verbose: a legitimate sheet decompresses to at most this many times its size.
XML_EXPANSION = 16
CHUNK = 1 << 20
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

_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s>/]([^>]*)>?")
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]*)(\d+)["']""")
_WIDE_CELL = re.compile(rb'<c r="[A-Za-z]{2}')
_FAR_CELL = re.compile(rb'<c r="[A-Za-z](\d{5,})"')

_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)\b([^>]*)>")
_ODS_ROWS_REPEATED = re.compile(rb"""table:number-rows-repeated\s*=\s*["'](\d+)["']""")
_ODS_COLS_REPEATED = re.compile(rb"""table:number-columns-repeated\s*=\s*["'](\d+)["']""")
_ODS_VALUE = re.compile(rb"office:value-type|office:string-value")


def guard_zip(data: bytes, limits: Limits) -> tuple[str, bytes]:
    """Check the zip and scan the part calamine will read; any damage is sheet.unreadable.

    Returns the format and the bytes for calamine: the same, or the package with
    its part names and relation targets spelled as calamine expects.
    """
    try:
        fmt, archive = _check_zip(data, limits)
        return fmt, _canonical(archive) or data
    except SheetError:
        raise
    except ZIP_ERRORS:
        raise SheetError("sheet.unreadable", detail="damaged zip") from None


def _check_zip(data: bytes, limits: Limits) -> tuple[str, zipfile.ZipFile]:
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
        # The binary workbook has no bounds the guard could scan: ask for an .xlsx.
        raise SheetError("sheet.xlsb")
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
    return fmt, archive


_TARGET = re.compile(rb"""(\bTarget\s*=\s*["'])([^"']*)(["'])""")


def _canonical_name(name: str) -> str:
    """`\\` as `/`, `.` and `..` resolved; the letter case is kept (calamine ignores it)."""
    if not name:
        return name
    absolute = name.startswith(("/", "\\"))
    name = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
    return "/" + name if absolute else name


def _canonical_relations(content: bytes) -> bytes:
    def fix(relation: re.Match[bytes]) -> bytes:
        tag = relation[0]
        if b"External" in tag:
            return tag  # a hyperlink's URL, not a part
        return _TARGET.sub(
            lambda t: t[1] + _canonical_name(t[2].decode("utf-8", "replace")).encode() + t[3],
            tag,
        )

    return _RELATIONSHIP.sub(fix, content)


def _canonical(archive: zipfile.ZipFile) -> bytes | None:
    """The package rewritten with `/` and resolved names, or None if it has them already.

    Office and LibreOffice write `/`; some generators write `\\` or `./` in
    part names and relation targets, which calamine does not resolve (it found
    no worksheet: "unreadable"). Sizes were checked by the guard.
    """
    infos = archive.infolist()
    relations = [i for i in infos if part_key(i.filename).endswith(".rels")]
    renamed = any(_canonical_name(i.filename) != i.filename for i in infos)
    contents = {i.filename: _small(archive, i.filename) for i in relations}
    fixed = {name: _canonical_relations(content) for name, content in contents.items()}
    if not renamed and fixed == contents:
        return None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in infos:
            content = fixed.get(info.filename)
            if content is None:
                content = archive.read(info.filename)
            copy.writestr(_canonical_name(info.filename).lstrip("/"), content)
    return out.getvalue()


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
