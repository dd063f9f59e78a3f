"""The person's week: the programme a counsellor agrees with them, as a timetable.

`week_programme` lays out one ISO week of a case: the slots of its scheduled
actions day by day (weekly slots on their weekday, dated ones on their date,
inside the action's dates and the contract), the actions that plan hours but
have no slot yet ("to schedule"), and the week's target, planned and realised
hours, the planned hours counted as the weekly hours check counts them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from accomp.domain.dates import iso_week_label
from accomp.domain.hours import (
    INACTIVE_ACTION_STATUSES,
    WEEKDAYS,
    action_hours_on,
    counting_kinds,
    figures_of_view,
    hours_view,
    slot_hours,
)
from accomp.domain.settings import Settings

_SLOT = re.compile(
    r"^(?P<when>mon|tue|wed|thu|fri|sat|sun|\d{4}-\d{2}-\d{2})\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


def parse_slot(text: str) -> dict[str, str]:
    """`mon 09:00-12:00` (every Monday) or `2026-11-26 14:00-16:30` (once), as a slot of a
    schedule; ValueError with what is wrong."""
    match = _SLOT.match(text.strip().lower())
    if not match:
        raise ValueError(
            f"{text!r} is not a slot like 'mon 09:00-12:00' or '2026-11-26 14:00-16:00'"
        )
    times = []
    for name in ("start", "end"):
        hours, minutes = map(int, match.group(name).split(":"))
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r}: {match.group(name)} is not a time of day")
        times.append(f"{hours:02d}:{minutes:02d}")
    if times[1] <= times[0]:
        raise ValueError(f"{text!r}: the slot ends before it starts")
    when = match.group("when")
    if when in WEEKDAYS:
        return {"weekday": when, "start": times[0], "end": times[1]}
    try:
        dt.date.fromisoformat(when)
    except ValueError:
        raise ValueError(f"{text!r}: {when} is not a date") from None
    return {"date": when, "start": times[0], "end": times[1]}


def week_programme(
    case: dict[str, Any], settings: Settings, monday: dt.date, on: dt.date
) -> dict[str, Any]:
    """The timetable of the week starting `monday` (see the module's doc), as plain data."""
    kinds = counting_kinds(settings)
    sunday = monday + dt.timedelta(days=6)
    slots: list[dict[str, Any]] = []
    to_schedule: list[dict[str, Any]] = []
    for action in case["plan"]["actions"]:
        if action["status"] in INACTIVE_ACTION_STATUSES:
            continue
        start, end = dt.date.fromisoformat(action["start"]), action.get("end")
        if start > sunday or (end and dt.date.fromisoformat(end) < monday):
            continue
        counts = action["kind"] in kinds
        if not action.get("schedule"):
            hours = sum(action_hours_on(action, monday + dt.timedelta(days=n)) for n in range(7))
            if hours:
                to_schedule.append({"action": action["id"], "title": action["title"],
                                    "kind": action["kind"], "hours": round(hours, 2),
                                    "counts": counts})  # fmt: skip
            continue
        for slot in action["schedule"]:
            for offset in range(7):
                day = monday + dt.timedelta(days=offset)
                if action_hours_on({**action, "schedule": [slot]}, day):
                    slots.append({
                        "date": day.isoformat(), "day": WEEKDAYS[day.weekday()],
                        "start": slot["start"], "end": slot["end"],
                        "hours": round(slot_hours(slot), 2),
                        "action": action["id"], "title": action["title"], "kind": action["kind"],
                        "place": slot.get("place") or action.get("partner"), "counts": counts,
                    })  # fmt: skip
    slots.sort(key=lambda s: (s["date"], s["start"], s["action"]))
    (figures,) = figures_of_view(hours_view(case, settings), monday, sunday, on) or [None]
    return {
        "case_id": case["case_id"],
        "week": iso_week_label(monday),
        "from": monday.isoformat(),
        "to": sunday.isoformat(),
        "target_hours": figures.target_hours if figures else 0.0,
        "planned_hours": figures.planned_hours if figures else 0.0,
        "realised_hours": figures.realised_hours if figures else 0.0,
        "status": figures.status if figures else "outside the contract",
        "slots": slots,
        "to_schedule": to_schedule,
    }
