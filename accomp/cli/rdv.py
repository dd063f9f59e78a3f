"""Appointments: `accomp rdv add|list|done|missed|cancel` and `accomp agenda export` (iCalendar)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

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
    partner_option,
    sub_app,
    valid_cases,
    with_note,
)
from accomp.cli.followup import Channel
from accomp.domain import appointments
from accomp.errors import UsageError
from accomp.render import Format, render_rows

rdv_app = sub_app("Appointments (rdv) with the person: plan them, then say how they went.")
app.add_typer(rdv_app, name="rdv")
agenda_app = sub_app("The referents' agenda, for a calendar application.")
app.add_typer(agenda_app, name="agenda")

_AT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})$")
NUMBER_ARGUMENT = typer.Argument(
    ..., metavar="N", min=1, help="The appointment's number, as `accomp rdv list ID` shows it."
)
AGENDA_COLUMNS = ["date", "time", "case_id", "number", "referent", "minutes", "channel",
                  "place", "with", "status"]  # fmt: skip


def _parse_at(text: str) -> tuple[dt.date, str]:
    match = _AT.match(text.strip())
    if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise UsageError(f"--at: {text!r} is not a day and time like '2026-11-26 14:30'")
    try:
        day = dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise UsageError(f"--at: {match.group(1)} is not a date") from None
    return day, f"{int(match.group(2)):02d}:{match.group(3)}"


@rdv_app.command("add")
def rdv_add(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    at: str = typer.Option(..., "--at", metavar="'YYYY-MM-DD HH:MM'", help="Day and time."),
    minutes: int = typer.Option(..., min=1, max=720, help="Planned length in minutes."),
    channel: Channel = typer.Option(..., help="How: in-person, phone, video, …"),
    place: str | None = typer.Option(None, help="Where."),
    with_: str | None = typer.Option(None, "--with", help="A partner met with the person."),
    note: str | None = typer.Option(
        None, help="A short note (kept in the case, never in the commit)."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Plan an appointment; prints its number (for rdv done, missed, cancel)."""
    day, time = _parse_at(at)
    for option, value in (("--place", place), ("--with", with_)):
        if value is not None and not value.strip():
            raise UsageError(f"{option}: must not be empty")
    with editing(ctx, case_id, as_, no_commit) as edit:
        edit.check_date("--at", day)
        exit_ = edit.before.get("exit")
        if exit_ and day.isoformat() > exit_["date"]:
            raise UsageError(
                f"--at: {day} is after the exit of case {edit.case_id} on {exit_['date']}"
            )
        entry: dict = {"date": day, "time": time, "minutes": minutes, "channel": channel}
        if place:
            entry["place"] = place.strip()
        if with_:
            entry["with"] = partner_option(edit.store, "--with", with_)
        entry = with_note(entry, note)
        entry["status"] = "planned"
        if "appointments" not in edit.document:
            from accomp.store import yamlio

            yamlio.set_key(edit.document, "appointments", [])
        edit.append("appointments", entry)
        edit.message = f"rdv {edit.case_id}: {day} {time}, {minutes} min, {channel}"


@rdv_app.command("list")
def rdv_list(
    ctx: typer.Context,
    case_id: str | None = typer.Argument(None, metavar="[ID]", help="One case (default: all)."),
    referent: str | None = typer.Option(None, help="Only this referent's cases."),
    from_: str | None = typer.Option(
        None, "--from", metavar="YYYY-MM-DD", help="First day (default: today)."
    ),
    to: str | None = typer.Option(
        None, metavar="YYYY-MM-DD", help="Last day (default: a week after --from)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The agenda, day by day: appointments of the period (one case: all of its, numbered)."""
    store = open_store(ctx)
    if case_id:
        case = store.read_case(store.resolve_id(case_id))
        rows = [{**a, "case_id": case["case_id"], "referent": case["enrolment"]["referent"],
                 "status": a["status"] + ("-excused" if a.get("excused") else "")}
                for a in appointments.numbered(case)]  # fmt: skip
    else:
        first = date_option("--from", from_) or store.today
        last = date_option("--to", to) or first + dt.timedelta(days=6)
        if last < first:
            raise UsageError(f"--to: {last} is before --from {first}")
        rows = []
        for view in valid_cases(store, strict=False, read="followup", ordered=False):
            if referent and view["referent"] != referent:
                continue
            rows += appointments.agenda_rows(view, first.isoformat(), last.isoformat())
        rows.sort(key=lambda r: (r["date"], r["time"], r["case_id"], r["number"]))
    typer.echo(render_rows(rows, AGENDA_COLUMNS, fmt), nl=False)


def _settle(
    ctx: typer.Context, case_id: str, number: int, status: str, as_: str | None,
    no_commit: bool, excused: bool = False, reason: str | None = None,
    minutes: int | None = None, note: str | None = None,
) -> None:  # fmt: skip
    with editing(ctx, case_id, as_, no_commit) as edit:
        found = appointments.find(edit.before, number)
        if found is None:
            listing = f"accomp rdv list {edit.case_id}"
            raise UsageError(f"no appointment {number} in case {edit.case_id} (see `{listing}`)")
        index, appointment = found
        refusal = appointments.settle_refusal(appointment, status, edit.store.today)
        if refusal:
            raise UsageError(f"appointment {number} of case {edit.case_id}: {refusal}")
        target = edit.document["appointments"][index]
        from accomp.store import yamlio

        target["status"] = status
        yamlio.set_key(target, "settled_on", edit.store.today)
        if excused:
            yamlio.set_key(target, "excused", True)
        if reason and reason.strip():
            yamlio.set_key(target, "reason", reason.strip())
        edit.message = f"rdv {edit.case_id}: appointment {number} {status}"
        if status == "done":  # the contact it was, with its real length
            contact = {
                "date": dt.date.fromisoformat(appointment["date"]),
                "channel": appointment["channel"],
                "minutes": appointment["minutes"] if minutes is None else minutes,
                "mode": "individual",
                "by": edit.before["enrolment"]["referent"],
            }
            added = edit.tx.append(edit.case_id, "contacts", with_note(contact, note))
            if added is not None:
                yamlio.set_key(target, "contact", added[0])
                edit.recorded = f"contact entry {added[1]} ({added[0]})"
        else:
            edit.recorded = ""


@rdv_app.command("done")
def rdv_done(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    number: int = NUMBER_ARGUMENT,
    minutes: int | None = typer.Option(
        None, min=0, max=720, help="Its real length (default: planned)."
    ),
    note: str | None = typer.Option(None, help="A short note for the contact."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """The appointment took place: it becomes a contact, with its minutes."""
    _settle(ctx, case_id, number, "done", as_, no_commit, minutes=minutes, note=note)


@rdv_app.command("missed")
def rdv_missed(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    number: int = NUMBER_ARGUMENT,
    excused: bool = typer.Option(False, "--excused", help="The person excused it."),
    reason: str | None = typer.Option(None, help="Why, if known."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """The person did not come (counted in the summary; --excused when they said why)."""
    _settle(ctx, case_id, number, "missed", as_, no_commit, excused=excused, reason=reason)


@rdv_app.command("cancel")
def rdv_cancel(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    number: int = NUMBER_ARGUMENT,
    reason: str | None = typer.Option(None, help="Why."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Cancel an appointment (it stays in the case, marked cancelled)."""
    _settle(ctx, case_id, number, "cancelled", as_, no_commit, reason=reason)


@agenda_app.command("export")
def agenda_export(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", metavar="FILE.ics", help="The file to write."),
    referent: str | None = typer.Option(None, help="Only this referent's appointments."),
    from_: str | None = typer.Option(
        None, "--from", metavar="YYYY-MM-DD", help="First day (default: today)."
    ),
    to: str | None = typer.Option(
        None, metavar="YYYY-MM-DD", help="Last day (default: 90 days after --from)."
    ),
    with_names: bool = typer.Option(
        False, "--with-names", help="Put the person's name in each event (else the case id)."
    ),
) -> None:
    """The planned appointments as an iCalendar file (Thunderbird, Outlook, phones import it).

    Events carry the case id, never the person's name unless --with-names: a
    calendar is synchronised to places the store is not.
    """
    from accomp.agenda import calendar_bytes

    if out.suffix.lower() != ".ics":
        raise UsageError(f"--out: {out} should end in .ics")
    store = open_store(ctx)
    first = date_option("--from", from_) or store.today
    last = date_option("--to", to) or first + dt.timedelta(days=90)
    if last < first:
        raise UsageError(f"--to: {last} is before --from {first}")
    rows = []
    for view in valid_cases(store, strict=False, read="followup", ordered=False):
        if referent and view["referent"] != referent:
            continue
        rows += [r for r in appointments.agenda_rows(view, first.isoformat(), last.isoformat())
                 if r["status"] == "planned"]  # fmt: skip
    rows.sort(key=lambda r: (r["date"], r["time"], r["case_id"], r["number"]))
    names = {}
    if with_names:
        for case_id in sorted({r["case_id"] for r in rows}):
            identity = store.read_case(case_id)["identity"]
            names[case_id] = f"{identity['given_name']} {identity['family_name']}"
    store.write_output(out, calendar_bytes(rows, names, store.today))
    typer.echo(f"accomp: wrote {len(rows)} appointment(s) to {out}", err=True)
