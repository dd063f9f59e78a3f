"""Exports for spreadsheets and BI tools: one row per case, per case-week, or per contact.

Rows are built from plain case data; `--pseudonymise` takes out what
identifies a person (see accomp.domain.pseudonym). Cells a spreadsheet would
run as a formula are neutralised in CSV and XLSX.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from accomp.domain.corrections import counted
from accomp.domain.hours import WEEK_KEYS, figures_of_view
from accomp.domain.pseudonym import pseudonymise_row
from accomp.domain.rows import CASE_COLUMNS
from accomp.render import neutralise_formula, render_rows_part

CONTACT_COLUMNS = ["case_id", "date", "channel", "minutes", "mode", "by", "note"]


# What each export reads of a case: a read view (domain/views.py) or the whole document.
EXPORT_READS = {"cases": "row", "weeks": "hours", "contacts": "document"}


def export_rows(
    what: str,
    cases: Iterable[dict[str, Any]],
    today: dt.date,
    key: bytes | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows and columns of an export (cases, weeks or contacts), pseudonymised given a key.

    `cases` are what EXPORT_READS says the export reads, one per case, in any order:
    the rows come sorted by case id.
    """
    if what == "cases":
        rows, columns = sorted(cases, key=_case_id), list(CASE_COLUMNS)
    elif what == "weeks":
        last = today + dt.timedelta(days=6 - today.weekday())
        rows = [
            row.as_dict()
            for view in sorted(cases, key=_case_id)
            for row in figures_of_view(view, dt.date(1900, 1, 1), last, today)
        ]
        columns = list(WEEK_KEYS)
    elif what == "contacts":
        rows = [
            {"case_id": case["case_id"], **{c: contact.get(c) for c in CONTACT_COLUMNS[1:]}}
            for case in cases
            for contact in sorted(counted(case)["contacts"], key=lambda k: k["date"])
        ]
        rows.sort(key=_case_id)  # stable: each case's contacts stay in date order
        columns = list(CONTACT_COLUMNS)
    else:
        raise ValueError(what)
    if key is not None:
        rows = [pseudonymise_row(row, key) for row in rows]
        columns = _pseudonymised_columns(columns)
    return rows, columns


def case_columns(key: bytes | None) -> list[str]:
    """The columns of `export cases` (pseudonymised given a key)."""
    return list(CASE_COLUMNS) if key is None else _pseudonymised_columns(list(CASE_COLUMNS))


def case_row_parts(rows: Iterable[dict[str, Any]], key: bytes | None, fmt: str) -> list[list[Any]]:
    """[case id, the text of its row, None] of some cases' row views, rendered as CSV or JSON
    parts (render.render_rows_part) and pseudonymised given a key: `export cases` renders
    a department's rows on all the cores."""
    columns = case_columns(key)
    return [
        [
            row["case_id"],
            render_rows_part([row if key is None else pseudonymise_row(row, key)], columns, fmt),
            None,
        ]
        for row in rows
    ]


def _case_id(item: dict[str, Any]) -> str:
    return str(item["case_id"])


def _pseudonymised_columns(columns: list[str]) -> list[str]:
    """The columns a pseudonymised row has (the same rule as for the rows themselves)."""
    return list(pseudonymise_row(dict.fromkeys(columns, None) | {"case_id": ""}, b"k"))


def xlsx_bytes(rows: list[dict[str, Any]], columns: list[str], title: str) -> bytes:
    """An xlsx workbook of one sheet; text cells that look like formulas are neutralised."""
    return xlsx_workbook([(title, columns, rows)])


def xlsx_workbook(sheets: list[tuple[str, list[str], list[dict[str, Any]]]]) -> bytes:
    """An xlsx workbook, one sheet per (title, columns, rows); formula-like text neutralised."""
    from openpyxl import Workbook  # heavy: only for xlsx

    workbook = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(columns)
        for row in rows:
            sheet.append([neutralise_formula(_cell(row.get(c))) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A value a spreadsheet cell holds: lists joined by `;`."""
    return ";".join(str(v) for v in value) if isinstance(value, list | tuple) else value
