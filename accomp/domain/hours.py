"""The weekly hours rule: target, planned and realised hours per ISO week.

Pure functions over a plain case document (dates as ISO strings) and the
store's settings. The rules, from the 2023 law and the 2025 référentiel:

* Weeks are ISO weeks, Monday to Sunday. Working days are Monday to Friday.
* The **target** of a week is the weekly target in force on each working day,
  one fifth per day, counting only days inside the contract (start to exit, or
  to the planned end) and outside justified absences. So a contract that starts
  on a Wednesday with 15 h has a 9 h target that week, and a target change on a
  Thursday splits the week by day.
* The **planned** hours are the actions of the plan (of kinds that count) that
  are not cancelled or abandoned: `hours_per_week` one fifth per working day of
  the action inside the week and the contract, plus one-off actions (`hours`)
  dated in the week.
* The **realised** hours are the activity entries with status `done` (of kinds
  that count) and, when the programme says so, the minutes of the contacts.
* A week is `met` when realised ≥ target, else `short`; `exempt` when the
  target is 0. A week that starts after the reference day (`on`) is not judged
  on what was done: it is `upcoming`, or `planned-short` when the plan does not
  reach the target.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from accomp.domain.corrections import counted
from accomp.domain.dates import iso_week_label
from accomp.domain.packed import pack_ints, unpack
from accomp.domain.settings import Settings

WORKING_DAYS = 5
ONE_DAY = dt.timedelta(days=1)
_TO_FRIDAY = dt.timedelta(days=WORKING_DAYS - 1)
_WEEK = dt.timedelta(days=7)
_TO_SUNDAY = dt.timedelta(days=6)
INACTIVE_ACTION_STATUSES = frozenset({"cancelled", "abandoned"})
# The reasons for which the weekly target may be 0 (2023 law), at the person's request.
ZERO_TARGET_REASONS = ("health", "disability", "invalidity", "isolated-parent")
# The bands counsellors know from the CEJ portal: under 10 h, 10 to under 15 h, 15 h and more.
BANDS = ((10.0, "under 10 h"), (15.0, "10 to under 15 h"), (float("inf"), "15 h and more"))

WEEK_KEYS = ("case_id", "week", "target_hours", "planned_hours", "realised_hours", "status")


@dataclass(frozen=True)
class WeekFigures:
    """One row of the weekly hours check."""

    case_id: str
    week: str
    target_hours: float
    planned_hours: float
    realised_hours: float
    status: str

    def as_dict(self) -> dict[str, Any]:
        """The row as plain data, with exactly the keys of WEEK_KEYS."""
        return {
            "case_id": self.case_id,
            "week": self.week,
            "target_hours": self.target_hours,
            "planned_hours": self.planned_hours,
            "realised_hours": self.realised_hours,
            "status": self.status,
        }


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def band(hours: float) -> str:
    """The band of a number of realised hours."""
    return next(label for limit, label in BANDS if hours < limit)


def contract_window(case: dict[str, Any]) -> tuple[dt.date, dt.date | None]:
    """First and last day of the support: start, then exit date, else planned end (None: open)."""
    start = _day(case["enrolment"]["start"])
    assert start is not None
    exit_ = case.get("exit")
    end = _day(exit_["date"]) if exit_ else _day(case["enrolment"].get("planned_end"))
    return start, end


def target_on(case: dict[str, Any], day: dt.date) -> float:
    """The weekly target in force on `day`: the contract's, then the last change from that day."""
    return TargetCalendar.of(case).target_on(day)


def _inside(day: dt.date, start: dt.date, end: dt.date | None) -> bool:
    return start <= day and (end is None or day <= end)


def _working_days(monday: dt.date) -> Iterator[dt.date]:
    for offset in range(WORKING_DAYS):
        yield monday + dt.timedelta(days=offset)


class TargetCalendar:
    """A case's contract window, target changes and absences, read once for many weeks."""

    def __init__(
        self,
        start: dt.date,
        end: dt.date | None,
        base: float,
        changes: list[tuple[dt.date, float]],
        absences: list[tuple[dt.date, dt.date]],
    ) -> None:
        self.start, self.end, self.base = start, end, base
        self.changes = sorted(changes)
        self.absences = absences
        self._split_weeks = _split_weeks(self.changes, absences)

    @classmethod
    def of(cls, case: dict[str, Any]) -> TargetCalendar:
        case = counted(case)  # voided entries count nowhere
        start, end = contract_window(case)
        return cls(
            start,
            end,
            float(case["enrolment"]["weekly_target_hours"]),
            [
                (dt.date.fromisoformat(c["from"]), float(c["hours"]))
                for c in case.get("target_changes", [])
            ],
            [
                (dt.date.fromisoformat(a["from"]), dt.date.fromisoformat(a["to"]))
                for a in case.get("absences", [])
            ],
        )

    @classmethod
    def of_view(cls, view: dict[str, Any], within: tuple[str, str] | None = None) -> TargetCalendar:
        """The calendar of an hours view; `within` (ISO days): only the weeks of these days
        will be asked for, so that absences wholly outside them are left out."""
        low, high = within or ("", "9999-12-31")
        return cls(
            dt.date.fromisoformat(view["start"]),
            _day(view["end"]),
            view["base"],
            [(dt.date.fromisoformat(day), hours) for day, hours in view["changes"]],
            [
                (dt.date.fromisoformat(a), dt.date.fromisoformat(b))
                for a, b in view["absences"]
                if a <= high and b >= low
            ],
        )

    def target_on(self, day: dt.date) -> float:
        target = self.base
        for first, hours in self.changes:
            if first <= day:
                target = hours
        return target

    def week_target(self, monday: dt.date) -> float:
        whole_week = self.start <= monday and (self.end is None or monday + _TO_FRIDAY <= self.end)
        if whole_week and monday not in self._split_weeks:  # the usual week: one target
            return self.target_on(monday) if self.changes else self.base
        total = 0.0
        for day in _working_days(monday):
            if not _inside(day, self.start, self.end):
                continue
            if any(first <= day <= last for first, last in self.absences):
                continue
            total += self.target_on(day) / WORKING_DAYS
        return total


def _split_weeks(
    changes: list[tuple[dt.date, float]], absences: list[tuple[dt.date, dt.date]]
) -> frozenset[dt.date]:
    """The Mondays of the weeks whose target is not one week's: an absence on one of its
    working days (first <= Friday and Monday <= last), or a change of target after its
    Monday (Monday < first <= Friday). Found once per case: week_target asks for every
    week of the contract."""
    split: set[dt.date] = set()
    for first, last in absences:
        # Every Monday that can meet the condition lies within a week either side.
        monday, beyond = _monday(min(first, last)) - _WEEK, _monday(max(first, last)) + _WEEK
        while monday <= beyond:
            if first <= monday + _TO_FRIDAY and monday <= last:
                split.add(monday)
            monday += _WEEK
    for first, _ in changes:
        monday = _monday(first)
        if monday < first <= monday + _TO_FRIDAY:
            split.add(monday)
    return frozenset(split)


def _monday(day: dt.date) -> dt.date:
    """The Monday of the week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def week_target(case: dict[str, Any], monday: dt.date) -> float:
    """The target of the week starting `monday` (see the module's rules)."""
    return TargetCalendar.of(case).week_target(monday)


def counting_kinds(settings: Settings) -> frozenset[str]:
    """The activity kinds whose hours count toward the weekly target."""
    return frozenset(k for k, kind in settings.activity_kinds.items() if kind["counts"])


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def slot_hours(slot: dict[str, Any]) -> float:
    """The hours of a slot of a schedule (HH:MM to HH:MM)."""
    start_h, start_m = map(int, slot["start"].split(":"))
    end_h, end_m = map(int, slot["end"].split(":"))
    return max(0, (end_h * 60 + end_m) - (start_h * 60 + start_m)) / 60


def schedule_hours(
    action: dict[str, Any],
) -> tuple[tuple[float, ...], tuple[tuple[dt.date, float], ...]]:
    """An action's schedule as hours on each weekday (Monday first; () without weekly
    slots) and its dated slots' hours, by date."""
    weekly = [0.0] * 7
    dated: dict[dt.date, float] = {}
    has_weekly = False
    for slot in action.get("schedule") or []:
        if slot.get("weekday"):
            weekly[WEEKDAYS.index(slot["weekday"])] += slot_hours(slot)
            has_weekly = True
        else:
            day = dt.date.fromisoformat(slot["date"])
            dated[day] = dated.get(day, 0.0) + slot_hours(slot)
    return (tuple(weekly) if has_weekly else ()), tuple(sorted(dated.items()))


def action_hours_on(action: dict[str, Any], day: dt.date) -> float:
    """Hours an action plans on one day: its schedule's slots when it has one; else a fifth
    of its weekly hours on working days, or its one-off hours on its start date."""
    start, end = _day(action["start"]), _day(action.get("end"))
    assert start is not None
    if action.get("schedule"):
        if not _inside(day, start, end):
            return 0.0
        weekly, dated = schedule_hours(action)
        return (weekly[day.weekday()] if weekly else 0.0) + dict(dated).get(day, 0.0)
    if action.get("hours_per_week"):
        if day.weekday() < WORKING_DAYS and _inside(day, start, end):
            return float(action["hours_per_week"]) / WORKING_DAYS
        return 0.0
    if action.get("hours") and day == start:
        return float(action["hours"])
    return 0.0


@dataclass(frozen=True)
class PlannedAction:
    """An action that plans hours, its dates read once: a weekly load, or one-off hours."""

    start: dt.date
    end: dt.date | None
    per_day: float  # hours_per_week / 5, on each working day from start to end
    one_off: float  # hours on the start day
    # With a schedule (then per_day and one_off are 0): hours on each weekday, Monday
    # first, from start to end; and the hours of dated slots inside start..end.
    weekly: tuple[float, ...] = ()
    dated: tuple[tuple[dt.date, float], ...] = ()

    @property
    def scheduled(self) -> bool:
        return bool(self.weekly or self.dated)


def active_actions(case: dict[str, Any], kinds: frozenset[str]) -> list[PlannedAction]:
    """The actions that plan hours: of counting kinds, not cancelled or abandoned."""
    planned = []
    for action in case["plan"]["actions"]:
        if action["status"] in INACTIVE_ACTION_STATUSES or action["kind"] not in kinds:
            continue
        start, end = dt.date.fromisoformat(action["start"]), _day(action.get("end"))
        weekly, dated = schedule_hours(action)
        if weekly or dated:
            planned.append(PlannedAction(start, end, 0.0, 0.0, weekly, dated))
            continue
        per_day = float(action.get("hours_per_week") or 0) / WORKING_DAYS
        one_off = 0.0 if per_day else float(action.get("hours") or 0)
        planned.append(PlannedAction(start, end, per_day, one_off))
    return planned


def _working_days_between(first: dt.date, last: dt.date) -> int:
    """Monday-to-Friday days from first to last, both included."""
    weeks, rest = divmod((last - first).days + 1, 7)
    weekday = first.weekday()
    return weeks * WORKING_DAYS + sum(1 for n in range(rest) if (weekday + n) % 7 < WORKING_DAYS)


def week_planned(
    case: dict[str, Any],
    monday: dt.date,
    kinds: frozenset[str],
    actions: list[PlannedAction] | None = None,
) -> float:
    """Planned hours of the week: active actions of counting kinds, inside the contract."""
    actions = active_actions(case, kinds) if actions is None else actions
    return _planned_in_window(actions, monday, *contract_window(case))


def _planned_in_window(
    actions: list[PlannedAction], monday: dt.date, start: dt.date, end: dt.date | None
) -> float:
    if not actions:
        return 0.0
    low = max(monday, start)
    high = monday + dt.timedelta(days=6) if end is None else min(monday + dt.timedelta(days=6), end)
    total = 0.0
    for action in actions:
        if action.scheduled:
            first = max(low, action.start)
            last = high if action.end is None else min(high, action.end)
            day = first
            while action.weekly and day <= last:
                total += action.weekly[day.weekday()]
                day += ONE_DAY
            total += sum(hours for date, hours in action.dated if first <= date <= last)
        elif action.per_day:
            first = max(low, action.start)
            last = high if action.end is None else min(high, action.end)
            if first <= last:
                total += action.per_day * _working_days_between(first, last)
        elif action.one_off and low <= action.start <= high:
            total += action.one_off
    return total


# The Monday of the week of a day as written (a store's entries fall on a few thousand days,
# each written many times over: a cold read of every case asks for each entry's).
_MONDAY_OF: dict[str, dt.date] = {}


def _monday_of_written(day: str) -> dt.date:
    monday = _monday(dt.date.fromisoformat(day))
    if len(_MONDAY_OF) >= 100_000:
        _MONDAY_OF.clear()
    _MONDAY_OF[day] = monday
    return monday


def realised_by_week(
    case: dict[str, Any], kinds: frozenset[str], contacts_count: bool
) -> dict[dt.date, float]:
    """Realised hours of every week with any (keyed by its Monday): done activities of counting
    kinds, and the contacts' minutes if they count. One pass over the entries."""
    case = counted(case)  # voided entries count nowhere
    hours: dict[dt.date, float] = {}

    def add(day: str, amount: float) -> None:
        monday = _MONDAY_OF.get(day)
        if monday is None:
            monday = _monday_of_written(day)
        hours[monday] = hours.get(monday, 0.0) + amount

    for activity in case["activities"]:
        if activity["status"] == "done" and activity["kind"] in kinds:
            add(activity["date"], float(activity["hours"]))
    if contacts_count:
        for contact in case["contacts"]:
            add(contact["date"], contact["minutes"] / 60)
    return hours


def status_of(target: float, planned: float, realised: float, upcoming: bool) -> str:
    """met, short, exempt, upcoming or planned-short."""
    if target == 0:
        return "exempt"
    if upcoming:
        return "planned-short" if planned + 1e-9 < target else "upcoming"
    return "met" if realised + 1e-9 >= target else "short"


def contract_weeks(case: dict[str, Any], first: dt.date, last: dt.date) -> list[dt.date]:
    """Mondays of the ISO weeks that overlap both the contract and the days first..last."""
    return _mondays(*contract_window(case), first, last)


def _mondays(start: dt.date, end: dt.date | None, first: dt.date, last: dt.date) -> list[dt.date]:
    low = max(start, first)
    high = last if end is None else min(end, last)
    if high < low:
        return []
    monday = _monday(low)
    mondays = []
    while monday <= high:
        mondays.append(monday)
        monday += _WEEK
    return mondays


def hours_view(case: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What the weekly hours check reads of a case, as small plain data (cached per file).

    It does not depend on the day: the contract window, the weekly target with
    its changes and absences, the actions that plan hours (per working day or
    one-off), and the realised hours of each week that has any (`weeks`: their
    Mondays as ordinals, sorted; `realised`: their hours, summed in the order
    realised_by_week sums them, so that the cached figures are the same bits).
    """
    case = counted(case)  # voided entries count nowhere
    kinds = counting_kinds(settings)
    enrolment = case["enrolment"]
    programme = settings.programme(enrolment["programme"]) or {}
    contacts_count = bool(programme.get("contacts_count_as_activity", True))
    start, end = contract_window(case)
    realised = realised_by_week(case, kinds, contacts_count)
    mondays = sorted(realised)
    return {
        "case_id": case["case_id"],
        "referent": enrolment["referent"],
        "programme": enrolment["programme"],
        "start": start.isoformat(),
        "end": end.isoformat() if end else None,
        "base": float(enrolment["weekly_target_hours"]),
        "changes": sorted([c["from"], float(c["hours"])] for c in case.get("target_changes", [])),
        "absences": [[a["from"], a["to"]] for a in case.get("absences", [])],
        "actions": [
            [
                a.start.isoformat(),
                a.end.isoformat() if a.end else None,
                a.per_day,
                a.one_off,
                list(a.weekly),
                [[day.isoformat(), hours] for day, hours in a.dated],
            ]
            for a in active_actions(case, kinds)
        ],
        "weeks": [monday.toordinal() for monday in mondays],
        "realised": [realised[monday] for monday in mondays],
    }


class HoursOfCase:
    """A case's hours view, read once for many weeks: target, planned and realised per week.

    `first`, `last`: only the weeks that overlap these days will be asked for; the
    actions and absences wholly outside those weeks are not read (a department's
    cases have years of them, and the week's check needs a few).
    """

    def __init__(
        self, view: dict[str, Any], first: dt.date | None = None, last: dt.date | None = None
    ) -> None:
        self.case_id: str = view["case_id"]
        low = _monday(first).isoformat() if first else ""
        high = (last + _TO_SUNDAY).isoformat() if last else "9999-12-31"
        self.calendar = TargetCalendar.of_view(view, (low, high))
        self.actions = [
            PlannedAction(
                dt.date.fromisoformat(start),
                _day(end),
                per_day,
                one_off,
                tuple(weekly),
                tuple((dt.date.fromisoformat(day), hours) for day, hours in dated),
            )
            for start, end, per_day, one_off, weekly, dated in view["actions"]
            if start <= high and (end is None or end >= low)
        ]
        self.weeks_realised: list[int] = view["weeks"]
        self.realised: list[float] = view["realised"]

    def weeks(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Mondays of the weeks that overlap both the contract and first..last."""
        return _mondays(self.calendar.start, self.calendar.end, first, last)

    def target(self, monday: dt.date) -> float:
        return self.calendar.week_target(monday)

    def planned(self, monday: dt.date) -> float:
        return _planned_in_window(self.actions, monday, self.calendar.start, self.calendar.end)

    def realised_in(self, monday: dt.date) -> float:
        ordinal = monday.toordinal()
        at = bisect_left(self.weeks_realised, ordinal)
        if at < len(self.weeks_realised) and self.weeks_realised[at] == ordinal:
            return self.realised[at]
        return 0.0


def weekly_figures(
    case: dict[str, Any],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    on: dt.date,
) -> list[WeekFigures]:
    """The hours check of one case for the weeks that overlap first..last and the contract."""
    return figures_of_view(hours_view(case, settings), first, last, on)


def figures_of_views(
    views: Iterable[dict[str, Any]],
    first: dt.date,
    last: dt.date,
    on: dt.date,
    referent: str | None = None,
) -> list[tuple[str, list[WeekFigures]]]:
    """(case id, weekly_figures) of the cases whose hours views are given (only the
    referent's when named) that have a week in first..last, in the order given."""
    return list(each_case_figures(views, first, last, on, referent))


def each_case_figures(
    views: Iterable[dict[str, Any]],
    first: dt.date,
    last: dt.date,
    on: dt.date,
    referent: str | None = None,
) -> Iterator[tuple[str, list[WeekFigures]]]:
    """figures_of_views one case at a time: every week of a department's contracts is
    millions of rows, to be written out as they come rather than held."""
    for view in views:
        if referent and view["referent"] != referent:
            continue
        rows = figures_of_view(view, first, last, on)
        if rows:
            yield view["case_id"], rows


def figures_of_view(
    view: dict[str, Any], first: dt.date, last: dt.date, on: dt.date
) -> list[WeekFigures]:
    """weekly_figures from a case's hours view (what the cohort cache keeps)."""
    if view["start"] > last.isoformat() or (view["end"] and view["end"] < first.isoformat()):
        return []  # no day of the contract in the period (most cases, for one week)
    hours = HoursOfCase(view, first, last)
    rows = []
    for monday in hours.weeks(first, last):
        target, planned, realised = (
            hours.target(monday),
            hours.planned(monday),
            hours.realised_in(monday),
        )
        rows.append(
            WeekFigures(
                case_id=hours.case_id,
                week=iso_week_label(monday),
                target_hours=round(target, 2),
                planned_hours=round(planned, 2),
                realised_hours=round(realised, 2),
                status=status_of(target, planned, realised, upcoming=monday > on),
            )
        )
    return rows


def is_past_short(row: WeekFigures, on: dt.date) -> bool:
    """A week that is over on `on` and was short (what --fail-on-short looks for)."""
    year, week = row.week.split("-W")
    sunday = dt.date.fromisocalendar(int(year), int(week), 7)
    return row.status == "short" and sunday < on


def totals(rows: Iterable[WeekFigures]) -> dict[str, float]:
    """Sums of target, planned and realised hours over rows."""
    rows = list(rows)
    return {
        "target_hours": round(sum(r.target_hours for r in rows), 2),
        "planned_hours": round(sum(r.planned_hours for r in rows), 2),
        "realised_hours": round(sum(r.realised_hours for r in rows), 2),
    }


def judged_weeks(view: dict[str, Any], on: dt.date) -> dict[str, Any]:
    """What the cohort summary needs of the hours check, computed once on day `on` from
    a case's hours view (hours_view).

    The judged weeks are the contract weeks whose Monday is on or before `on`
    and whose target is not 0, packed (domain/packed.py) and counted in a period
    by bisection: `weeks`, their Mondays as weeks since `first_monday` (an
    ordinal), or only how many there are when they follow one another from the
    first (no exempt week: the usual case); `met`, which of them met their
    target, as the bits of a hexadecimal number (bit i: the i-th week);
    `realised`, their realised hours rounded to the hundredth, in hundredths.
    The weeks after `on`, while the contract goes on, have the target of the
    first of them and nothing realised, as long as no date of the case falls in
    them (see checks.stable_until): `tail` is `[first Monday after on
    (ordinal), whether such a week meets its target]`, or None when there are
    none to judge (the contract has ended, or they are exempt).
    """
    hours = HoursOfCase(view)
    calendar = hours.calendar
    first_monday = _monday(calendar.start)
    weeks: list[int] = []
    hundredths: list[int] = []
    met_bits = 0
    for monday in hours.weeks(calendar.start, on):
        target = calendar.week_target(monday)
        if target == 0:
            continue  # exempt: never judged
        realised = hours.realised_in(monday)
        if status_of(target, 0.0, realised, upcoming=False) == "met":
            met_bits |= 1 << len(weeks)
        weeks.append((monday - first_monday).days // 7)
        hundredths.append(round(round(realised, 2) * 100))
    tail = None
    if calendar.start <= on and (calendar.end is None or calendar.end > on):
        next_monday = on + dt.timedelta(days=7 - on.weekday())
        target = calendar.week_target(next_monday)
        if target:
            met = status_of(target, 0.0, 0.0, upcoming=False) == "met"
            tail = [next_monday.toordinal(), met]
    consecutive = weeks == list(range(len(weeks)))
    return {
        "first_monday": first_monday.toordinal(),
        "weeks": len(weeks) if consecutive else pack_ints(weeks),
        "met": format(met_bits, "x"),
        "realised": pack_ints(hundredths),
        "tail": tail,
    }


def _judged_range(
    judged: dict[str, Any], first: dt.date, last: dt.date, on: dt.date
) -> tuple[Any, int, int, int, int]:
    """The judged weeks (weeks since first_monday) and the slice of them wholly inside
    first..last and not after `on`: (weeks, begin, end, low, high), low and high the
    bounds of those weeks' Mondays as ordinals."""
    low, high = first.toordinal(), min(last.toordinal() - 6, on.toordinal())
    first_monday = judged["first_monday"]
    weeks = judged["weeks"]
    mondays = range(weeks) if type(weeks) is int else unpack(weeks)
    # Weeks since first_monday whose Monday is on or after low, and on or before high.
    begin = bisect_left(mondays, -((first_monday - low) // 7))
    end = max(begin, bisect_right(mondays, (high - first_monday) // 7))
    return mondays, begin, end, low, high


def _tail_mondays(judged: dict[str, Any], low: int, high: int) -> range:
    """The Mondays (ordinals) of the weeks after the day the view was computed, low..high."""
    if not judged["tail"]:
        return range(0)
    monday = judged["tail"][0]
    if monday < low:
        monday += (low - monday + 6) // 7 * 7  # the first of those Mondays in the period
    return range(monday, high + 1, 7)


def judged_in_period(
    judged: dict[str, Any], first: dt.date, last: dt.date, on: dt.date
) -> tuple[int, int, list[int]]:
    """(weeks judged, weeks met, realised hours of each in hundredths) for the judged weeks
    wholly inside first..last and not after `on`, in order.

    `judged` is what judged_weeks computed, on `on` or on an earlier day that
    stable_until says still holds.
    """
    _, begin, end, low, high = _judged_range(judged, first, last, on)
    weeks = end - begin
    met = 0
    realised: list[int] = []
    if weeks:
        met = ((int(judged["met"], 16) >> begin) & ((1 << weeks) - 1)).bit_count()
        realised = unpack(judged["realised"])[begin:end].tolist()
    later = len(_tail_mondays(judged, low, high))
    if later:
        weeks += later
        met += later if judged["tail"][1] else 0
        realised += [0] * later
    return weeks, met, realised


def judged_week_hours(
    judged: dict[str, Any], first: dt.date, last: dt.date, on: dt.date
) -> list[tuple[int, float]]:
    """(Monday as an ordinal, realised hours) of each judged week wholly inside first..last
    and not after `on`, in order: the weeks judged_in_period counts, one by one (for charts
    of the hours per week)."""
    mondays, begin, end, low, high = _judged_range(judged, first, last, on)
    first_monday = judged["first_monday"]
    realised = unpack(judged["realised"])
    weeks = [
        (first_monday + 7 * mondays[index], realised[index] / 100) for index in range(begin, end)
    ]
    weeks += [(monday, 0.0) for monday in _tail_mondays(judged, low, high)]
    return weeks
