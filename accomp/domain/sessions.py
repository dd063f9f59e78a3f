"""Collective sessions: a workshop, the club modality's sequences, an information session.

A session file (`sessions/<id>.yaml`) holds the session's day, hours and places,
and its attendees by case id with their attendance. The session is the one
source of truth of attendance: recording it writes an activity entry in each
attendee's case (naming the session, with the session's hours), so that the
weekly hours rule, the summary and the case itself show it; changing or
clearing an attendance voids that entry (domain/corrections.py) and writes the
new one. The rules here are pure.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from accomp.domain.problems import Problem, error

SESSION_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})-(\d{1,3})$")
# The activity status each attendance writes in the case.
ATTENDANCE = {
    "present": "done",
    "absent-justified": "absent-justified",
    "absent-unjustified": "absent-unjustified",
}
MAX_SESSION_HOURS = 12.0  # one activity entry holds at most 12 h


def session_hours(start: str, end: str) -> float:
    """The hours from `start` to `end` (HH:MM), to the minute."""
    begin, finish = (int(t[:2]) * 60 + int(t[3:]) for t in (start, end))
    return round((finish - begin) / 60, 2)


def new_session_id(day: dt.date, taken: set[str]) -> str:
    """The first free id of the day: 2026-11-26-1, then -2…"""
    number = 1
    while f"{day.isoformat()}-{number}" in taken:
        number += 1
    return f"{day.isoformat()}-{number}"


def session_problems(session: dict[str, Any], activity_kinds: dict[str, Any]) -> list[Problem]:
    """The domain problems of a schema-valid session document."""
    problems = []
    match = SESSION_ID.match(session["session_id"])
    if match and match.group(1) != session["date"]:
        problems.append(error(("session_id",), f"does not start with its date {session['date']}"))
    hours = session_hours(session["start"], session["end"])
    if hours <= 0:
        problems.append(error(("end",), f"{session['end']} is not after {session['start']}"))
    elif hours > MAX_SESSION_HOURS:
        problems.append(error(("end",), f"{hours:g} h is more than {MAX_SESSION_HOURS:g} h"))
    if session["kind"] not in activity_kinds:
        problems.append(error(("kind",), f"unknown activity kind {session['kind']!r}"))
    seen: set[str] = set()
    for index, attendee in enumerate(session["attendees"]):
        if attendee["case_id"] in seen:
            problems.append(error(("attendees", index, "case_id"), "registered twice"))
        seen.add(attendee["case_id"])
    if len(session["attendees"]) > session["places"]:
        problems.append(
            error(
                ("attendees",),
                f"{len(session['attendees'])} registered for {session['places']} places",
            )
        )
    return problems


def registration_refusal(session: dict[str, Any], case_ids: list[str]) -> str | None:
    """Why these cases cannot be registered for the session, or None."""
    if session.get("cancelled"):
        return f"session {session['session_id']} was cancelled on {session['cancelled']}"
    registered = {a["case_id"] for a in session["attendees"]}
    already = sorted(registered & set(case_ids))
    if already:
        return f"{', '.join(already)} already registered for session {session['session_id']}"
    if len(set(case_ids)) != len(case_ids):
        return "a case is given twice"
    free = session["places"] - len(registered)
    if len(case_ids) > free:
        return (
            f"session {session['session_id']} has {free} free place(s) of {session['places']}; "
            f"{len(case_ids)} asked"
        )
    return None


def exit_refusal(session: dict[str, Any], case: dict[str, Any]) -> str | None:
    """Why a case cannot attend the session because it exited before it, or None."""
    exit_ = case.get("exit")
    if exit_ and exit_["date"] < session["date"]:
        return (
            f"{case['case_id']} exited on {exit_['date']}, before session {session['session_id']}"
        )
    return None


def cancel_refusal(session: dict[str, Any]) -> str | None:
    """Why the session cannot be cancelled, or None."""
    if session.get("cancelled"):
        return f"session {session['session_id']} was already cancelled on {session['cancelled']}"
    recorded = sorted(a["case_id"] for a in session["attendees"] if a.get("attendance"))
    if recorded:
        return (
            f"attendance is recorded for {', '.join(recorded)}: clear it first "
            f"(accomp session attendance {session['session_id']} ID... --set clear)"
        )
    return None


def attendance_refusal(session: dict[str, Any], today: dt.date) -> str | None:
    """Why attendance cannot be recorded for the session today, or None."""
    if session.get("cancelled"):
        return f"session {session['session_id']} was cancelled on {session['cancelled']}"
    if session["date"] > today.isoformat():
        return f"session {session['session_id']} is on {session['date']}: not held yet"
    return None


def attendance_entry(session: dict[str, Any], attendance: str) -> dict[str, Any]:
    """The activity entry an attendance writes in the attendee's case."""
    return {
        "date": dt.date.fromisoformat(session["date"]),
        "hours": session_hours(session["start"], session["end"]),
        "kind": session["kind"],
        "status": ATTENDANCE[attendance],
        "session": session["session_id"],
    }


def session_row(session: dict[str, Any]) -> dict[str, Any]:
    """One line of `accomp session list`."""
    attendees = session["attendees"]
    return {
        "session_id": session["session_id"],
        "date": session["date"],
        "time": f"{session['start']}-{session['end']}",
        "title": session["title"],
        "kind": session["kind"],
        "places": session["places"],
        "registered": len(attendees),
        "present": sum(a.get("attendance") == "present" for a in attendees),
        "status": "cancelled" if session.get("cancelled") else "",
    }


def sessions_summary(sessions: list[dict[str, Any]], first: str, last: str) -> dict[str, Any]:
    """The summary's figures of the sessions held first..last (ISO days): how many, places
    offered and filled, and the attendance rate of the attendances recorded."""
    held = [s for s in sessions if first <= s["date"] <= last and not s.get("cancelled")]
    places = sum(s["places"] for s in held)
    registered = sum(len(s["attendees"]) for s in held)
    recorded = [a["attendance"] for s in held for a in s["attendees"] if a.get("attendance")]
    present = recorded.count("present")
    return {
        "held": len(held),
        "cancelled": sum(1 for s in sessions if first <= s["date"] <= last and s.get("cancelled")),
        "places": places,
        "registered": registered,
        "fill_rate": round(registered / places, 4) if places else None,
        "attendance_recorded": len(recorded),
        "present": present,
        "attendance_rate": round(present / len(recorded), 4) if recorded else None,
        "hours_present": round(
            0.0
            + sum(
                session_hours(s["start"], s["end"])
                for s in held
                for a in s["attendees"]
                if a.get("attendance") == "present"
            ),
            2,
        ),
    }
