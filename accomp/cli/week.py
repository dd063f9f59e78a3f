"""The person's week: `accomp plan action schedule` and `accomp plan week` (timetable, HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    NO_COMMIT_OPTION,
    editing,
    open_store,
    outside_store,
)
from accomp.cli.followup import action_app, plan_app
from accomp.domain.dates import parse_iso_week
from accomp.domain.week import parse_slot, week_programme
from accomp.errors import UsageError
from accomp.render import Format, render_rows, to_json
from accomp.store import yamlio

WeekFormat = Literal["table", "csv", "json", "markdown", "html"]
SLOT_COLUMNS = ["date", "day", "start", "end", "hours", "action", "title", "place"]


@action_app.command("schedule")
def action_schedule(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    action: str = typer.Argument(..., metavar="ACTION", help="The action id (A1, …)."),
    slot: list[str] = typer.Option(
        [],
        "--slot",
        metavar="WHEN HH:MM-HH:MM",
        help="'mon 09:00-12:00' every Monday, or '2026-11-26 14:00-16:00' once (repeat).",
    ),
    place: str | None = typer.Option(None, help="Where (for every slot given)."),
    clear: bool = typer.Option(False, "--clear", help="Remove the action's schedule."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Set when an action takes place; its planned hours become its slots' hours.

    The slots replace the action's schedule. With weekly slots, hours_per_week
    becomes their total, so the file stays coherent for anyone reading it.
    """  # fmt: skip
    if clear == bool(slot):
        raise UsageError("give --slot (one or more), or --clear")
    try:
        slots = [parse_slot(text) for text in slot]
    except ValueError as exc:
        raise UsageError(f"--slot: {exc}") from None
    if place is not None and not place.strip():
        raise UsageError("--place: must not be empty")
    with editing(ctx, case_id, as_, no_commit) as edit:
        ident = action.upper()
        actions = edit.document["plan"]["actions"]
        target = next((a for a in actions if a["id"] == ident), None)
        if target is None:
            raise UsageError(f"no action {action} in case {edit.case_id}")
        if target.get("hours") and slots:
            hours = float(target["hours"])
            raise UsageError(
                f"action {ident} is a one-off of {hours:g} h on its start day; a schedule is for "
                "actions that take place over time"
            )
        plain = next(a for a in edit.before["plan"]["actions"] if a["id"] == ident)
        for entry in slots:
            if entry.get("date") and not (
                plain["start"] <= entry["date"] <= (plain.get("end") or "9999-12-31")
            ):
                raise UsageError(f"--slot: {entry['date']} is outside action {ident}'s dates")
            if place:
                entry["place"] = place.strip()
        if clear:
            if "schedule" in target:
                del target["schedule"]
            edit.message = f"plan {edit.case_id}: action {ident} schedule removed"
            return
        yamlio.set_key(target, "schedule", slots)
        from accomp.domain.hours import schedule_hours

        weekly, _ = schedule_hours({"schedule": slots})
        if weekly:
            yamlio.set_key(target, "hours_per_week", round(sum(weekly), 2))
        edit.message = f"plan {edit.case_id}: action {ident} scheduled ({len(slots)} slot(s))"
        edit.recorded = ""  # say the commit message


@plan_app.command("week")
def plan_week(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    week: str = typer.Option(..., metavar="YYYY-Www", help="The ISO week."),
    fmt: WeekFormat = typer.Option(
        "table", "--format", "-f", help="table, csv, json, markdown, or html (with --out)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        metavar="FILE.html",
        help="With --format html: the printable programme for the person (outside the store).",
    ),
) -> None:
    """The person's week as a timetable: slots day by day, actions still to schedule, and
    the week's target, planned and realised hours.

    --format html writes a one-page programme to print and hand to the person. It
    carries their name, so it is written outside the store and never committed.
    """  # fmt: skip
    try:
        monday, _ = parse_iso_week(week)
    except ValueError as exc:
        raise UsageError(f"--week: {exc}") from None
    if fmt == "html" and out is None:
        raise UsageError("--format html needs --out FILE.html (the page carries the person's name)")
    store = open_store(ctx)
    case = store.read_case(store.resolve_id(case_id))
    programme = week_programme(case, store.settings, monday, store.today)
    if fmt == "html":
        assert out is not None
        outside_store(store, out, "the person's programme")
        from accomp.report_html import render_week

        referents = {r["id"]: r for r in store.settings.referents}
        referent = referents.get(
            case["enrolment"]["referent"], {"id": case["enrolment"]["referent"]}
        )
        store.write_output(out, render_week(programme, case["identity"], referent).encode("utf-8"))
        typer.echo(
            f"accomp: wrote the week {programme['week']} of {case['case_id']} to {out}", err=True
        )
        typer.echo(str(out))
        return
    if fmt == "json":
        typer.echo(to_json(programme), nl=False)
        return
    text = render_rows(programme["slots"], SLOT_COLUMNS, Format(fmt))
    if fmt == "csv":
        typer.echo(text, nl=False)
        return
    lines = [text.rstrip("\n")]
    for item in programme["to_schedule"]:
        lines.append(
            f"to schedule: {item['action']} {item['title']} ({item['hours']:g} h this week)"
        )
    lines.append(
        f"{programme['week']}: target {programme['target_hours']:g} h, planned "
        f"{programme['planned_hours']:g} h, realised {programme['realised_hours']:g} h "
        f"({programme['status']})"
    )
    typer.echo("\n".join(lines))
