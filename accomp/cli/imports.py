"""`accomp import`: people, contacts and activities from spreadsheets, with a report per row."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Literal

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    NO_COMMIT_OPTION,
    after_write,
    author,
    open_store,
    progress_bar,
    sub_app,
)
from accomp.errors import EXIT_CHECK_FAILED, UsageError
from accomp.importers.mapping import load_mapping_file, resolve, template
from accomp.importers.run import ImportReport, import_entries, import_people
from accomp.importers.tables import open_table
from accomp.render import Format, render_rows, to_json

import_app = sub_app(
    "Batch import from CSV or XLSX, with a report per row: all or nothing unless --skip-invalid."
)
app.add_typer(import_app, name="import")

ReportFormat = Literal["table", "json"]
Kind = Literal["people", "contacts", "activities"]

FILE_ARGUMENT = typer.Argument(
    ..., metavar="FILE", help="A .csv (any delimiter, UTF-8 or Windows) or .xlsx file."
)
MAPPING_OPTION = typer.Option(
    None, "--mapping", metavar="MAP.yaml", help="Which column fills which field."
)
SHEET_OPTION = typer.Option(
    None, "--sheet", help="The sheet of an .xlsx file (default: the first)."
)
DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="Print the report, write nothing.")
SKIP_OPTION = typer.Option(False, "--skip-invalid", help="Write the valid rows, list the others.")
FORMAT_OPTION = typer.Option("table", "--format", "-f", help="table or json.")


@import_app.command("people")
def import_people_command(
    ctx: typer.Context,
    file: Path = FILE_ARGUMENT,
    mapping: Path | None = MAPPING_OPTION,
    sheet: str | None = SHEET_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    skip_invalid: bool = SKIP_OPTION,
    fmt: ReportFormat = FORMAT_OPTION,
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """People referred to the structure: new cases are created, known ones updated.

    A person is matched by external id, else by name and birth date; an empty
    cell never erases data. Without --mapping, headers are field names
    (given_name, family_name, birth_date, sex, programme, start, referent, …).
    """
    _run(ctx, "people", file, mapping, sheet, dry_run, skip_invalid, fmt, as_, no_commit)


@import_app.command("contacts")
def import_contacts_command(
    ctx: typer.Context,
    file: Path = FILE_ARGUMENT,
    mapping: Path | None = MAPPING_OPTION,
    sheet: str | None = SHEET_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    skip_invalid: bool = SKIP_OPTION,
    fmt: ReportFormat = FORMAT_OPTION,
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Contacts logged elsewhere (case_id or france_travail_id, date, channel, minutes, …)."""
    _run(ctx, "contacts", file, mapping, sheet, dry_run, skip_invalid, fmt, as_, no_commit)


@import_app.command("activities")
def import_activities_command(
    ctx: typer.Context,
    file: Path = FILE_ARGUMENT,
    mapping: Path | None = MAPPING_OPTION,
    sheet: str | None = SHEET_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    skip_invalid: bool = SKIP_OPTION,
    fmt: ReportFormat = FORMAT_OPTION,
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Attendance sheets, realised activity (case_id or france_travail_id, date, hours, kind…)."""
    _run(ctx, "activities", file, mapping, sheet, dry_run, skip_invalid, fmt, as_, no_commit)


@import_app.command("template")
def template_command(
    kind: Kind = typer.Argument(..., help="people, contacts or activities."),
) -> None:
    """Print a commented mapping file to start from."""
    typer.echo(template(kind), nl=False)


def _run(
    ctx: typer.Context,
    kind: str,
    file: Path,
    mapping_path: Path | None,
    sheet: str | None,
    dry_run: bool,
    skip_invalid: bool,
    fmt: str,
    as_: str | None,
    no_commit: bool,
) -> None:
    store = open_store(ctx)
    document = load_mapping_file(mapping_path) if mapping_path else None
    encoding = document.get("encoding") if document else None
    delimiter = document.get("delimiter") if document else None
    table = open_table(file, sheet, encoding, delimiter)
    if table.total_rows == 0:
        raise UsageError(f"{file.name}: no data rows under the header")
    mapping = resolve(kind, table.header, document)
    report = ImportReport(kind, file.name, ignored_columns=mapping.ignored)
    with (
        store.batch(author(as_), commit=not no_commit, dry_run=dry_run) as batch,
        progress_bar(table.total_rows, "importing") as show,
    ):
        imported = itertools.count(1)

        def advance() -> None:
            show(next(imported))

        if kind == "people":
            rows = import_people(store, table, mapping, batch, advance)
        else:
            rows = import_entries(kind, store, table, mapping, batch, advance)
        report.rows.extend(rows)
        counts = report.counts
        if report.errors and not skip_invalid:
            batch.abandon()
        if kind == "people":
            done = f"{counts['create']} created, {counts['update']} updated"
            batch.message = f"import people: {done} from {file.name}"
        else:
            batch.message = f"import {kind}: {counts['create']} added from {file.name}"
    report.written = batch.staging and not batch.abandoned and bool(batch.names)
    report.committed = batch.committed
    if not report.written:  # ids drawn for cases that were not created mean nothing
        for row in report.rows:
            if row.status == "create" and kind == "people":
                row.case_id = None
    if report.written:
        after_write(store, no_commit)
    typer.echo(_render(report, fmt, dry_run, skip_invalid), nl=False)
    if report.errors and not skip_invalid:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _render(report: ImportReport, fmt: str, dry_run: bool, skip_invalid: bool) -> str:
    rows = [r.__dict__ for r in report.rows]
    if fmt == "json":
        return to_json(
            {
                "kind": report.kind,
                "file": report.file,
                "dry_run": dry_run,
                "written": report.written,
                "committed": report.committed,
                "counts": report.counts,
                "ignored_columns": report.ignored_columns,
                "rows": rows,
            }
        )
    counts = ", ".join(f"{n} {status}" for status, n in report.counts.items())
    if dry_run:
        outcome = "dry run: nothing written"
    elif report.written:
        outcome = "written" + (" and committed" if report.committed else "")
    elif report.errors and not skip_invalid:
        outcome = "nothing written (fix the errors, or use --skip-invalid)"
    else:
        outcome = "nothing to change"
    lines = [render_rows(rows, ["line", "status", "case_id", "column", "message"], Format.table)]
    if report.ignored_columns:
        lines.append(f"ignored columns: {', '.join(report.ignored_columns)}\n")
    lines.append(f"{report.file}: {counts}; {outcome}\n")
    return "".join(lines)
