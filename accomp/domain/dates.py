"""Dates: parsing what users type, ages, ISO weeks, months of support."""

from __future__ import annotations

import datetime as dt
import re

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)

# Dates before this are typing mistakes in this domain (and year 0 does not exist).
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def parse_date(text: str) -> dt.date:
    """Parse `YYYY-MM-DD`; ValueError with a readable message otherwise."""
    text = text.strip()
    if not _ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{text!r} is outside {EARLIEST.year}-{LATEST.year}")
    return day


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus a number of calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def parse_iso_week(text: str) -> tuple[dt.date, dt.date]:
    """Parse `YYYY-Www` into its Monday and Sunday; ValueError otherwise."""
    match = _ISO_WEEK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week in the form YYYY-Www")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{text!r}: year {year} has no week {week}") from None
    return monday, monday + dt.timedelta(days=6)


def iso_week_label(day: dt.date) -> str:
    """The ISO week of `day`, as `YYYY-Www`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
