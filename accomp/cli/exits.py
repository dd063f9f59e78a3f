"""Exits and what follows: exit, followup, reopen."""

from __future__ import annotations

from typing import Any

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    NO_COMMIT_OPTION,
    editing,
    required_date,
    with_note,
)
from accomp.domain.outcomes import exit_category, followup_situations, needs_months
from accomp.errors import UsageError
from accomp.store import yamlio


@app.command("exit")
def exit_case(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    date: str = typer.Option(..., metavar="YYYY-MM-DD", help="Last day of the support."),
    outcome: str = typer.Option(..., help="Outcome from accomp.yaml (cdi, cdd, interim, …)."),
    employer: str | None = typer.Option(None, help="The employer or training body."),
    contract_months: float | None = typer.Option(
        None, min=0, max=600, help="Length of the contract in months (needed for cdd, interim, …)."
    ),
    note: str | None = typer.Option(None, help="A short note."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Close a case with its outcome."""
    day = required_date("--date", date)
    with editing(ctx, case_id, as_, no_commit) as edit:
        settings = edit.store.settings
        if outcome not in settings.outcomes:
            known = ", ".join(settings.outcomes)
            raise UsageError(f"--outcome: unknown outcome {outcome!r} (known: {known})")
        if needs_months(outcome, settings) and contract_months is None:
            raise UsageError(
                f"--contract-months: needed for a {outcome} exit (it decides durable or not)"
            )
        previous = edit.before.get("exit")
        if previous:
            already = f"case {edit.case_id} already exited on {previous['date']}"
            raise UsageError(f"{already} (undo it with `accomp reopen`)")
        edit.check_date("--date", day, past_only=True)
        entry: dict[str, Any] = {"date": day, "outcome": outcome}
        if employer and employer.strip():
            entry["employer"] = employer.strip()
        if contract_months is not None:
            whole = contract_months.is_integer()
            entry["contract_months"] = int(contract_months) if whole else contract_months
        yamlio.set_key(edit.document, "exit", with_note(entry, note))
        exit_ = {"outcome": outcome, "contract_months": contract_months}
        category = exit_category(exit_, settings, edit.before["enrolment"]["programme"])
        edit.message = f"exit {edit.case_id}: {outcome} on {day} ({category})"


@app.command()
def followup(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    date: str = typer.Option(..., metavar="YYYY-MM-DD", help="Day of the follow-up."),
    situation: str = typer.Option(
        ..., help="An outcome (cdi, …), or job-search, inactive, unreachable."
    ),
    note: str | None = typer.Option(None, help="A short note."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record the situation after the exit (six months later for most funders)."""
    day = required_date("--date", date)
    with editing(ctx, case_id, as_, no_commit) as edit:
        exit_ = edit.before.get("exit")
        if not exit_:
            raise UsageError(f"case {edit.case_id} has no exit: a follow-up comes after the exit")
        situations = followup_situations(edit.store.settings)
        if situation not in situations:
            raise UsageError(
                f"--situation: unknown situation {situation!r} (known: {', '.join(situations)})"
            )
        if day.isoformat() < exit_["date"]:
            raise UsageError(f"--date: {day} is before the exit {exit_['date']}")
        edit.check_date("--date", day, past_only=True)
        entry: dict[str, Any] = {"date": day, "situation": situation}
        edit.append("followups", with_note(entry, note))
        edit.message = f"followup {edit.case_id}: {situation} on {day}"


@app.command()
def reopen(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    reason: str = typer.Option(..., help="Why the exit is undone (kept in the case)."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Undo an exit made by mistake; the undone exit is kept in the case's reopenings."""
    if not reason.strip():
        raise UsageError("--reason: must not be empty")
    with editing(ctx, case_id, as_, no_commit) as edit:
        exit_ = edit.before.get("exit")
        if not exit_:
            raise UsageError(f"case {edit.case_id} has no exit to undo")
        if edit.before["followups"]:
            raise UsageError(
                f"case {edit.case_id} has follow-ups after its exit: remove them first"
            )
        record = {
            "date": edit.store.today,
            "reason": reason.strip(),
            "exit": dict(edit.document["exit"]),
        }
        if "reopenings" not in edit.document:
            yamlio.set_key(edit.document, "reopenings", [])
        yamlio.append(edit.document["reopenings"], record)
        edit.document["exit"] = None
        edit.message = f"reopen {edit.case_id}: exit of {exit_['date']} undone"
