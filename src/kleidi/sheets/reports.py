"""Files Kleidi writes: the results of a sheet and the blank templates (R19, §6).

Cells are data, never formulas: every text cell that begins with `=`, `+`,
`-`, `@`, a tab or a carriage return is written as a text cell with a leading
apostrophe, which the reader removes again, so a results file can be
corrected and uploaded again (its outcome and errors columns are ignored).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import defaultdict

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from kleidi.language import resolve
from kleidi.sheets import headers
from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.validation import render
from kleidi.text.elot743 import transliterate

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BAD_FILL = PatternFill("solid", fgColor="F8D7DA")
HEADER_FONT = Font(bold=True)

ACTION_LABELS = {
    "el": {
        "create": "Δημιουργία",
        "reactivate": "Επανενεργοποίηση",
        "renew": "Ανανέωση",
        "update": "Ενημέρωση στοιχείων",
        "unchanged": "Καμία αλλαγή",
        "error": "Σφάλμα",
    },
    "en": {
        "create": "Create",
        "reactivate": "Reactivate",
        "renew": "Renew",
        "update": "Update data",
        "unchanged": "Unchanged",
        "error": "Error",
    },
}


def escape(value):
    """§6: a text cell is never a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


TEXT_FORMAT = "@"  # Excel's "Text": 6912345678 or 031 typed into the cell stay text
DATE_FORMAT = "DD/MM/YYYY"
DATE_FIELDS = frozenset({"end_date", "expiry_date"})
# Results files are named after the upload; the name keeps no path or control characters.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")


def _set(ws, row: int, col: int, value, *, text: bool = False):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        cell.value = escape("" if value is None else str(value))
        cell.data_type = "s"
        if text:
            cell.number_format = TEXT_FORMAT
    return cell


def _width(header) -> float:
    """The template's width for a column with this header (template_workbook)."""
    return min(60, max(14, len(str(header or "")) + 4))


def _save(workbook, stamp: dt.datetime | None = None) -> bytes:
    """The workbook's bytes; with `stamp`, the same workbook gives the same bytes.

    openpyxl writes the save time into the document's properties and each zip
    entry: a record's results file is stamped with the record's own time
    instead, so downloading it again (after a repeat apply too) gives it byte
    for byte (issue 12 §6).
    """
    out = io.BytesIO()
    if stamp is None:
        workbook.save(out)
        return out.getvalue()
    naive = stamp.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = naive
    workbook.properties.modified = naive
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(out.getvalue())) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=naive.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return fixed.getvalue()


def results_filename(uploaded: str) -> str:
    """`dpms-2027.xlsx` -> `dpms-2027-results.xlsx` (issue 12 §6): the upload's own name,
    without any path, control or reserved characters; the results are always .xlsx."""
    name = (uploaded or "").replace("\\", "/").rsplit("/", 1)[-1]
    lowered = name.lower()
    for suffix in SPREADSHEET_SUFFIXES:
        if lowered.endswith(suffix):
            name = name[: -len(suffix)]
            break
    stem = " ".join(_UNSAFE_NAME.sub(" ", name).split()).strip(" .")[:100] or "sheet"
    return f"{stem}-results.xlsx"


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for a Greek file name (ELOT 743), for clients without RFC 5987."""
    latin = transliterate(name)
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii")
    return _NOT_ASCII_NAME.sub("_", latin).strip("_") or "results.xlsx"


def results_workbook(
    content: bytes, result: dict, language: str = "el", *, stamp: dt.datetime | None = None
) -> bytes:
    """The uploaded rows with each row's outcome and errors, erroneous cells highlighted.

    The columns keep the template's formats: a text field's column is Excel's
    "Text" (a mobile or a registration number with its leading zero stays as
    typed, also when corrected), date cells stay dates, widths as the
    template's. `stamp`: the record's time, for the same bytes every time.
    """
    lang = resolve(language)
    kind = result.get("kind", "")
    sheet_kind = headers.RENEWAL if kind == "renewal" else headers.PROVISIONING
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Αποτελέσματα" if lang == "el" else "Results"
    pick = 1 if lang == "el" else 2
    status_label, errors_label = (column[pick] for column in headers.RESULT_COLUMNS)
    sheet_errors = [e for e in result.get("errors", []) if e.get("row") is None]
    try:
        rows = read_sheet(content).rows
    except SheetError:
        rows = []
    found = headers.find_header(rows, sheet_kind) if rows else None

    by_row: dict[int, list[dict]] = defaultdict(list)
    for entry in result.get("errors", []):
        if entry.get("row") is not None:
            by_row[entry["row"]].append(entry)
    outcome = {o["row"]: o["action"] for o in result.get("outcomes", [])}

    if found is None:
        _set(ws, 1, 1, errors_label).font = HEADER_FONT
        out_row = 2
        for entry in sheet_errors:
            _set(ws, out_row, 1, render(entry, lang))
            out_row += 1
        for _, cells in rows:
            for col, value in enumerate(cells, start=1):
                _set(ws, out_row, col, value)
            out_row += 1
        return _save(wb, stamp)

    position, mapping = found
    header_cells = rows[position][1]
    skip = {
        index
        for name, index in mapping.columns.items()
        if name in headers.IGNORED  # an earlier results file's own columns
    }
    keep = [i for i in range(len(header_cells)) if i not in skip]
    column_of = {index: name for name, index in mapping.columns.items()}
    width = len(keep)
    for out_col, index in enumerate(keep, start=1):
        _set(ws, 1, out_col, header_cells[index]).font = HEADER_FONT
    _set(ws, 1, width + 1, status_label).font = HEADER_FONT
    _set(ws, 1, width + 2, errors_label).font = HEADER_FONT
    labels = ACTION_LABELS[lang]
    out_row = 2
    for number, cells in rows[position + 1 :]:
        entries = by_row.get(number, [])
        bad = defaultdict(list)
        for entry in entries:
            bad[entry.get("column")].append(render(entry, lang))
        for out_col, index in enumerate(keep, start=1):
            value = cells[index] if index < len(cells) else ""
            name = column_of.get(index)
            cell = _set(ws, out_row, out_col, value, text=name not in DATE_FIELDS)
            if name in bad or (name == "full_name" and bad.get("full_name")):
                cell.fill = BAD_FILL
                cell.comment = Comment("\n".join(bad[name]), "Kleidi")
        action = "error" if entries else outcome.get(number, "")
        _set(ws, out_row, width + 1, labels.get(action, action))
        _set(
            ws,
            out_row,
            width + 2,
            "; ".join(
                f"{headers.label(e['column'], lang)}: {render(e, lang)}"
                if e.get("column")
                else render(e, lang)
                for e in entries
            ),
        )
        out_row += 1
    if sheet_errors:
        notes = wb.create_sheet(errors_label)
        for i, entry in enumerate(sheet_errors, start=1):
            _set(notes, i, 1, render(entry, lang))
    for out_col, index in enumerate(keep, start=1):
        ws.column_dimensions[get_column_letter(out_col)].width = _width(header_cells[index])
    ws.column_dimensions[get_column_letter(width + 1)].width = 22
    ws.column_dimensions[get_column_letter(width + 2)].width = 60
    ws.freeze_panes = "A2"
    return _save(wb, stamp)


# --------------------------------------------------------------------------
# Templates

KIND_LIST = ("ΔΠΜΣ", "Διδακτορικό")

PROVISIONING_EXAMPLE = {
    "username": "gpapadopoulos",
    "surname": "Παπαδόπουλος",
    "given_name": "Γεώργιος",
    "father_name": "Ιωάννης",
    "mother_name": "Μαρία",
    "address": "Ηρώων Πολυτεχνείου 9",
    "area": "Ζωγράφου",
    "postcode": "15780",
    "mobile": "6912345678",
    "external_email": "giorgos.papadopoulos@example.com",
    "registration_number": "03400123",
    "supervisor_name": "Καθ. Ανδρέας Σταφυλοπάτης",
    "supervisor_email": "supervisor@ece.ntua.gr",
    "end_date": None,  # filled with a date a year from today
    "kind": "ΔΠΜΣ",
    "latin_surname": "",
}

PROVISIONING_INSTRUCTIONS = [
    "Μαζική απόδοση κωδικών σε φοιτητές ΔΠΜΣ ή διδακτορικούς",
    "",
    "Συμπληρώστε μία γραμμή ανά φοιτητή στο φύλλο «Λογαριασμοί» και αντικαταστήστε τη γραμμή "
    "του παραδείγματος. Η σειρά των στηλών δεν έχει σημασία.",
    "Όνομα χρήστη: πεζά λατινικά γράμματα και ψηφία, 3–32 χαρακτήρες, να αρχίζει από γράμμα και "
    "να περιέχει ολόκληρο το επώνυμο (π.χ. για τον Γιώργο Παπαδόπουλο: gpapadopoulos ή "
    "giorgospapadopoulos). Δεν επιτρέπονται ονόματα της μορφής των προπτυχιακών (π.χ. el18123).",
    "Αν ο φοιτητής είχε στο παρελθόν όνομα χρήστη (άλλο μεταπτυχιακό, εξωτερικός συνεργάτης κτλ.), "
    "γράψτε εκείνο: ο λογαριασμός θα ενεργοποιηθεί εκ νέου. Αλλιώς το φύλλο θα απορριφθεί για "
    "να μη δοθούν πολλαπλοί λογαριασμοί.",
    "Αντί για Επώνυμο και Όνομα μπορείτε να έχετε μία στήλη «Ονοματεπώνυμο».",
    "Κινητό τηλέφωνο: ελληνικό κινητό (69…) ή ξένο με τον κωδικό χώρας (+44…).",
    "Email εκτός ΕΜΠ: όχι διεύθυνση @ntua.gr (ούτε central.ntua.gr ή mail.ntua.gr).",
    "Email διευθυντή ή επιβλέποντα: μπορεί να είναι διεύθυνση του ΕΜΠ.",
    "Ημερομηνία λήξης: μελλοντική ημερομηνία (ηη/μμ/εεεε ή εεεε-μμ-ηη). Ο λογαριασμός λήγει στο "
    "τέλος εκείνης της ημέρας.",
    "Κατηγορία (προαιρετική): ΔΠΜΣ ή Διδακτορικό· αν λείπει ισχύει η κατηγορία που επιλέξατε "
    "κατά την αποστολή.",
    "Επώνυμο με λατινικούς χαρακτήρες (προαιρετικό): η γραφή του διαβατηρίου, αν το όνομα "
    "χρήστη την ακολουθεί.",
    "Δεν δίνεται μεταπτυχιακός λογαριασμός αν ο φοιτητής δεν έχει δηλωθεί διπλωματούχος στο "
    "φοιτητολόγιο.",
    "Το φύλλο ελέγχεται πρώτα χωρίς καμία αλλαγή· εφαρμόζεται μόνο όταν δεν έχει κανένα σφάλμα. "
    "Το αρχείο αποτελεσμάτων μπορεί να διορθωθεί και να σταλεί ξανά.",
]

RENEWAL_INSTRUCTIONS = [
    "Μαζική ανανέωση κωδικών σε φοιτητές ΔΠΜΣ ή διδακτορικούς",
    "",
    "Δύο στήλες: το υπαρκτό όνομα χρήστη (μεταπτυχιακού ή διδακτορικού φοιτητή της σχολής σας) "
    "και η νέα ημερομηνία λήξης.",
    "Η ημερομηνία λήξης πρέπει να είναι μελλοντική και να μην απέχει περισσότερο από {years} "
    "χρόνια (ηη/μμ/εεεε ή εεεε-μμ-ηη).",
    "Ανανέωση λογαριασμού που έχει λήξει τον ενεργοποιεί ξανά· ο φοιτητής ενημερώνεται με email.",
    "Το φύλλο ελέγχεται πρώτα χωρίς καμία αλλαγή· εφαρμόζεται μόνο όταν δεν έχει κανένα σφάλμα.",
]


def _instructions(wb, lines: list[str]) -> None:
    ws = wb.create_sheet("Οδηγίες")
    for i, line in enumerate(lines, start=1):
        cell = _set(ws, i, 1, line)
        if i == 1:
            cell.font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 120


def template_workbook(kind: str, *, today: dt.date | None = None, max_years: int = 2) -> bytes:
    """A blank sheet with the Greek headers, an example row and a Greek instructions sheet."""
    today = today or dt.date.today()
    example_date = (
        today.replace(year=today.year + 1)
        if not (today.month == 2 and today.day == 29)
        else today + dt.timedelta(days=365)
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    if kind == "renewal":
        ws.title = "Ανανεώσεις"
        columns = headers.RENEWAL_COLUMNS
        example = {"username": "gpapadopoulos", "expiry_date": example_date}
        lines = [line.format(years=max_years) for line in RENEWAL_INSTRUCTIONS]
    else:
        ws.title = "Λογαριασμοί"
        columns = headers.PROVISIONING_COLUMNS
        example = {**PROVISIONING_EXAMPLE, "end_date": example_date}
        if kind == "phd":
            example["kind"] = "Διδακτορικό"
        lines = PROVISIONING_INSTRUCTIONS
    for col, (name, greek, _) in enumerate(columns, start=1):
        _set(ws, 1, col, greek).font = HEADER_FONT
        _set(ws, 2, col, example.get(name, ""))
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(14, len(greek) + 4)
        if name in ("mobile", "registration_number", "postcode", "username"):
            for row in range(2, 1002):
                ws.cell(row=row, column=col).number_format = "@"
        if name == "kind":
            lists = wb.create_sheet("Λίστες")
            for i, value in enumerate(KIND_LIST, start=1):
                _set(lists, i, 1, value)
            lists.sheet_state = "hidden"
            validation = DataValidation(
                type="list", formula1=f"='Λίστες'!$A$1:$A${len(KIND_LIST)}", allow_blank=True
            )
            validation.add(f"{letter}2:{letter}1001")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    _instructions(wb, lines)
    return _save(wb)
