"""Handovers and caseloads: `accomp reassign` and `accomp caseload`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from accomp.cli import app
from accomp.cli.common import AS_OPTION, FORMAT_OPTION, author, open_store, valid_cases
from accomp.domain.summary import caseload
from accomp.errors import UsageError
from accomp.render import Format, render_rows
from accomp.store import yamlio


def _active(view: dict[str, Any], day: dt.date) -> bool:
    exit_ = view.get("exit")
    return view["enrolment"]["start"] <= day.isoformat() and (
        not exit_ or exit_["date"] > day.isoformat()
    )


@app.command("caseload")
def caseload_command(
    ctx: typer.Context,
    on: str | None = typer.Option(None, metavar="YYYY-MM-DD", help="As of this day."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Each referent's active cases against the caseload limit that applies to them."""
    from accomp.cli.common import date_option

    store = open_store(ctx)
    day = date_option("--on", on) or store.today
    active = [v for v in valid_cases(store, strict=False, read="cohort") if _active(v, day)]
    loads = caseload(active, store.settings)
    for referent in store.settings.referent_ids:  # a listed referent with no case shows too
        loads.setdefault(referent, {"cases": 0, "limit": None, "over_limit": False})
    rows = [{"referent": referent, **load, "over_limit": "OVER" if load["over_limit"] else ""}
            for referent, load in sorted(loads.items())]  # fmt: skip
    typer.echo(render_rows(rows, ["referent", "cases", "limit", "over_limit"], fmt), nl=False)


@app.command("reassign")
def reassign(
    ctx: typer.Context,
    case_ids: list[str] = typer.Argument(None, metavar="[ID]...", help="The cases to hand over."),
    to: str = typer.Option(..., "--to", help="The referent who takes them."),
    from_: str | None = typer.Option(None, "--from", help="With --all: the referent who leaves."),
    all_: bool = typer.Option(False, "--all", help="Every active case of --from."),
    reason: str = typer.Option(..., help="Why (kept in each case's referent history)."),
    force: bool = typer.Option(
        False, "--force", help="Go over the caseload limit (the reason says why)."
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Hand cases over to another referent, in one commit: one referent at a time, each
    change dated with its reason in the case; refused over the caseload limit unless --force."""
    store = open_store(ctx)
    settings, day = store.settings, store.today
    if not reason.strip():
        raise UsageError("--reason: must not be empty")
    if bool(case_ids) == all_:
        raise UsageError("give the case ids, or --from R --all")
    if all_ and not from_:
        raise UsageError("--all needs --from R")
    if settings.referent_ids and to not in settings.referent_ids:
        known = ", ".join(settings.referent_ids)
        raise UsageError(f"--to: unknown referent {to!r} (known: {known})")
    views = [v for v in valid_cases(store, strict=False, read="cohort") if _active(v, day)]
    if all_:
        ids = sorted(v["case_id"] for v in views if v["enrolment"]["referent"] == from_)
        if not ids:
            raise UsageError(f"--from: referent {from_} has no active case")
    else:
        ids = sorted({store.resolve_id(typed) for typed in case_ids})
    moving = [v for v in views if v["case_id"] in ids and v["enrolment"]["referent"] != to]
    mine = [v for v in views if v["enrolment"]["referent"] == to]
    handed = [{**v, "enrolment": {**v["enrolment"], "referent": to}} for v in moving]
    after = caseload(mine + handed, settings).get(to, {"cases": 0, "limit": None})
    if after["limit"] is not None and after["cases"] > after["limit"] and not force:
        raise UsageError(
            f"--to: {to} would have {after['cases']} active cases, over the limit of "
            f"{after['limit']} (use --force, the reason saying why)"
        )
    with store.batch(author=author(as_)) as batch:
        for case_id in ids:
            text = store.read_text(case_id)
            document = yamlio.load_round_trip(text)
            previous = str(document["enrolment"]["referent"])
            if previous == to:
                continue
            document["enrolment"]["referent"] = to
            if "referent_changes" not in document:
                yamlio.set_key(document, "referent_changes", [])
            change = {"date": day, "from": previous, "to": to, "reason": reason.strip()}
            yamlio.append(document["referent_changes"], change)
            batch.stage_edit(case_id, text, document)
        batch.message = f"reassign: {len(batch.names)} case(s) to {to}"
    typer.echo(f"accomp: {len(batch.names)} case(s) handed over to {to}", err=True)
