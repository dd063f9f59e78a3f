"""The one renderer: rows of plain data to table, CSV, JSON or Markdown text.

Output is deterministic (the order given, fixed number formats) so that it
diffs well and scripts can rely on it.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any

import orjson


class Format(StrEnum):
    """Output formats of list-like commands."""

    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_json(data: Any) -> str:
    """JSON text with a final newline, non-ASCII kept, keys in the order given.

    The text is the standard library's (`json.dumps(data, indent=2,
    ensure_ascii=False)`), made by orjson when that gives the same bytes: an
    indented dump is pure Python in the standard library (a quarter of a
    second for a 50,000-row list), orjson's is C. They agree on everything
    accomp emits but some floats (`1e-05`, `NaN`): each distinct float of the
    data is compared, and any disagreement, or anything orjson refuses
    (a key that is not text, an integer past 64 bits), takes the slow path.
    """
    try:
        body = orjson.dumps(data, option=_ORJSON_OPTIONS)
    except TypeError:
        body = None
    if body is not None and all(map(_spelt_alike, _floats_in(data))):
        return body.decode("utf-8") + "\n"
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# Dates and dataclasses are not JSON to the standard library: orjson must refuse them too.
_ORJSON_OPTIONS = (
    orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


@functools.lru_cache(maxsize=4096)  # a command writes the same few hours many times over
def _spelt_alike(value: float) -> bool:
    """Whether orjson writes this float as the standard library does. (0.0 and -0.0 share
    an entry: both libraries keep the sign. A NaN never finds its entry: asked each time.)"""
    return json.dumps(value) == orjson.dumps(value).decode()


def _floats_in(data: Any) -> set[float]:
    """The distinct floats anywhere in plain data (lists, tuples, dicts, scalars)."""
    floats: set[float] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        # The containers the standard library writes (other mappings it refuses).
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, float):
            floats.add(value)
    return floats


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return value


def render_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: Format | str,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Render rows (mappings) with the given columns in one of the formats.

    JSON keeps the values' types and uses the column names as keys; CSV uses the
    column names as its header and neutralises formula-like cells; table and
    Markdown use `headers` (default: the column names) for people.
    """
    fmt = Format(fmt)
    if fmt is Format.json:
        return to_json([{c: row.get(c) for c in columns} for row in rows])
    if fmt is Format.csv:
        return _csv_lines(rows, columns, header=True)
    from tabulate import tabulate  # ~130 ms to import: only when a table is drawn

    names = [(headers or {}).get(c, c) for c in columns]
    body = [[_cell(row.get(c)) for c in columns] for row in rows]
    style = "github" if fmt is Format.markdown else "simple"
    return tabulate(body, headers=names, tablefmt=style, disable_numparse=True) + "\n"


def render_rows_part(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: Format | str
) -> str:
    """Some rows of a CSV or JSON output, rendered apart (by a worker of a command that
    renders on several cores): `join_rows_parts` of the parts of a list of rows gives
    render_rows' text for the whole list, byte for byte."""
    fmt = Format(fmt)
    if fmt is Format.csv:
        return _csv_lines(rows, columns)  # without the header line
    text = render_rows(rows, columns, fmt)
    if fmt is Format.json:
        return text[2:-3] if rows else ""  # the items, without "[\n" and "\n]\n"
    raise ValueError(f"{fmt} is drawn whole: its columns are as wide as their widest cell")


def join_rows_parts(
    parts: Iterable[str], columns: Sequence[str], fmt: Format | str
) -> Iterator[str]:
    """The text of a CSV or JSON output from its parts (render_rows_part), piece by piece,
    to write as it comes."""
    fmt = Format(fmt)
    if fmt is Format.csv:
        yield render_rows([], columns, fmt)  # the header line
        yield from parts
        return
    started = False  # streamed: a department's rows are tens of megabytes
    for part in parts:
        if part:
            yield (",\n" if started else "[\n") + part
            started = True
    yield "\n]\n" if started else render_rows([], columns, fmt)


def _csv_lines(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], header: bool = False
) -> str:
    """The CSV lines of rows (after a line of the column names with `header`), formula-like
    text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns)
    writer.writerows(list(map(_csv_value, map(row.get, columns))) for row in rows)
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    """A CSV cell: neutralise_formula(_csv_cell(value)), text and numbers first (an export
    of a department's cases is millions of cells)."""
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if kind is int or kind is float:
        return value
    return neutralise_formula(_csv_cell(value))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def render_mapping(title: str, pairs: Sequence[tuple[str, Any]], fmt: Format | str) -> str:
    """A titled two-column list of fields and values, for people (table or Markdown)."""
    fmt = Format(fmt)
    if fmt is Format.markdown:
        rows = [{"field": k, "value": v} for k, v in pairs]
        return f"## {title}\n\n" + render_rows(rows, ["field", "value"], fmt)
    from tabulate import tabulate

    body = [[k, _cell(v)] for k, v in pairs]
    table = tabulate(body, tablefmt="plain", disable_numparse=True)
    return f"{title}\n{'-' * len(title)}\n{table}\n"
