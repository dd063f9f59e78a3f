"""Random documents and rows never crash the validator or the importer (hypothesis)."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accomp.domain.settings import Settings
from accomp.importers.fields import KINDS, parse_cell
from accomp.importers.mapping import resolve
from accomp.importers.run import RowError, read_row
from accomp.importers.tables import Table
from accomp.store.checking import check_bytes, default_settings, record_checks
from accomp.store.yamlio import dump_round_trip, to_round_trip
from tests.conftest import invoke_cli

SETTINGS = Settings.merged({}, default_settings())
TODAY = dt.date(2026, 11, 20)
BASE = (Path(__file__).resolve().parent / "hostile" / "base-case.yaml").read_text()

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
)
KEYS = st.sampled_from(["case_id", "identity", "enrolment", "start", "date", "hours", "contacts",
                        "activities", "plan", "actions", "exit", "sex", "x"]) | st.text(max_size=8)  # fmt: skip
TREES = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=4) | st.dictionaries(KEYS, c, max_size=5), max_leaves=30
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, TREES, max_size=8))
def test_random_documents_never_crash_the_checks(document: dict[str, Any]) -> None:
    text = dump_round_trip(to_round_trip(document))
    record = check_bytes(Path("2026-AAAAA.yaml"), text.encode(), SETTINGS, TODAY)
    assert record.document is not None or record.errors
    assert record_checks(record, SETTINGS, TODAY)[2] is not None
    for problem in record.problems:
        assert problem.render().count("\n") == 0


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BASE.splitlines()), TREES)
def test_a_mutated_case_file_never_crashes_the_checks(line: str, value: Any) -> None:
    """Replace one value of a valid case with anything: errors, never an exception."""
    if ":" not in line or line.lstrip().startswith("#"):
        return
    key = line.split(":", 1)[0]
    replacement = dump_round_trip(to_round_trip({"v": value})).split(":", 1)[1].rstrip("\n")
    mutated = BASE.replace(
        line, f"{key}:{replacement}" if "\n" not in replacement else f"{key}: null", 1
    )
    record = check_bytes(Path("2026-HST01.yaml"), mutated.encode(), SETTINGS, TODAY)
    assert record.document is not None or record.errors
    # What the cohort cache keeps of it is computed without an exception too.
    checks = record_checks(record, SETTINGS, TODAY)
    assert checks[0] <= checks[1] and (checks[3] is not None) == record.valid


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(KINDS)), st.data())
def test_random_cells_are_values_or_row_errors(kind: str, data: st.DataObject) -> None:
    fields = KINDS[kind]
    header = list(fields)
    cell = st.one_of(st.none(), st.text(max_size=15), st.integers(), st.floats(), st.booleans(),
                     st.datetimes().map(lambda d: d.replace(microsecond=0)))  # fmt: skip
    cells = data.draw(st.lists(cell, min_size=0, max_size=len(header) + 2))
    table = Table("fuzz.csv", header, lambda: iter([]), 1, None, ",")
    mapping = resolve(kind, header, None)
    try:
        values = read_row(cells, mapping, table, fields)
    except RowError as error:
        assert error.message and "\n" not in error.message
        return
    assert set(values) <= set(fields)
    for name, value in values.items():
        assert value is None or parse_cell(value, fields[name]) is not None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.text(alphabet=string.printable + 'éàç;"', max_size=12), min_size=1, max_size=9),
        min_size=1,
        max_size=6,
    )
)
def test_random_csv_files_never_crash_the_importer(
    tmp_path: Path, store: Path, rows: list[list[str]]
) -> None:
    path = tmp_path / "random.csv"
    header = "given_name,family_name,birth_date,sex,programme,start,referent"
    path.write_text(header + "\n" + "\n".join(",".join(row) for row in rows) + "\n")
    result = invoke_cli(
        ["--store", str(store), "import", "people", str(path), "--dry-run", "--format", "json"]
    )
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
