"""The one renderer's JSON: orjson's bytes only where they are the standard library's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accomp.render import join_rows_parts, render_rows, render_rows_part, to_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
DATA = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


def standard(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@given(DATA)
def test_the_json_is_the_standard_librarys_whatever_the_data(data: object) -> None:
    assert to_json(data) == standard(data)


@pytest.mark.parametrize(
    "data",
    [
        {"small": 1e-05, "big": 1e16},
        [float("nan"), float("inf")],
        {1: "a key that is not text"},
        [2**64],
        {"control": "\x00\x1f\x7f\u2028", "é": "ü"},
        [[[[]]], {}, ()],
    ],
)
def test_what_orjson_writes_otherwise_takes_the_slow_path(data: object) -> None:
    assert to_json(data) == standard(data)


def test_a_date_is_refused_as_the_standard_library_refuses_it() -> None:
    with pytest.raises(TypeError):
        to_json({"day": dt.date(2026, 1, 5)})


ROW = st.fixed_dictionaries(
    {
        "case": st.text(max_size=8),
        "hours": st.floats(allow_nan=False, allow_infinity=False) | st.integers() | st.none(),
        "done": st.booleans(),
    }
)


@given(st.lists(st.lists(ROW, max_size=4), max_size=5), st.sampled_from(["csv", "json"]))
def test_rows_rendered_in_parts_join_into_the_whole_text(
    parts: list[list[dict[str, object]]], fmt: str
) -> None:
    columns = ["case", "hours", "done"]
    whole = render_rows([row for part in parts for row in part], columns, fmt)
    texts = [render_rows_part(part, columns, fmt) for part in parts]
    assert "".join(join_rows_parts(texts, columns, fmt)) == whole


def test_a_table_is_never_rendered_in_parts() -> None:
    with pytest.raises(ValueError):
        render_rows_part([{"a": 1}], ["a"], "table")
