"""Rules of the counsellor's week: target changes, activity limits, allowance caps, contact cadence.

Each rule takes plain data and returns a reason (a string) when the change is
refused, or None when it is allowed; the commands turn reasons into errors.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from accomp.domain.corrections import counted
from accomp.domain.dates import add_months
from accomp.domain.hours import ZERO_TARGET_REASONS, contract_window, target_on

MAX_HOURS_PER_ENTRY = 12.0
MAX_HOURS_PER_DAY = 24.0
MAX_WEEKLY_TARGET = 35.0


def target_change_refusal(
    case: dict[str, Any],
    start: dt.date,
    hours: float,
    reason: str | None,
    requested_on: dt.date | None,
) -> str | None:
    """Why a new weekly target from `start` is refused, or None.

    The target may be 0 only for health, disability, invalidity or an isolated
    parent (a parent alone without childcare for a child under 12), and only at
    the person's request (its date). Any other lowering needs a reason and stays
    above 0; raising needs none.
    """
    if not 0 <= hours <= MAX_WEEKLY_TARGET:
        return f"--hours: {hours:g} is out of range (0 to {MAX_WEEKLY_TARGET:g})"
    contract_start, _ = contract_window(case)
    if start < contract_start:
        return f"--from: {start} is before the enrolment start {contract_start}"
    if hours == 0:
        if reason not in ZERO_TARGET_REASONS:
            return f"a target of 0 needs --reason {' | '.join(ZERO_TARGET_REASONS)}"
        if requested_on is None:
            return "a target of 0 needs --requested-on DATE (the date of the person's request)"
        return None
    current = target_on(case, start)
    if hours < current and not (reason and reason.strip()):
        return f"lowering the target from {current:g} h to {hours:g} h needs --reason"
    return None


def activity_refusal(case: dict[str, Any], day: dt.date, hours: float) -> str | None:
    """Why an activity entry of `hours` on `day` is refused, or None."""
    case = counted(case)  # voided entries count nowhere
    if not hours > 0:
        return f"--hours: must be more than 0 (got {hours:g})"
    if hours > MAX_HOURS_PER_ENTRY:
        return f"--hours: {hours:g} is more than {MAX_HOURS_PER_ENTRY:g} in one entry"
    already = sum(float(a["hours"]) for a in case["activities"] if a["date"] == day.isoformat())
    if already + hours > MAX_HOURS_PER_DAY:
        return (
            f"--hours: {already:g} h are already recorded on {day}; "
            f"{hours:g} more would exceed {MAX_HOURS_PER_DAY:g} h in one day"
        )
    return None


@dataclass(frozen=True)
class CapCheck:
    """The allowance figures of one calendar year against the programme's cap."""

    year: int
    paid: float
    new: float
    cap: float | None

    @property
    def exceeded(self) -> bool:
        return self.cap is not None and self.paid + self.new > self.cap + 1e-9

    def describe(self) -> str:
        return (
            f"{self.paid:g} EUR already paid in {self.year} + {self.new:g} EUR = "
            f"{self.paid + self.new:g} EUR, over the programme's yearly cap of {self.cap:g} EUR"
        )


def allowance_cap_check(
    case: dict[str, Any], day: dt.date, amount: float, cap: float | None
) -> CapCheck:
    """The year's allowances with this new amount, against `cap` (None: no cap)."""
    case = counted(case)  # voided entries count nowhere
    year = str(day.year)
    paid = sum(float(a["amount"]) for a in case["allowances"] if a["date"].startswith(year))
    return CapCheck(day.year, paid, amount, cap)


# Contact cadence -------------------------------------------------------------


@dataclass(frozen=True)
class ContactDue:
    """When the next contact of a case is due."""

    case_id: str
    referent: str
    programme: str
    last_contact: str | None
    due: str
    every_days: int
    days_overdue: int
    # A justified absence covering the day ("sick until 2026-11-30"): the person may not
    # be reachable, and the counsellor sees why before calling.
    absent: str | None = None


def cadence_days(cadence: list[dict[str, Any]], start: dt.date, day: dt.date) -> int | None:
    """The number of days between contacts that the cadence asks for on `day` (None: no cadence).

    Rules apply in order: a rule with `until_month` holds until that many months
    after the start, then the next rule holds.
    """
    for rule in cadence:
        until = rule.get("until_month")
        if until is None or day < add_months(start, until):
            return int(rule["every_days"])
    return None


def followup_view(case: dict[str, Any]) -> dict[str, Any]:
    """What the worklist (`contact due`) and the retention list read of a case: small plain
    data, independent of the day, kept in the cohort cache.

    `contacts` are the contacts' days (ISO, sorted); `absences` the justified
    absences as [from, to, reason], sorted; `last_activity` the last contact, or
    the exit, or the start (see retention.last_activity).
    """
    case = counted(case)  # voided entries count nowhere
    from accomp.domain import appointments
    from accomp.domain.retention import last_activity

    start, end = contract_window(case)
    enrolment = case["enrolment"]
    return {
        "case_id": case["case_id"],
        "referent": enrolment["referent"],
        "programme": enrolment["programme"],
        "start": start.isoformat(),
        "end": end.isoformat() if end else None,
        "exited": bool(case.get("exit")),
        "contacts": sorted(c["date"] for c in case["contacts"]),
        "absences": sorted([a["from"], a["to"], a["reason"]] for a in case["absences"]),
        "anonymised": bool(case.get("anonymised")),
        "last_activity": last_activity(case),
        "appointments": appointments.view_of(case),
    }


def next_contact(
    case: dict[str, Any], cadence: list[dict[str, Any]], on: dt.date
) -> ContactDue | None:
    """When the next contact is due for an active case (None: no cadence, or not active on `on`)."""
    return next_contact_of_view(followup_view(case), cadence, on)


def next_contact_of_view(
    view: dict[str, Any], cadence: list[dict[str, Any]], on: dt.date
) -> ContactDue | None:
    """next_contact from a case's followup_view (what the cohort cache keeps)."""
    start = dt.date.fromisoformat(view["start"])
    end = view["end"]
    if on < start or (view["exited"] and end is not None and end < on.isoformat()):
        return None
    contacts = view["contacts"]
    before = bisect_right(contacts, on.isoformat())
    last = contacts[before - 1] if before else None
    since = dt.date.fromisoformat(last) if last else start
    every = cadence_days(cadence, start, since)
    if every is None:
        return None
    due = since + dt.timedelta(days=every)
    return ContactDue(
        case_id=view["case_id"],
        referent=view["referent"],
        programme=view["programme"],
        last_contact=last,
        due=due.isoformat(),
        every_days=every,
        days_overdue=(on - due).days,
        absent=_absence_on(view["absences"], on),
    )


def _absence_on(absences: list[list[str]], day: dt.date) -> str | None:
    iso = day.isoformat()
    for first, last, reason in absences:  # sorted by first day
        if first <= iso <= last:
            return f"{reason} until {last}"
    return None
