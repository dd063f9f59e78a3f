"""`accomp report`: the figures of a period as one self-contained HTML file, for a committee."""

from __future__ import annotations

from pathlib import Path

import typer

from accomp.cli import app
from accomp.cli.common import open_store, programme_option, valid_cases
from accomp.cli.summary import FROM_OPTION, TO_OPTION, YEAR_OPTION, period_of
from accomp.errors import UsageError


@app.command()
def report(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", metavar="FILE.html", help="The file to write."),
    from_: str | None = FROM_OPTION,
    to: str | None = TO_OPTION,
    year: int | None = YEAR_OPTION,
    programme: str | None = typer.Option(None, help="Only this programme."),
    small_cells: bool = typer.Option(
        False, "--small-cells", help='Show groups of 1 to 4 people as "< 5", and draw none.'
    ),
) -> None:
    """An HTML report for a steering committee or a funder: figures, objectives, FSE+
    indicators and charts, printable on A4. Counts and rates only, never a name.

    The file is self-contained (charts inline, nothing fetched): open it in a browser,
    print it to PDF, send it.
    """
    from accomp.domain.report import report_data
    from accomp.report_html import render_report

    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out: {out} should end in .html")
    store = open_store(ctx)
    programme = programme_option(store, programme)
    first, last = period_of(from_, to, year, store.today)
    cases = [
        case
        for case in valid_cases(store, strict=True, read="cohort")
        if programme is None or case["enrolment"]["programme"] == programme
    ]
    data = report_data(cases, store.settings, first, last, store.today, programme, small_cells)
    store.write_output(out, render_report(data).encode("utf-8"))
    typer.echo(f"accomp: wrote the report for {first} to {last} to {out}", err=True)
    typer.echo(str(out))
