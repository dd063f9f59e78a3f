"""Appointments (rdv): planned with the person, then done (a contact), missed or cancelled.

An appointment is an entry of the case's `appointments` list, with an id like
every follow-up entry, a day and a time, its length, channel and place. Its
number is its place from 1 in date order, as `accomp rdv list ID` shows it.
Settling one is a rule: an appointment is done or missed from its day on, and
only once; a cancelled or settled one stays as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accomp.domain.entries import entry_number

STATUSES = ("planned", "done", "missed", "cancelled")
SETTLED = frozenset({"done", "missed", "cancelled"})


def numbered(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's appointments in date and time order, each with its `number`."""
    appointments = case.get("appointments") or []
    rows = [
        {**appointment, "number": entry_number(appointments, index)}
        for index, appointment in enumerate(appointments)
    ]
    return sorted(rows, key=lambda a: (a["date"], a["time"], a["number"]))


def find(case: dict[str, Any], number: int) -> tuple[int, dict[str, Any]] | None:
    """(index in the file's list, appointment) of the appointment numbered `number`."""
    appointments = case.get("appointments") or []
    for index, appointment in enumerate(appointments):
        if entry_number(appointments, index) == number:
            return index, appointment
    return None


def settle_refusal(appointment: dict[str, Any], status: str, today: dt.date) -> str | None:
    """Why an appointment cannot become `status` (done, missed or cancelled) on `today`, or
    None. It is done or missed from its day on (the day, not the hour: the counsellor
    records it when they can), and settled only once."""
    current = appointment["status"]
    if current in SETTLED:
        on = f" on {appointment['settled_on']}" if appointment.get("settled_on") else ""
        return f"it is already {current}{on}"
    if status in ("done", "missed") and appointment["date"] > today.isoformat():
        return f"it is on {appointment['date']} at {appointment['time']}: not yet {status}"
    return None


def agenda_rows(view: dict[str, Any], first: str, last: str) -> list[dict[str, Any]]:
    """The appointments of a case's followup view dated first..last (ISO), as agenda rows."""
    return [
        {
            "date": date,
            "time": time,
            "case_id": view["case_id"],
            "referent": view["referent"],
            "number": number,
            "minutes": minutes,
            "channel": channel,
            "place": place,
            "with": partner,
            "status": status,
            "id": ident,
        }
        for date, time, minutes, channel, place, partner, status, number, ident in view[
            "appointments"
        ]
        if first <= date <= last
    ]


def view_of(case: dict[str, Any]) -> list[list[Any]]:
    """The appointments as the followup view keeps them (small, no note)."""
    return [
        [
            a["date"],
            a["time"],
            a["minutes"],
            a["channel"],
            a.get("place"),
            a.get("with"),
            a["status"] + ("-excused" if a.get("excused") else ""),
            a["number"],
            a["id"],
        ]
        for a in numbered(case)
    ]
