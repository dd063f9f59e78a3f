"""`accomp phase`, `accomp consent`, `accomp plan target-job`: where a person stands in their
pathway (domain/phases.py), their consent to follow-up in employment, the job aimed at."""

from __future__ import annotations

import re
from typing import Literal

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    FORMAT_OPTION,
    NO_COMMIT_OPTION,
    date_option,
    editing,
    open_store,
    required_date,
    sub_app,
    with_note,
)
from accomp.cli.followup import plan_app
from accomp.domain import corrections
from accomp.domain.phases import consent_on, current_phase, transition_refusal
from accomp.errors import UsageError
from accomp.render import Format, render_rows
from accomp.store import yamlio

Phase = Literal["outreach", "diagnostic", "pathway", "follow-up", "closed"]
ROME = re.compile(r"^[A-N][0-9]{4}$")

phase_app = sub_app("The pathway's phases: outreach, diagnostic, pathway, follow-up, closed.")
app.add_typer(phase_app, name="phase")


@phase_app.command("set")
def phase_set(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    phase: Phase = typer.Argument(..., help="outreach, diagnostic, pathway, follow-up or closed."),
    date: str = typer.Option(..., metavar="YYYY-MM-DD", help="The day it begins."),
    note: str | None = typer.Option(None, help="A short note (never in the commit)."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Move a case into a phase from a day. Phases only move forward; follow-up (in
    employment, after the exit) needs the person's consent (`accomp consent`)."""
    day = required_date("--date", date)
    with editing(ctx, case_id, as_, no_commit) as edit:
        edit.check_date("--date", day)
        refusal = transition_refusal(edit.before, phase, day.isoformat())
        if refusal:
            raise UsageError(f"case {edit.case_id}: {refusal}")
        if "phases" not in edit.document:
            yamlio.set_key(edit.document, "phases", [])
        edit.append("phases", with_note({"phase": phase, "from": day}, note))
        edit.message = f"phase {edit.case_id}: {phase} from {day}"


@phase_app.command("list")
def phase_list(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    on: str | None = typer.Option(None, metavar="YYYY-MM-DD", help="The phase on this day."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The phases of a case in date order, and the phase it is in today (or --on)."""
    store = open_store(ctx)
    case = store.read_case(store.resolve_id(case_id))
    day = (date_option("--on", on) or store.today).isoformat()
    rows = corrections.numbered(case, "phases")
    typer.echo(render_rows(rows, ["number", "phase", "from", "note", "id"], fmt), nl=False)
    consent = "given" if consent_on(case, day) else "none"
    typer.echo(f"accomp: on {day}: {current_phase(case, day) or 'not begun'}; "
               f"consent to follow-up: {consent}", err=True)  # fmt: skip


@app.command("consent")
def consent(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    given_on: str | None = typer.Option(None, metavar="YYYY-MM-DD", help="The day it was given."),
    withdrawn_on: str | None = typer.Option(
        None, metavar="YYYY-MM-DD", help="The day it was withdrawn."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record the person's consent to be followed into their job after the exit (or its
    withdrawal): follow-up needs it."""
    given, withdrawn = (
        date_option("--given-on", given_on),
        date_option("--withdrawn-on", withdrawn_on),
    )
    if (given is None) == (withdrawn is None):
        raise UsageError("give --given-on D or --withdrawn-on D")
    with editing(ctx, case_id, as_, no_commit) as edit:
        current = edit.before.get("followup_consent")
        if given is not None:
            edit.check_date("--given-on", given, past_only=True)
            if current and not current.get("withdrawn_on"):
                raise UsageError(
                    f"case {edit.case_id}: consent already given on {current['given_on']}"
                )
            yamlio.set_key(
                edit.document, "followup_consent", {"given_on": given, "withdrawn_on": None}
            )
            edit.message = f"consent {edit.case_id}: given on {given}"
        else:
            assert withdrawn is not None
            edit.check_date("--withdrawn-on", withdrawn, past_only=True)
            if not current or current.get("withdrawn_on"):
                raise UsageError(f"case {edit.case_id}: no consent in force to withdraw")
            if withdrawn.isoformat() < current["given_on"]:
                raise UsageError(
                    f"--withdrawn-on: {withdrawn} is before it was given ({current['given_on']})"
                )
            yamlio.set_key(edit.document["followup_consent"], "withdrawn_on", withdrawn)
            edit.message = f"consent {edit.case_id}: withdrawn on {withdrawn}"
        edit.recorded = ""


@plan_app.command("target-job")
def plan_target_job(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    rome: str | None = typer.Option(None, help="The ROME code of the job (e.g. M1607)."),
    label: str | None = typer.Option(None, help="The job as the person says it."),
    clear: bool = typer.Option(False, "--clear", help="The plan aims at no job for now."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """The job the plan aims at: a ROME code (France Travail's job classification) and a label."""
    if clear == (rome is not None or label is not None):
        raise UsageError("give --rome CODE --label TEXT, or --clear")
    if not clear:
        code = (rome or "").strip().upper()
        if not ROME.match(code):
            raise UsageError(f"--rome: {rome!r} is not a ROME code (a letter A-N and 4 digits)")
        if not (label and label.strip()):
            raise UsageError("--label: say what the job is")
    with editing(ctx, case_id, as_, no_commit) as edit:
        value = None if clear else {"rome": code, "label": label.strip()}  # type: ignore[union-attr]
        yamlio.set_key(edit.document["plan"], "target_job", value)
        edit.message = f"plan {edit.case_id}: target job " + ("cleared" if clear else code)
        edit.recorded = ""
