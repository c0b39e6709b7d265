"""Issue 8: the public test corpora of other spreadsheet readers, every file through Kleidi.

tests/data/hostile/ holds the test files of calamine, python-calamine, xlrd,
Apache POI and SheetJS (MANIFEST.tsv: source, path, commit, licence), many
crafted for crashes, out-of-memory and corruption bugs in those readers. Each
must end in a code or a plan (R9, R19), within the child's bounds: no
traceback, no kill of this process.
"""

import csv
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kleidi.sheets.reader import SheetError, read_sheet
from kleidi.sheets.validation import validate

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"
READER_CODES = {
    "sheet.unreadable",
    "sheet.xlsb",
    "sheet.too_large",
    "sheet.too_complex",
    "sheet.too_many_rows",
    "sheet.too_many_columns",
    "field.too_long",
}


def corpus() -> list[tuple[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return [(row["file"], row["sha256"]) for row in csv.DictReader(handle, delimiter="\t")]


def _read(name: str):
    """A code, or the table; the parse itself runs in the bounded child."""
    try:
        return name, read_sheet((CORPUS / name).read_bytes())
    except SheetError as exc:
        return name, exc.code


def test_r9_every_corpus_file_ends_in_a_code_or_a_plan(school_el):
    files = corpus()
    assert len(files) > 1000
    outcomes = Counter()
    # The parsing happens in child processes; two threads keep both cores busy.
    with ThreadPoolExecutor(2) as pool:
        for name, got in pool.map(_read, (name for name, _ in files)):
            if isinstance(got, str):
                assert got in READER_CODES, (name, got)
                outcomes[got] += 1
                continue
            result = validate(got, school=school_el, kind="postgraduate")
            assert result.errors or result.plans, name
            outcomes["errors" if result.errors else "plan"] += 1
    assert sum(outcomes.values()) == len(files)
    print(dict(outcomes.most_common()))


def test_r9_corpus_manifest_matches_the_files():
    import hashlib

    listed = dict(corpus())
    present = {
        str(path.relative_to(CORPUS))
        for path in CORPUS.rglob("*")
        if path.is_file() and path.parent not in (CORPUS, CORPUS / "licences")
    }
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((CORPUS / name).read_bytes()).hexdigest() == digest, name
