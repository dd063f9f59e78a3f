"""`accomp hours check`: target, planned and realised hours per case and ISO week."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import typer

from accomp.cli import app
from accomp.cli.common import (
    FORMAT_OPTION,
    case_parts,
    date_option,
    echo_text,
    mapped_cases,
    open_store,
    sub_app,
)
from accomp.domain.dates import parse_iso_week
from accomp.domain.hours import (
    WEEK_KEYS,
    WeekFigures,
    band,
    each_case_figures,
    figures_of_views,
    hours_view,
    is_past_short,
    totals,
)
from accomp.errors import EXIT_CHECK_FAILED, UsageError
from accomp.render import Format, join_rows_parts, render_rows, render_rows_part

hours_app = sub_app("The weekly hours rule: at least the target hours of activity each week.")
app.add_typer(hours_app, name="hours")

# Before any contract, a bound to "all weeks": a date no support starts before.
EARLIEST_WEEK = dt.date(1900, 1, 1)


@hours_app.command("check")
def hours_check(
    ctx: typer.Context,
    case_ids: list[str] = typer.Argument(None, metavar="[ID]...", help="Cases (default: all)."),
    referent: str | None = typer.Option(None, help="Only this referent's cases."),
    week: str | None = typer.Option(None, metavar="YYYY-Www", help="One ISO week."),
    from_: str | None = typer.Option(
        None, "--from", metavar="YYYY-MM-DD", help="Weeks from this day."
    ),
    to: str | None = typer.Option(None, metavar="YYYY-MM-DD", help="Weeks up to this day."),
    on: str | None = typer.Option(
        None, metavar="YYYY-MM-DD", help="Reference day: later weeks are judged on the plan only."
    ),
    fmt: Format = FORMAT_OPTION,
    fail_on_short: bool = typer.Option(
        False, "--fail-on-short", help="Exit 1 if a past week is short."
    ),
) -> None:
    """One row per case per ISO week of the contract: target, planned, realised hours, status.

    Without --week or --from/--to: every week of the contract up to the week of --on.
    """
    store = open_store(ctx)
    day = date_option("--on", on) or store.today
    first, last = _period(week, from_, to, day)
    if case_ids:
        ids = [store.resolve_id(typed) for typed in case_ids]
        views = (hours_view(store.read_case(case_id), store.settings) for case_id in ids)
        by_case = figures_of_views(views, first, last, day, referent)
    elif fmt in (Format.csv, Format.json):
        # Every week of a department's contracts is millions of rows: each worker renders
        # its cases' rows a shard at a time and writes the shard's text to its part file
        # (store/spool.py): the text does not come back through memory.
        with case_parts(
            store, False, "hours", _rendered_cases, first, last, day, referent, fmt.value, keep=True
        ) as (shorts, texts):
            echo_text(join_rows_parts(texts, WEEK_KEYS, fmt))
        if fail_on_short and any(shorts):
            raise typer.Exit(EXIT_CHECK_FAILED)
        return
    else:
        parts = mapped_cases(store, False, "hours", figures_of_views, first, last, day, referent)
        by_case = sorted((item for part in parts for item in part), key=lambda item: item[0])
    rows = [row for _, case_rows in by_case for row in case_rows]
    typer.echo(_render(rows, fmt), nl=False)
    if fail_on_short and any(is_past_short(row, day) for row in rows):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _rendered_cases(
    views: Iterable[dict[str, Any]],
    first: dt.date,
    last: dt.date,
    on: dt.date,
    referent: str | None,
    fmt: str,
) -> list[list[Any]]:
    """[case id, its rows' text, whether a past week was short] of the cases with a week in
    first..last (a task of mapped_cases: it runs in a worker, a shard at a time, and a
    shard's result is kept while its views do not change)."""
    return [
        [
            case_id,
            render_rows_part([row.as_dict() for row in rows], WEEK_KEYS, fmt),
            any(is_past_short(row, on) for row in rows),
        ]
        for case_id, rows in each_case_figures(views, first, last, on, referent)
    ]


def _period(
    week: str | None, from_: str | None, to: str | None, on: dt.date
) -> tuple[dt.date, dt.date]:
    if week and (from_ or to):
        raise UsageError("give --week or --from/--to, not both")
    if week:
        try:
            return parse_iso_week(week)
        except ValueError as exc:
            raise UsageError(f"--week: {exc}") from None
    first = date_option("--from", from_) or EARLIEST_WEEK
    last = date_option("--to", to) or (on + dt.timedelta(days=6 - on.weekday()))
    if last < first:
        raise UsageError(f"--to: {last} is before --from {first}")
    return first, last


HEADERS = {
    "case_id": "case",
    "week": "week",
    "target_hours": "target h",
    "planned_hours": "planned h",
    "realised_hours": "realised h",
    "band": "realised band",
    "status": "status",
}


def _render(rows: list[WeekFigures], fmt: Format) -> str:
    plain = [row.as_dict() for row in rows]
    if fmt in (Format.json, Format.csv):
        return render_rows(plain, WEEK_KEYS, fmt)
    for row in plain:
        row["band"] = band(row["realised_hours"])
    summed = totals(rows)
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("met", "short", "exempt")}
    total = {
        "case_id": "total",
        "week": f"{len(rows)} weeks",
        **summed,
        "band": "",
        "status": ", ".join(f"{n} {s}" for s, n in counts.items()),
    }
    columns = [*WEEK_KEYS[:5], "band", "status"]
    return render_rows([*plain, total], columns, fmt, HEADERS)
