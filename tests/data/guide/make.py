"""Regenerate the guide's own sheet, as a secretariat mails it (issue 9, item 7).

The ten columns of the guide's «Μαζική απόδοση κωδικών» section, headers
verbatim, eight students typed as secretariats type them: one «Ονοματεπώνυμο»
cell, given name first, usernames of the guide's second form
(giorgospapadopoulos), the director's name and email in one cell, «-» for an
unknown parent, the address, area and postcode in one cell.

    uv run python tests/data/guide/make.py

writes guide.xlsx with openpyxl, then asks LibreOffice (`soffice`, needed here
only: the files are committed and CI reads them) for guide.xls, guide.ods,
guide-lo.xlsx and two CSVs: guide-excel-el.csv as Excel writes «CSV» on Greek
Windows (`;`, Windows-1253, dates as dd/mm/yyyy hh:mm) and guide-utf8.csv
(`,`, UTF-8, quoted where needed).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent

# The guide's bullet list, word for word (the username's note kept as the header's note).
HEADERS = [
    "Όνομα χρήστη (username)",
    "Ονοματεπώνυμο",
    "Πατρώνυμο",
    "Μητρώνυμο",
    "Διεύθυνση κατοικίας, Περιοχή, ΤΚ",
    "τηλέφωνο κινητό",
    "εκτός ΕΜΠ mail",
    "Αριθμός Μητρώου",
    "Διευθυντής Μεταπτυχιακού για τους μεταπτυχιακούς ή επιβλέποντας καθηγητής για τους "
    "διδακτορικούς (να αναγράφεται και το Mail του)",
    "ημερομηνία λήξης του ΔΠΜΣ",
]

END = dt.date(2027, 9, 30)

# username, full name, father, mother, address, mobile, email, AM, director, surname, given name
ROWS = [
    (
        "giorgospapadopoulos",
        "Γιώργος Παπαδόπουλος",
        "Νικόλαος",
        "Μαρία",
        "Ηρώων Πολυτεχνείου 9, Ζωγράφου, 15780",
        "6912345670",
        "gpapadopoulos@gmail.com",
        "03400101",
        "Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr",
        "Παπαδόπουλος",
        "Γιώργος",
    ),
    (
        "konstantinosrigas",
        "Κωνσταντίνος Ρήγας",
        "Δημήτριος",
        "-",
        "Πατησίων 42, Αθήνα, 10682",
        "6923456789",
        "k.rigas@yahoo.gr",
        "03400102",
        "Ι. Παπαδάκης <ipapadakis@central.ntua.gr>",
        "Ρήγας",
        "Κωνσταντίνος",
    ),
    (
        "mariaioannou",
        "Μαρία Ιωάννου",
        "Ιωάννης",
        "Ελένη",
        "Λεωφ. Κηφισίας 120, Μαρούσι, 151 24",
        "+306934567890",
        "maria.ioannou@outlook.com",
        "03400103",
        "Παπαδάκης Ιωάννης - ipapadakis@central.ntua.gr",
        "Ιωάννου",
        "Μαρία",
    ),
    (
        "eleniantoniou",
        "Ελένη Αντωνίου",
        "Αντώνιος",
        "Σοφία",
        "Αγίου Μελετίου 7, Αθήνα, 11257",
        "6945678901",
        "eantoniou@gmail.com",
        "03400104",
        "Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr",
        "Αντωνίου",
        "Ελένη",
    ),
    (
        "dimitrisnikolaou",
        "Δημήτρης Νικολάου",
        "Γεώργιος",
        "Αικατερίνη",
        "Ερμού 15, Πειραιάς, 18531",
        "6956789012",
        "dnikolaou@hotmail.com",
        "03400105",
        "Ι. Παπαδάκης <ipapadakis@central.ntua.gr>",
        "Νικολάου",
        "Δημήτρης",
    ),
    (
        "sofiageorgiou",
        "Σοφία Γεωργίου",
        "-",
        "Άννα",
        "Τσιμισκή 33, Θεσσαλονίκη, 54623",
        "6967890123",
        "sofia.georgiou@gmail.com",
        "03400106",
        "Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr",
        "Γεωργίου",
        "Σοφία",
    ),
    (
        "nikoskaragiannis",
        "Νίκος Καραγιάννης",
        "Παναγιώτης",
        "Βασιλική",
        "Μαιζώνος 101, Πάτρα, 26221",
        "6978901234",
        "nkaragiannis@gmail.com",
        "03400107",
        "Παπαδάκης Ιωάννης - ipapadakis@central.ntua.gr",
        "Καραγιάννης",
        "Νίκος",
    ),
    (
        "annamichailidou",
        "Άννα Μιχαηλίδου",
        "Μιχαήλ",
        "Χριστίνα",
        "Εγνατίας 10, Θεσσαλονίκη, 54625",
        "6989012345",
        "amichailidou@yahoo.com",
        "03400108",
        "Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr",
        "Μιχαηλίδου",
        "Άννα",
    ),
]


def write_xlsx(path: Path) -> None:
    """As a secretariat fills it in Excel: text cells, numbers as numbers, a date cell."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Φύλλο1"
    sheet.append(HEADERS)
    for index, row in enumerate(ROWS):
        username, full, father, mother, address, mobile, email, am, director = row[:9]
        number = int(mobile) if mobile.isdigit() else mobile
        # Half the end dates were typed into a date-and-time cell: its CSV says «00:00».
        with_time = index % 2 == 1
        end = dt.datetime.combine(END, dt.time()) if with_time else END
        sheet.append([username, full, father, mother, address, number, email, am, director, end])
        cell = sheet.cell(sheet.max_row, 10)
        cell.number_format = "dd/mm/yyyy hh:mm" if with_time else "dd/mm/yyyy"
    workbook.save(path)


def convert(source: Path, target: Path, filter_name: str) -> None:
    """LibreOffice's own writer for `target`'s format."""
    with tempfile.TemporaryDirectory() as work:
        profile = Path(work, "profile").as_uri()
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                filter_name,
                "--outdir",
                work,
                str(source),
            ],
            check=True,
            capture_output=True,
        )
        produced = next(p for p in Path(work).iterdir() if p.is_file())
        shutil.move(produced, target)


def main() -> None:
    source = HERE / "guide.xlsx"
    write_xlsx(source)
    convert(source, HERE / "guide.xls", "xls:MS Excel 97")
    convert(source, HERE / "guide.ods", "ods")
    convert(source, HERE / "guide-lo.xlsx", "xlsx:Calc MS Excel 2007 XML")
    # Separator 59 (;), text delimiter 34 ("), character set 35 (Windows-1253): Excel's
    # «CSV (οριοθετημένο με ελληνικό ερωτηματικό)» on a Greek system.
    convert(source, HERE / "guide-excel-el.csv", "csv:Text - txt - csv (StarCalc):59,34,35")
    convert(source, HERE / "guide-utf8.csv", "csv:Text - txt - csv (StarCalc):44,34,76")


if __name__ == "__main__":
    main()
