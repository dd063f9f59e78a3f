"""Appointments as an iCalendar file, written by the `icalendar` library (RFC 5545).

Deterministic: each event's UID is its case id and appointment id, and its
DTSTAMP the store's day, so the same agenda gives the same bytes. Times are
floating local times (the structure's own), as a counsellor types them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def calendar_bytes(rows: list[dict[str, Any]], names: dict[str, str], today: dt.date) -> bytes:
    """The calendar of agenda rows (rdv list's); `names` by case id when names are asked for."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//accomp//agenda//EN")
    calendar.add("version", "2.0")
    stamp = dt.datetime.combine(today, dt.time(0, 0), tzinfo=dt.UTC)
    for row in rows:
        hours, minutes = map(int, row["time"].split(":"))
        start = dt.datetime.combine(dt.date.fromisoformat(row["date"]), dt.time(hours, minutes))
        who = names.get(row["case_id"], row["case_id"])
        event = icalendar.Event()
        event.add("uid", f"{row['case_id']}-{row['id']}@accomp")  # the entry's id: stable
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=row["minutes"]))
        event.add("summary", f"rdv {who} ({row['channel']})")
        if row.get("place"):
            event.add("location", row["place"])
        details = [
            f"case {row['case_id']}, appointment {row['number']}",
            f"referent {row['referent']}",
        ]
        if row.get("with"):
            details.append(f"with {row['with']}")
        event.add("description", "; ".join(details))
        calendar.add_component(event)
    return calendar.to_ical()
