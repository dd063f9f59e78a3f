"""`accomp summary`: the cohort's figures for funders, and the FSE+ indicators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import typer

from accomp.cli import app
from accomp.cli.common import (
    date_option,
    mapped_cases,
    open_store,
    programme_option,
    valid_cases,
)
from accomp.domain.fse import COLUMNS, fse_indicators
from accomp.domain.sessions import sessions_summary
from accomp.domain.summary import (
    GROUPINGS,
    cross_table,
    enrolled_as,
    figures_of,
    merge_tallies,
    tallies_of_plain,
    tallies_to_plain,
    tally_views,
)
from accomp.domain.views import MemoisedTask
from accomp.errors import UsageError
from accomp.export import xlsx_workbook
from accomp.render import Format, render_mapping, render_rows, to_json
from accomp.store import sessions as session_files

Indicators = Literal["fse"]
SummaryFormat = Literal["table", "csv", "json", "markdown", "xlsx"]
# The period of the figures (summary, report): --from/--to, or --year.
FROM_OPTION = typer.Option(None, "--from", metavar="YYYY-MM-DD", help="First day of the period.")
TO_OPTION = typer.Option(None, "--to", metavar="YYYY-MM-DD", help="Last day of the period.")
YEAR_OPTION = typer.Option(None, min=1900, max=2199, help="A calendar year as the period.")
# The tallies of a shard of the cache that did not move are kept: a warm summary counts
# only the cases of the shards that changed.
TALLIES = MemoisedTask(tally_views, tallies_to_plain, tallies_of_plain)


@app.command()
def summary(
    ctx: typer.Context,
    from_: str | None = FROM_OPTION,
    to: str | None = TO_OPTION,
    year: int | None = YEAR_OPTION,
    programme: str | None = typer.Option(None, help="Only this programme."),
    referent: str | None = typer.Option(None, help="Only this referent's cases."),
    modality: str | None = typer.Option(None, help="Only this modality (individual, club)."),
    by: list[str] = typer.Option(
        [],
        metavar="GROUPING",
        help="One summary per programme, referent, modality, …; twice for a cross-table "
        "of the people accompanied (e.g. --by programme --by sex).",
    ),
    indicators: Indicators | None = typer.Option(
        None, help="fse: the FSE+ participant indicators."
    ),
    show_missing: bool = typer.Option(
        False, "--show-missing", help="With --indicators: list unknowns."
    ),
    fmt: SummaryFormat = typer.Option(
        "table", "--format", "-f", help="table, csv, json, markdown, or xlsx (with --out)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write to this file (needed for xlsx: one sheet per table)."
    ),
) -> None:
    """The figures of the cases enrolled in a period (default: this year up to today).

    Counts, exits by outcome and category, shares of the cohort, weekly hours,
    contacts, allowances, durations, caseloads and the funder's objectives.
    Names never appear: only counts, rates and referent ids.
    """
    if fmt == "xlsx" and out is None:
        raise UsageError("--format xlsx needs --out FILE")
    store = open_store(ctx)
    programme = programme_option(store, programme)
    first, last = period_of(from_, to, year, store.today)

    def emit(data: dict[str, Any], render: Callable[[Format], str]) -> None:
        """The figures as the format asks: text on stdout or in --out, or a workbook."""
        body = xlsx_sheets(data) if fmt == "xlsx" else render(Format(fmt)).encode("utf-8")
        if out is None:
            typer.echo(body.decode("utf-8"), nl=False)
            return
        store.write_output(out, body)
        typer.echo(f"accomp: wrote the summary to {out}", err=True)

    settings = store.settings
    unknown = [name for name in by if name not in GROUPINGS]
    if unknown:
        raise UsageError(f"--by: unknown grouping {unknown[0]!r} (known: {', '.join(GROUPINGS)})")
    if len(by) > 2:
        raise UsageError("--by: at most twice (rows, then columns of a cross-table)")
    only = {
        field: value
        for field, value in (
            ("programme", programme),
            ("referent", referent),
            ("modality", modality),
        )
        if value
    }
    if indicators == "fse" or len(by) == 2:
        cases = [
            case
            for case in valid_cases(store, strict=True, read="cohort", ordered=False)
            if enrolled_as(case, only)
        ]
        if indicators == "fse":
            result = fse_indicators(cases, settings, first, last, store.today)
            if not show_missing:
                result = {k: v for k, v in result.items() if k != "missing"}
            emit(result, lambda f: _render_fse(result, f, show_missing, first, last))
        else:
            table = cross_table(cases, settings, first, last, by[0], by[1])
            emit(table, lambda f: _render_cross(table, f, first, last))
        return
    # The figures are counted on all the cores, each over a part of the store.
    parts = mapped_cases(
        store,
        True,
        "cohort",
        TALLIES,
        settings,
        first,
        last,
        store.today,
        only,
        by[0] if by else None,
    )
    groups = merge_tallies(parts)
    if by:
        results = {
            name: figures_of(tallies, settings, first, last, store.today)
            for name, tallies in groups.items()
        }
        emit(results, lambda f: _render_groups(results, by[0], f, first, last))
        return
    result = figures_of(groups.get("", {}), settings, first, last, store.today)
    # Store-wide: a session gathers people of every programme and referent.
    held = session_files.read_sessions(store)
    result["sessions"] = sessions_summary(held, first.isoformat(), last.isoformat())
    name = settings.data["structure"].get("name")
    emit(result, lambda f: _render_summary(result, f, first, last, name))


def period_of(
    from_: str | None, to: str | None, year: int | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    if year is not None and (from_ or to):
        raise UsageError("give --year or --from/--to, not both")
    if year is not None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    first = date_option("--from", from_) or dt.date(today.year, 1, 1)
    last = date_option("--to", to) or today
    if last < first:
        raise UsageError(f"--to: {last} is before --from {first}")
    return first, last


# Rendering ---------------------------------------------------------------------


def xlsx_sheets(data: dict[str, Any]) -> bytes:
    """A workbook of the figures: the top-level numbers on a first sheet, then one sheet
    per table (each nested part, as indicator / value rows)."""
    figures = [{"indicator": k, "value": v} for k, v in data.items() if not isinstance(v, dict)]
    sheets = [("figures", ["indicator", "value"], figures)] if figures else []
    sheets += [
        (key, ["indicator", "value"], [{"indicator": k, "value": v} for k, v in flatten(value)])
        for key, value in data.items()
        if isinstance(value, dict)
    ]
    return xlsx_workbook(sheets)


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested summary data as (dotted.key, value) pairs, for CSV."""
    if isinstance(data, dict):
        pairs: list[tuple[str, Any]] = []
        for key, value in data.items():
            pairs += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    return [(prefix, data)]


def _percent(value: float | None) -> str:
    """A rate as a percentage; `-` when there is nothing to divide by (no session held)."""
    return "-" if value is None else f"{value * 100:.1f} %"


def _rate_cell(figures: dict[str, Any]) -> str:
    """`3 of 12 accompanied: 25.0 %`."""
    return f"{figures['count']} of {figures['of']} {figures['base']}: {_percent(figures['rate'])}"


def _share(part: int, whole: int) -> str:
    return _percent(part / whole) if whole else "-"


def _render_summary(
    s: dict[str, Any], fmt: Format, first: dt.date, last: dt.date, name: str | None
) -> str:
    if fmt is Format.json:
        return to_json(s)
    if fmt is Format.csv:
        return render_rows(
            [{"indicator": k, "value": v} for k, v in flatten(s)], ["indicator", "value"], fmt
        )
    title = f"Summary {first} to {last}" + (f", {name}" if name else "")
    exits, bases = s["exits"], s["rate_bases"]
    parts = [
        render_mapping(
            title,
            [
                ("accompanied in the period (active on any of its days)", s["cases"]),
                ("entered (started in the period)", s["entries"]),
                ("active at the end of the period", s["active"]),
                ("exits in the period", exits["total"]),
                (
                    f"durable employment rate (of {bases['durable_employment_rate']})",
                    _percent(s["durable_employment_rate"]),
                ),
                (
                    f"positive exit rate (of {bases['positive_exit_rate']})",
                    _percent(s["positive_exit_rate"]),
                ),
            ],
            fmt,
        ),
        _titled(
            "Rates by programme, each by its funder's definition",
            [
                {
                    "programme": programme,
                    "durable employment": _rate_cell(figures["durable_employment"]),
                    "positive exits": _rate_cell(figures["positive_exit"]),
                    "definition": figures["definition"],
                }
                for programme, figures in s["rates_by_programme"].items()
            ],
            ["programme", "durable employment", "positive exits", "definition"],
            fmt,
        ),
        render_mapping(
            "Exits by category",
            [(k, f"{v}  ({_share(v, exits['total'])})") for k, v in exits["by_category"].items()]
            + [(f"  {k}", v) for k, v in exits["by_outcome"].items()],
            fmt,
        ),
        render_mapping(
            "The cohort (shares of the cases)",
            [(k.replace("_", " "), _percent(v)) for k, v in s["shares"].items()],
            fmt,
        ),
        render_mapping(
            "By programme, modality, referent",
            [(f"programme {k}", v) for k, v in s["by_programme"].items()]
            + [(f"modality {k}", v) for k, v in s["by_modality"].items()]
            + [(f"referent {k}", v) for k, v in s["by_referent"].items()],
            fmt,
        ),
        render_mapping(
            "Weekly hours (weeks inside the period, exempt weeks apart)",
            [
                ("weeks judged", s["hours"]["weeks_judged"]),
                ("weeks met", s["hours"]["weeks_met"]),
                ("compliance rate", _percent(s["hours"]["compliance_rate"])),
                ("median realised hours a week", s["hours"]["median_realised_hours"]),
            ],
            fmt,
        ),
        render_mapping(
            "Contacts",
            [
                ("total", s["contacts"]["total"]),
                ("per case per month", s["contacts"]["per_case_per_month"]),
                ("cases whose cadence was respected", _percent(s["contacts"]["cadence_respected"])),
            ]
            + [(f"  {k}", v) for k, v in s["contacts"]["by_channel"].items()],
            fmt,
        ),
        render_mapping(
            "Phases on the last day of the period (people accompanied)",
            list(s["phases_at_end"].items()),
            fmt,
        ),
        render_mapping(
            "Collective sessions (the whole store)",
            [
                ("held", s["sessions"]["held"]),
                ("cancelled", s["sessions"]["cancelled"]),
                ("places offered", s["sessions"]["places"]),
                ("registered", s["sessions"]["registered"]),
                ("places filled", _percent(s["sessions"]["fill_rate"])),
                ("attendance rate", _percent(s["sessions"]["attendance_rate"])),
                ("hours of presence", s["sessions"]["hours_present"]),
            ],
            fmt,
        ),
        render_mapping(
            "Allowances and durations",
            [
                ("allowances paid (EUR)", s["allowances"]["total"]),
                ("beneficiaries", s["allowances"]["beneficiaries"]),
                ("median months of support (exits)", s["durations"]["median_months"]),
                ("cases past their programme's maximum", s["durations"]["past_max_duration"]),
            ],
            fmt,
        ),
    ]
    caseload = [
        {
            "referent": k,
            "active cases": v["cases"],
            "limit": v["limit"],
            "over": "OVER" if v["over_limit"] else "",
        }
        for k, v in s["caseload"].items()
    ]
    parts.append(
        _titled(
            "Caseload per referent", caseload, ["referent", "active cases", "limit", "over"], fmt
        )
    )
    scopes = {"all programmes": s["objectives"], **s["objectives_by_programme"]}
    objectives = [
        {"for": scope, "objective": k, "achieved": _show(k, v["achieved"]),
         "target": _show(k, v["target"]), "gap": _show(k, v["gap"]),
         "reached": "yes" if v["reached"] else "no"}
        for scope, targets in scopes.items()
        for k, v in targets.items()
    ]  # fmt: skip
    if objectives:
        columns = ["for", "objective", "achieved", "target", "gap", "reached"]
        parts.append(_titled("Objectives", objectives, columns, fmt))
    return "\n".join(parts)


def _show(name: str, value: float) -> str:
    is_rate = "rate" in name or name.startswith("shares.") or name.endswith("respected")
    return _percent(value) if is_rate else f"{value:g}"


def _titled(title: str, rows: list[dict[str, Any]], columns: list[str], fmt: Format) -> str:
    heading = f"## {title}\n\n" if fmt is Format.markdown else f"{title}\n{'-' * len(title)}\n"
    return heading + render_rows(rows, columns, fmt)


# The figures compared side by side in `--by` tables.
GROUP_FIGURES = [
    ("cases", lambda s: s["cases"]),
    ("entries", lambda s: s["entries"]),
    ("active", lambda s: s["active"]),
    ("exits", lambda s: s["exits"]["total"]),
    ("durable employment", lambda s: _percent(s["durable_employment_rate"])),
    ("positive exits", lambda s: _percent(s["positive_exit_rate"])),
    ("QPV", lambda s: _percent(s["shares"]["qpv"])),
    ("no qualification", lambda s: _percent(s["shares"]["no_qualification"])),
    ("women", lambda s: _percent(s["shares"]["women"])),
    ("weeks met", lambda s: _percent(s["hours"]["compliance_rate"])),
    ("contacts per case a month", lambda s: s["contacts"]["per_case_per_month"]),
    ("allowances (EUR)", lambda s: s["allowances"]["total"]),
]


def _render_groups(
    results: dict[str, dict[str, Any]], by: str, fmt: Format, first: dt.date, last: dt.date
) -> str:
    if fmt is Format.json:
        return to_json(results)
    if fmt is Format.csv:
        rows = [
            {by: name, "indicator": k, "value": v}
            for name, s in results.items()
            for k, v in flatten(s)
        ]
        return render_rows(rows, [by, "indicator", "value"], fmt)
    rows = [
        {"figure": label, **{name: get(s) for name, s in results.items()}}
        for label, get in GROUP_FIGURES
    ]
    return _titled(f"Summary {first} to {last} by {by}", rows, ["figure", *results], fmt)


def _render_cross(table: dict[str, Any], fmt: Format, first: dt.date, last: dt.date) -> str:
    if fmt is Format.json:
        return to_json(table)
    rows_by, columns_by = table["by"]
    counts, shares = table["counts"], table["shares"]
    if fmt is Format.csv:
        rows = [
            {rows_by: row, columns_by: column, "cases": n, "share": shares[row][column]}
            for row, counted in counts.items()
            for column, n in counted.items()
        ]
        return render_rows(rows, [rows_by, columns_by, "cases", "share"], fmt)
    columns = list(counts["total"])
    rows = [
        {f"{rows_by} \\ {columns_by}": row,
         **{c: f"{counted[c]} ({_percent(shares[row][c])})" for c in columns}}
        for row, counted in counts.items()
    ]  # fmt: skip
    title = f"People accompanied {first} to {last}, by {rows_by} and {columns_by}"
    return _titled(title, rows, [f"{rows_by} \\ {columns_by}", *columns], fmt)


FSE_TITLES = {
    "entry": "FSE+ participants at entry (entered in the period)",
    "exit": "FSE+ results at exit (exits of the period, within 4 weeks)",
    "six_months": "FSE+ results six months after the exit",
}


def _render_fse(
    result: dict[str, Any], fmt: Format, show_missing: bool, first: dt.date, last: dt.date
) -> str:
    if not show_missing:
        result = {k: v for k, v in result.items() if k != "missing"}
    if fmt is Format.json:
        return to_json(result)
    rows = [
        {"when": when, "indicator": name, **counts}
        for when in ("entry", "exit", "six_months")
        for name, counts in result[when].items()
    ]
    if fmt is Format.csv:
        return render_rows(rows, ["when", "indicator", *COLUMNS], fmt)
    parts = [
        _titled(
            FSE_TITLES[when], [r for r in rows if r["when"] == when], ["indicator", *COLUMNS], fmt
        )
        for when in ("entry", "exit", "six_months")
    ]
    if show_missing:
        parts.append(
            _titled("Missing data", result["missing"], ["case_id", "indicator", "field"], fmt)
        )
    return f"Period {first} to {last}\n\n" + "\n".join(parts)
