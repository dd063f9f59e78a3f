"""Reading the tables people are sent: CSV in any usual dialect, or an Excel workbook.

Rows are streamed (memory stays flat on large files) with the line number a
person sees in a spreadsheet or an editor: the header is line 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accomp.errors import UsageError
from accomp.importers.fields import UncomputedFormula

DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
# A file may hold at most this many columns: beyond, it is not a table of people.
MAX_COLUMNS = 500
csv.field_size_limit(1_000_000)
# What a workbook may unpack to, checked from its zip directory before any cell is read
# (a zip bomb of a few hundred kilobytes can hold a gigabyte). Settable for a real file
# larger than this: ACCOMP_IMPORT_MAX_MB and ACCOMP_IMPORT_MAX_RATIO.
MAX_UNPACKED_MB = 200
MAX_RATIO = 200  # uncompressed / compressed size of one member; sheets of text reach ~20
MAX_MEMBERS = 10_000
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


@dataclass
class Table:
    """A header and its rows; `rows()` yields (line number, cells as text or typed values)."""

    name: str
    header: list[str]
    rows_source: Any
    total_rows: int | None
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def is_csv(self) -> bool:
        return self.delimiter is not None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """The data rows with their line numbers; blank rows are skipped."""
        for line, cells in self.rows_source():
            if any(c not in (None, "") and str(c).strip() for c in cells):
                yield line, cells


def open_table(path: Path, sheet: str | None = None, encoding: str | None = None,
               delimiter: str | None = None) -> Table:  # fmt: skip
    """Open a CSV or XLSX file; UsageError with a one-line reason when it cannot be read."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path, sheet)
    if sheet:
        raise UsageError("--sheet goes with an .xlsx file")
    return _open_csv(path, encoding, delimiter)


# CSV -------------------------------------------------------------------------


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM), else cp1252 (Windows), else latin-1."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the sample
            return "utf-8"
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte


def _open_csv(path: Path, encoding: str | None, delimiter: str | None) -> Table:
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise UsageError(f"{path.name}: the file is empty")
    chosen = encoding or detect_encoding(head)
    try:
        sample = head.decode(chosen, errors="strict" if chosen != "utf-8" else "ignore")
    except (UnicodeDecodeError, LookupError) as exc:
        raise UsageError(f"{path.name}: cannot be read as {chosen} ({exc})") from None
    sample = sample.lstrip("\ufeff")
    if delimiter is None:
        delimiter = _sniff(sample)

    def reader() -> Iterator[tuple[int, list[str]]]:
        try:
            with open(path, encoding=chosen, newline="") as text:
                rows = csv.reader(text, delimiter=delimiter, strict=False)
                next(rows, None)  # the header
                previous_end = rows.line_num
                for cells in rows:
                    yield previous_end + 1, cells
                    previous_end = rows.line_num
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path.name}: not valid {chosen} text ({exc.reason})") from None
        except csv.Error as exc:
            raise UsageError(f"{path.name}: not a readable CSV file ({exc})") from None

    try:
        with open(path, encoding=chosen, newline="") as text:
            header = next(csv.reader(text, delimiter=delimiter), [])
            total = sum(1 for _ in csv.reader(text, delimiter=delimiter))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name}: not valid {chosen} text ({exc.reason})") from None
    except csv.Error as exc:
        raise UsageError(f"{path.name}: not a readable CSV file ({exc})") from None
    header = [h.lstrip("\ufeff").strip() for h in header]
    _check_header(path.name, header)
    return Table(path.name, header, reader, total, chosen, delimiter)


def _sniff(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column, or a sample the sniffer cannot decide: the most frequent delimiter.
        counts = {d: lines[0].count(d) for d in DELIMITERS} if lines else {}
        best = max(counts, key=lambda d: counts[d], default=",")
        return best if counts.get(best) else ","


def _check_header(name: str, header: list[str]) -> None:
    if not any(header):
        raise UsageError(f"{name}: the first line should name the columns, and it is empty")
    if len(header) > MAX_COLUMNS:
        raise UsageError(f"{name}: {len(header)} columns; not a table this command reads")
    seen: set[str] = set()
    for index, column in enumerate(header, start=1):
        if not column:
            raise UsageError(f"{name}:1: column {index} has no name")
        if column in seen:
            raise UsageError(f"{name}:1: the column {column!r} appears twice")
        seen.add(column)


# XLSX ------------------------------------------------------------------------


def _cell(value: Any, formula: Any) -> Any:
    if value is None and isinstance(formula, str) and formula.startswith("="):
        return UncomputedFormula()
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    return value


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook  # heavy: only when an xlsx is imported

    _check_unpacked_size(path)
    try:
        # data_only: a formula cell gives the value the spreadsheet last computed; the
        # formulas view only tells a formula never computed from an empty cell.
        book = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UsageError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})"
        ) from None
    if sheet is not None and sheet not in book.sheetnames:
        raise UsageError(
            f"--sheet: no sheet {sheet!r} in {path.name} (sheets: {', '.join(book.sheetnames)})"
        )
    worksheet = book[sheet] if sheet else book.worksheets[0]
    rows = worksheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        raise UsageError(f"{path.name}: the sheet {worksheet.title!r} is empty")
    header = ["" if v is None else str(v).strip() for v in first]
    while header and not header[-1]:
        header.pop()
    _check_header(path.name, header)
    total = (worksheet.max_row - 1) if worksheet.max_row else None

    formula_sheet = formulas[worksheet.title]

    def reader() -> Iterator[tuple[int, list[Any]]]:
        values_rows = worksheet.iter_rows(min_row=2, values_only=True)
        formula_rows = formula_sheet.iter_rows(min_row=2, values_only=True)
        for line, (values, raw) in enumerate(zip(values_rows, formula_rows, strict=False), start=2):
            cells = [_cell(v, f) for v, f in zip(values, raw, strict=False)]
            if any(isinstance(c, str) and len(c) > MAX_CELL_CHARS for c in cells):
                raise UsageError(
                    f"{path.name}: line {line}: a cell holds more than {MAX_CELL_CHARS} "
                    "characters (Excel's own limit): not a table of people"
                )
            while len(cells) > len(header) and cells[-1] in (None, ""):
                cells.pop()
            yield line, cells

    return Table(path.name, header, reader, total)


def _limit(variable: str, default: int) -> int:
    import os

    try:
        return int(os.environ.get(variable, default))
    except ValueError:
        raise UsageError(f"${variable}: must be a whole number") from None


def _check_unpacked_size(path: Path) -> None:
    """Refuse, from its zip directory alone, a workbook that would unpack to too much."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})"
        ) from None
    max_mb = _limit("ACCOMP_IMPORT_MAX_MB", MAX_UNPACKED_MB)
    max_ratio = _limit("ACCOMP_IMPORT_MAX_RATIO", MAX_RATIO)
    if len(members) > MAX_MEMBERS:
        raise UsageError(
            f"{path.name}: {len(members)} parts in the workbook: not a table of people"
        )
    total = sum(m.file_size for m in members)
    if total > max_mb * 1024 * 1024:
        raise UsageError(
            f"{path.name}: the workbook unpacks to {total / 1024 / 1024:.0f} MB, over the limit "
            f"of {max_mb} MB (set ACCOMP_IMPORT_MAX_MB for a larger real file)"
        )
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > max_ratio:
            ratio = member.file_size / member.compress_size
            raise UsageError(
                f"{path.name}: {member.filename} unpacks {ratio:.0f} times its size, over the "
                f"limit of {max_ratio} (a zip bomb?; ACCOMP_IMPORT_MAX_RATIO sets it)"
            )
