"""Hypothesis fuzzing of cell values: no exception escapes; every row ends with codes or a plan."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kleidi.errors import catalogue
from kleidi.sheets.reader import MAX_CELL_CHARS, clean_text, parse_sheet, read_sheet
from kleidi.sheets.services import validate_content
from kleidi.sheets.validation import validate
from tests.sheets.factories import FIELDS, GREEK_HEADERS, csv_bytes, person_row, xlsx

pytestmark = pytest.mark.django_db

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    [
        "",
        " ",
        "\u00a0",
        "\u200b",
        "=1+1",
        "0",
        "00306912345678",
        "31/02/2030",
        "el18123",
        "Iωάννου",
        "a@ntua.gr",
        "x" * 300,
    ]
)
cell = (
    text
    | st.integers(min_value=-(10**12), max_value=10**15)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1))
)


def assert_every_row_accounted(result, table):
    """Every non-empty data row has a plan or at least one code (empty rows are skipped)."""
    numbers = {o["row"] for o in result.outcomes}
    assert numbers == {number for number, _ in table.rows[1:]}
    for outcome in result.outcomes:
        has_errors = any(e["row"] == outcome["row"] for e in result.errors)
        assert (outcome["action"] == "error") == has_errors


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.fixed_dictionaries({f: cell for f in FIELDS}), min_size=1, max_size=4))
def test_r19_fuzzed_cells_in_xlsx(school_el, rows):
    data = xlsx([GREEK_HEADERS, *[[_openpyxl_safe(r[f]) for f in FIELDS] for r in rows]])
    table = read_sheet(data)
    result = validate(table, school=school_el, kind="postgraduate")
    assert_every_row_accounted(result, table)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), text), min_size=1, max_size=4))
def test_r19_fuzzed_cells_in_csv_over_valid_rows(school_el, overrides):
    rows = [{**person_row(i + 1), **o} for i, o in enumerate(overrides)]
    grid = [GREEK_HEADERS, *[[r[f] for f in FIELDS] for r in rows]]
    result = validate_content(csv_bytes(grid), school=school_el, kind="phd")
    if not any(e["row"] is None for e in result.errors):
        data_rows = len(read_sheet(csv_bytes(grid)).rows) - 1
        assert len({o["row"] for o in result.outcomes}) == data_rows


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=2000))
def test_r9_fuzzed_bytes_never_raise(school_el, data):
    # Random bytes never hold the renewal sheet's Greek headers: always refused, with
    # catalogued codes and nothing planned.
    result = validate_content(data, school=school_el, kind="renewal")
    assert not result.ok
    assert not result.plans
    assert {e["code"] for e in result.errors} <= catalogue().keys()


def _openpyxl_safe(value):
    # openpyxl refuses control characters in strings; the CSV test covers those.
    if isinstance(value, str):
        return "".join(c for c in value if c >= " " or c in "\t\n\r")[:32767]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


@settings(max_examples=150, deadline=None)
@given(
    st.text(max_size=60)
    | st.builds(lambda a, n: a * n, st.text(min_size=1, max_size=3), st.integers(1, 9000))
)
def test_r9_cleaned_cells_never_hold_the_sandbox_separators_and_are_capped(value):
    # The child sends rows as RS/US-separated text and dates behind GS (issue 8):
    # clean_text must never leave those characters, and never more than the cap + 1.
    cleaned = clean_text(value)
    assert not {"\x1c", "\x1d", "\x1e", "\x1f"} & set(cleaned)
    assert len(cleaned) <= MAX_CELL_CHARS + 1


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(cell, min_size=1, max_size=5), min_size=1, max_size=5))
def test_r9_the_child_returns_what_the_reader_reads(rows):
    # The same table through the child as in process: the answer's encoding loses nothing.
    data = xlsx([[_openpyxl_safe(c) for c in row] for row in rows])
    assert read_sheet(data).rows == parse_sheet(data).rows
