"""What a letter to the person says: the data a letter template is filled with.

A convocation names the person, their address, the appointment (in French: the
letters go to the jobseekers) and their referent. Letters are the one place
names appear; this module only gathers them, the renderer (accomp/letters.py)
writes them outside the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

FRENCH_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre")  # fmt: skip
# How an appointment takes place, as the letter says it.
FRENCH_CHANNELS = {
    "in-person": "sur place",
    "phone": "par téléphone",
    "video": "en visioconférence",
    "email": "par courriel",
    "sms": "par SMS",
    "letter": "par courrier",
}
CIVILITY = {"F": "Madame", "M": "Monsieur"}


def french_date(day: dt.date) -> str:
    """`jeudi 26 novembre 2026` (`1er` for the first of a month)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{FRENCH_WEEKDAYS[day.weekday()]} {number} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def french_time(time: str) -> str:
    """`14 h 30`, `9 h` (the typographic form of French letters)."""
    hours, minutes = time.split(":")
    return f"{int(hours)} h" + (f" {minutes}" if minutes != "00" else "")


def letter_context(
    case: dict[str, Any],
    appointment: dict[str, Any] | None,
    referent: dict[str, Any],
    structure: dict[str, Any],
    today: dt.date,
    session: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The names a template may use: person, address, rdv and session (or None), referent,
    structure, case_id, today. Strings only, so that a template cannot reach into the case."""
    identity = case["identity"]
    address = identity.get("address") or {}
    context: dict[str, Any] = {
        "case_id": case["case_id"],
        "today": french_date(today),
        "person": {
            "civility": CIVILITY.get(identity.get("sex") or "", ""),
            "given_name": identity["given_name"],
            "family_name": identity["family_name"],
            "email": identity.get("email") or "",
            "phone": identity.get("phone") or "",
        },
        "address": {
            "line": address.get("line") or "",
            "postcode": address.get("postcode") or "",
            "city": address.get("city") or "",
        },
        "referent": {
            "id": referent["id"],
            "name": referent.get("name") or referent["id"],
            "email": referent.get("email") or "",
            "phone": referent.get("phone") or "",
        },
        "structure": {"name": structure.get("name") or ""},
        "rdv": None,
        "session": None,
    }
    if session is not None:
        context["session"] = {
            "id": session["session_id"],
            "title": session["title"],
            "date": french_date(dt.date.fromisoformat(session["date"])),
            "start": french_time(session["start"]),
            "end": french_time(session["end"]),
            "place": session.get("place") or "",
            "partner": session.get("partner") or "",
        }
    if appointment is not None:
        day = dt.date.fromisoformat(appointment["date"])
        context["rdv"] = {
            "date": french_date(day),
            "time": french_time(appointment["time"]),
            "minutes": str(appointment["minutes"]),
            "how": FRENCH_CHANNELS.get(appointment["channel"], appointment["channel"]),
            "place": appointment.get("place") or "",
            "with": appointment.get("with") or "",
        }
    return context
