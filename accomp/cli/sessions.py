"""`accomp session`: collective sessions (workshops, the club modality, information sessions):
plan one, register cases within its places, record attendance into each case's activity."""

from __future__ import annotations

import re
from typing import Any, Literal

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    FORMAT_OPTION,
    NO_COMMIT_OPTION,
    after_write,
    author,
    date_option,
    open_store,
    partner_option,
    required_date,
    sub_app,
)
from accomp.domain import sessions as rules
from accomp.domain.corrections import void_record
from accomp.domain.followup import activity_refusal
from accomp.errors import UsageError
from accomp.render import Format, render_rows, to_json
from accomp.store import sessions as session_files
from accomp.store import yamlio

session_app = sub_app("Collective sessions: plan them, register cases, record attendance.")
app.add_typer(session_app, name="session")

SESSION_ARGUMENT = typer.Argument(..., metavar="SESSION", help="The session id, e.g. 2026-11-26-1.")
CASES_ARGUMENT = typer.Argument(..., metavar="ID...", help="One or more case ids.")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
Attendance = Literal["present", "absent-justified", "absent-unjustified", "clear"]
LIST_COLUMNS = ["session_id", "date", "time", "title", "kind", "places", "registered", "present",
                "status"]  # fmt: skip


def _time(option: str, text: str) -> str:
    match = _TIME.match(text.strip())
    if not match:
        raise UsageError(f"{option}: {text!r} is not a time like 09:30")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _clean(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise UsageError(f"{option}: must not be empty")
    if len(value.strip()) > 200:
        raise UsageError(f"{option}: at most 200 characters")
    return value.strip()


@session_app.command("add")
def session_add(
    ctx: typer.Context,
    title: str = typer.Option(..., help="What it is (e.g. 'Atelier CV'); never a person's name."),
    date: str = typer.Option(..., metavar="YYYY-MM-DD", help="Its day."),
    from_: str = typer.Option(..., "--from", metavar="HH:MM", help="Start time."),
    to: str = typer.Option(..., "--to", metavar="HH:MM", help="End time."),
    places: int = typer.Option(..., min=1, max=500, help="How many people it takes."),
    kind: str = typer.Option(
        "collective-session", help="The activity kind its hours count as (accomp.yaml)."
    ),
    place: str | None = typer.Option(None, help="Where."),
    facilitator: str | None = typer.Option(None, help="Who runs it (a referent or a partner)."),
    partner: str | None = typer.Option(None, help="The partner organisation, if any."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Plan a collective session; prints its id (the day and its number that day)."""
    day = required_date("--date", date)
    start, end = _time("--from", from_), _time("--to", to)
    if rules.session_hours(start, end) <= 0:
        raise UsageError(f"--to: {end} is not after --from {start}")
    store = open_store(ctx)
    if kind not in store.settings.activity_kinds:
        known = ", ".join(store.settings.activity_kinds)
        raise UsageError(f"--kind: unknown activity kind {kind!r} (known: {known})")
    session_id = rules.new_session_id(day, set(session_files.session_ids(store)))
    document: dict[str, Any] = {
        "schema_version": 1, "session_id": session_id, "title": _clean("--title", title),
        "kind": kind, "date": day.isoformat(), "start": start, "end": end, "places": places,
        "place": _clean("--place", place), "facilitator": _clean("--facilitator", facilitator),
        "partner": partner_option(store, "--partner", _clean("--partner", partner)),
        "attendees": [],
    }  # fmt: skip
    message = f"session {session_id}: {kind}, {places} places"
    with store.transaction(message, author(as_), commit=not no_commit) as tx:
        tx.create_session(session_id, document)
    typer.echo(session_id)
    after_write(store, no_commit)


@session_app.command("list")
def session_list(
    ctx: typer.Context,
    from_: str | None = typer.Option(None, "--from", metavar="YYYY-MM-DD", help="From this day."),
    to: str | None = typer.Option(None, "--to", metavar="YYYY-MM-DD", help="Up to this day."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The sessions, by day: places, registered, present."""
    store = open_store(ctx)
    first, last = date_option("--from", from_), date_option("--to", to)
    rows = [
        rules.session_row(session)
        for session in session_files.read_sessions(store)
        if (first is None or session["date"] >= first.isoformat())
        and (last is None or session["date"] <= last.isoformat())
    ]
    typer.echo(render_rows(rows, LIST_COLUMNS, fmt), nl=False)


@session_app.command("show")
def session_show(
    ctx: typer.Context, session_id: str = SESSION_ARGUMENT, fmt: Format = FORMAT_OPTION
) -> None:
    """One session and its attendees (case ids) with their attendance."""
    session = session_files.read_session(open_store(ctx), session_id)
    if fmt == Format.json:
        typer.echo(to_json(session))
        return
    row = rules.session_row(session)
    header = [(k, row[k]) for k in LIST_COLUMNS if k != "session_id"]
    header += [(k, session.get(k)) for k in ("place", "facilitator", "partner")]
    typer.echo(render_rows([{"field": k, "value": v} for k, v in header], ["field", "value"], fmt),
               nl=False)  # fmt: skip
    columns = ["case_id", "registered_on", "attendance", "activity"]
    typer.echo("\nAttendees" if fmt == Format.table else "")
    typer.echo(render_rows(session["attendees"], columns, fmt), nl=False)


@session_app.command("enrol")
def session_enrol(
    ctx: typer.Context,
    session_id: str = SESSION_ARGUMENT,
    case_ids: list[str] = CASES_ARGUMENT,
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Register cases for a session, within its places (all of them, or none)."""
    store = open_store(ctx)
    resolved = [store.resolve_id(typed) for typed in case_ids]
    message = f"session {session_id}: registered {', '.join(resolved)}"
    with store.transaction(message, author(as_), commit=not no_commit) as tx:
        session = tx.open_session(session_id)
        refusal = rules.registration_refusal(session, resolved)
        for case_id in resolved:
            refusal = refusal or rules.exit_refusal(session, tx.open(case_id))
        if refusal:
            raise UsageError(refusal)
        document = tx.session(session_id)
        for case_id in resolved:
            entry = {"case_id": case_id, "registered_on": store.today}
            yamlio.append(document["attendees"], entry)
    typer.echo(message)
    after_write(store, no_commit)


@session_app.command("cancel")
def session_cancel(
    ctx: typer.Context,
    session_id: str = SESSION_ARGUMENT,
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Cancel a session (it stays, marked with today's date, and counts as cancelled in the
    summary); refused once any attendance is recorded: clear it first."""
    store = open_store(ctx)
    message = f"session {session_id}: cancelled"
    with store.transaction(message, author(as_), commit=not no_commit) as tx:
        refusal = rules.cancel_refusal(tx.open_session(session_id))
        if refusal:
            raise UsageError(refusal)
        yamlio.set_key(tx.session(session_id), "cancelled", store.today)
    typer.echo(message)
    after_write(store, no_commit)


@session_app.command("attendance")
def session_attendance(
    ctx: typer.Context,
    session_id: str = SESSION_ARGUMENT,
    case_ids: list[str] = CASES_ARGUMENT,
    set_: Attendance = typer.Option(
        ..., "--set", help="present, absent-justified, absent-unjustified, or clear."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record attendance: each case gets an activity entry naming the session, with its hours
    (present: done; absent: an absence from it). A changed or cleared attendance voids the
    entry written before. The session and the cases change in one commit."""
    store = open_store(ctx)
    resolved = [store.resolve_id(typed) for typed in case_ids]
    message = f"session {session_id}: {set_} {', '.join(resolved)}"
    with store.transaction(message, author(as_), commit=not no_commit) as tx:
        session = tx.open_session(session_id)
        refusal = rules.attendance_refusal(session, store.today)
        if refusal:
            raise UsageError(refusal)
        document = tx.session(session_id)
        for case_id in resolved:
            _attend(tx, session, document, case_id, set_)
    typer.echo(message)
    after_write(store, no_commit)


def _attend(tx: Any, session: dict[str, Any], document: Any, case_id: str, value: str) -> None:
    """Record one attendee's attendance in the session and their case."""
    position = next(
        (i for i, a in enumerate(session["attendees"]) if a["case_id"] == case_id), None
    )
    if position is None:
        raise UsageError(f"{case_id} is not registered for session {session['session_id']}")
    attendee = session["attendees"][position]
    current = attendee.get("attendance")
    if (current or "clear") == value:
        raise UsageError(f"{case_id}: attendance already {value}")
    before = tx.open(case_id)
    if attendee.get("activity"):  # what the previous attendance wrote goes, marked
        case = tx.edit(case_id)
        for entry in case["activities"]:
            if entry.get("id") == attendee["activity"] and not entry.get("voided"):
                reason = f"attendance of session {session['session_id']} set to {value}"
                yamlio.set_key(entry, "voided", void_record(tx.store.today, reason))
    target = document["attendees"][position]
    if value == "clear":
        yamlio.set_key(target, "attendance", None)
        yamlio.set_key(target, "activity", None)
        return
    entry = rules.attendance_entry(session, value)
    others = {**before, "activities": [a for a in before["activities"]
                                       if a.get("id") != attendee.get("activity")]}  # fmt: skip
    refusal = activity_refusal(others, entry["date"], entry["hours"])
    if refusal:
        raise UsageError(f"{case_id}: {refusal.removeprefix('--hours: ')}")
    added = tx.append(case_id, "activities", entry)
    yamlio.set_key(target, "attendance", value)
    yamlio.set_key(target, "activity", added[0] if added else None)
