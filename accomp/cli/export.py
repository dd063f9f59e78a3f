"""`accomp export`: cases, weeks or contacts as CSV, JSON or XLSX, optionally pseudonymised."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from accomp.cli import app
from accomp.cli.common import open_store, valid_cases
from accomp.errors import UsageError
from accomp.export import EXPORT_READS, export_rows, xlsx_bytes
from accomp.render import Format, render_rows

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
    cases = valid_cases(store, strict=True, read=EXPORT_READS[what], ordered=False)
    key = store.pseudonym_key() if pseudonymise else None
    rows, columns = export_rows(what, cases, store.today, key)
    if fmt == "xlsx":
        data = xlsx_bytes(rows, columns, what)
    else:
        data = render_rows(rows, columns, Format(fmt)).encode("utf-8")
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    store.write_output(out, data)
    typer.echo(f"accomp: wrote {len(rows)} row(s) to {out}", err=True)
