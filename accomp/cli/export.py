"""`accomp export`: cases, weeks or contacts as CSV, JSON or XLSX, optionally pseudonymised."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from accomp.cli import app
from accomp.cli.common import case_parts, echo_text, open_store, valid_cases
from accomp.errors import UsageError
from accomp.export import EXPORT_READS, case_columns, case_row_parts, export_rows, xlsx_bytes
from accomp.render import Format, join_rows_parts, render_rows

What = Literal["cases", "weeks", "contacts"]
ExportFormat = Literal["csv", "json", "xlsx"]


@app.command()
def export(
    ctx: typer.Context,
    what: What = typer.Argument(
        ..., help="cases (one row each), weeks (the hours check) or contacts."
    ),
    fmt: ExportFormat = typer.Option("csv", "--format", "-f", help="csv, json or xlsx."),
    pseudonymise: bool = typer.Option(
        False,
        "--pseudonymise",
        help="Replace names, contact details, ids and birth dates (for outsiders).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write to this file (needed for xlsx)."
    ),
) -> None:
    """Rows for spreadsheets and BI tools. Use --pseudonymise for anyone outside the structure."""
    store = open_store(ctx)
    if fmt == "xlsx" and out is None:
        raise UsageError("--format xlsx needs --out FILE")
    key = store.pseudonym_key() if pseudonymise else None
    if what == "cases" and fmt != "xlsx":
        # A department's cases: each worker renders its cases' rows (one per case), kept
        # in the cache while their views do not change; pseudonymised rows never are.
        columns = case_columns(key)
        with case_parts(store, True, "row", case_row_parts, key, fmt, keep=key is None) as (
            extras,
            texts,
        ):
            pieces = join_rows_parts(texts, columns, fmt)
            if out is None:
                echo_text(pieces)
                return
            data = "".join(pieces).encode("utf-8")
        count = len(extras)
    else:
        cases = valid_cases(store, strict=True, read=EXPORT_READS[what], ordered=False)
        rows, columns = export_rows(what, cases, store.today, key)
        if fmt == "xlsx":
            data = xlsx_bytes(rows, columns, what)
        else:
            data = render_rows(rows, columns, Format(fmt)).encode("utf-8")
        if out is None:
            typer.echo(data.decode("utf-8"), nl=False)
            return
        count = len(rows)
    store.write_output(out, data)
    typer.echo(f"accomp: wrote {count} row(s) to {out}", err=True)
