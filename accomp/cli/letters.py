"""`accomp letter`: a convocation (or any store template) for one appointment, or for every
appointment of a day, to PDF, HTML or Markdown, written outside the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from accomp.cli import app
from accomp.cli.common import open_store, outside_store, required_date, valid_cases
from accomp.domain import appointments
from accomp.domain.letters import letter_context
from accomp.errors import UsageError
from accomp.letters import LetterFormat, render
from accomp.store.store import Store
from accomp.store.templates import letter_template


def _letter(
    store: Store, case: dict[str, Any], number: int | None, template: str, name: str,
    session: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    """One filled letter (Markdown) for a case and, if given, its appointment `number` or the
    session it is registered for."""
    appointment = None
    if number is not None:
        found = appointments.find(case, number)
        if found is None:
            listing = f"accomp rdv list {case['case_id']}"
            raise UsageError(f"no appointment {number} in case {case['case_id']} (see `{listing}`)")
        appointment = found[1]
        if appointment["status"] != "planned":
            raise UsageError(
                f"appointment {number} of case {case['case_id']} is {appointment['status']}: "
                "no convocation for it"
            )
        if appointment["date"] < store.today.isoformat():
            raise UsageError(
                f"appointment {number} of case {case['case_id']} was on {appointment['date']}: "
                "no convocation for it"
            )
    referents = {r["id"]: r for r in store.settings.referents}
    referent_id = case["enrolment"]["referent"]
    referent = referents.get(referent_id, {"id": referent_id})
    structure = store.settings.data.get("structure") or {}
    context = letter_context(case, appointment, referent, structure, store.today, session)
    from accomp.letters import fill

    return fill(template, context, name)


@app.command("letter")
def letter(
    ctx: typer.Context,
    case_id: str | None = typer.Argument(None, metavar="[ID]", help="The case (or use --on)."),
    template: str | None = typer.Option(
        None,
        "--template",
        help="A template of the store's templates/ or accomp's (default: convocation, or "
        "session with --session).",
    ),
    rdv: int | None = typer.Option(None, "--rdv", metavar="N", min=1, help="The appointment."),
    on: str | None = typer.Option(
        None, "--on", metavar="YYYY-MM-DD", help="Every planned appointment of this day."
    ),
    referent: str | None = typer.Option(None, help="With --on: only this referent's."),
    session: str | None = typer.Option(
        None, "--session", metavar="S", help="Every case registered for this session."
    ),
    fmt: LetterFormat = typer.Option("pdf", "--format", "-f", help="pdf, html or md."),
    out: Path = typer.Option(
        ..., "--out", help="The file (one letter) or the folder (--on: one file per letter)."
    ),
) -> None:
    """Write a letter to the person: a convocation to an appointment (--rdv N), one for
    every planned appointment of a day (--on D), or an invitation for every case registered
    for a collective session (--session S); one file per case, named by its case id.

    Letters carry the person's name and address: they are written outside the store and
    never committed. Templates are Markdown with {{ placeholders }} (see the README).
    """
    store = open_store(ctx)
    template = template or ("session" if session else "convocation")
    text = letter_template(store.root, template)
    outside_store(store, out, "letters")
    if sum(given is not None for given in (case_id, on, session)) != 1:
        raise UsageError("give one of: a case ID (with --rdv N), --on YYYY-MM-DD, --session S")
    if session is not None:
        for path in _session_letters(store, session, template, text, fmt, out):
            typer.echo(str(path))
        return
    if case_id is not None:
        case = store.read_case(store.resolve_id(case_id))
        letter_text = _letter(store, case, rdv, text, template)
        store.write_output(out, render([letter_text], fmt, f"{template} {case['case_id']}"))
        typer.echo(str(out))
        return
    day = required_date("--on", on or "")
    written = _day_letters(store, day, referent, template, text, fmt, out)
    if not written:
        raise UsageError(f"--on: no planned appointment on {day}" + (
            f" for {referent}" if referent else ""))  # fmt: skip
    for path in written:
        typer.echo(str(path))


def _day_letters(
    store: Store, day: dt.date, referent: str | None, template: str, text: str,
    fmt: LetterFormat, folder: Path,
) -> list[Path]:  # fmt: skip
    """One letter per planned appointment of `day`, each in its own file in `folder`."""
    iso = day.isoformat()
    rows = [
        row
        for view in valid_cases(store, strict=False, read="followup", ordered=False)
        if referent is None or view["referent"] == referent
        for row in appointments.agenda_rows(view, iso, iso)
        if row["status"] == "planned"
    ]
    written = []
    if rows:
        store.make_output_folder(folder)
    for row in sorted(rows, key=lambda r: (r["time"], r["case_id"], r["number"])):
        case = store.read_case(row["case_id"])
        letter_text = _letter(store, case, row["number"], text, template)
        path = folder / f"{row['case_id']}-{template}-{iso}-{row['number']}.{fmt}"
        store.write_output(path, render([letter_text], fmt, f"{template} {row['case_id']}"))
        written.append(path)
    return written


def _session_letters(
    store: Store, session_id: str, template: str, text: str, fmt: LetterFormat, folder: Path
) -> list[Path]:
    """One invitation per case registered for a session that is still to come."""
    from accomp.store.sessions import read_session

    session = read_session(store, session_id)
    if session.get("cancelled"):
        raise UsageError(f"session {session_id} was cancelled on {session['cancelled']}")
    if session["date"] < store.today.isoformat():
        raise UsageError(f"session {session_id} was on {session['date']}: no invitation for it")
    if not session["attendees"]:
        raise UsageError(f"nobody is registered for session {session_id} (accomp session enrol)")
    letters = [
        (
            attendee["case_id"],
            _letter(store, store.read_case(attendee["case_id"]), None, text, template, session),
        )
        for attendee in session["attendees"]
    ]
    store.make_output_folder(folder)
    written = []
    for case_id, letter_text in sorted(letters):
        path = folder / f"{case_id}-{template}-{session_id}.{fmt}"
        store.write_output(path, render([letter_text], fmt, f"{template} {case_id}"))
        written.append(path)
    return written
