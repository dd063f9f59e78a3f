"""The weekly hours rule, on plain data: hand-computed cases and properties over dates and hours."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from accomp.domain.followup import (
    activity_refusal,
    allowance_cap_check,
    cadence_days,
    next_contact,
    target_change_refusal,
)
from accomp.domain.hours import (
    band,
    contract_weeks,
    is_past_short,
    week_target,
    weekly_figures,
)
from accomp.domain.settings import Settings
from accomp.store.checking import default_settings

SETTINGS = Settings.merged({}, default_settings())
MONDAY = dt.date(2026, 9, 14)  # ISO week 2026-W38
ON = dt.date(2026, 11, 20)


def make_case(**changes: Any) -> dict[str, Any]:
    """A minimal valid case (intensive support, 15 h, from Monday 2026-09-07), plus changes."""
    case: dict[str, Any] = {
        "case_id": "2026-AAAAA",
        "enrolment": {"programme": "intensive-2025", "referent": "jdupont", "start": "2026-09-07",
                      "planned_end": "2027-09-06", "weekly_target_hours": 15},
        "plan": {"objectives": [], "actions": []},
        "contacts": [], "activities": [], "absences": [], "target_changes": [], "allowances": [],
        "exit": None, "followups": [],
    }  # fmt: skip
    for key, value in changes.items():
        if key in ("start", "planned_end", "weekly_target_hours", "programme"):
            case["enrolment"][key] = value
        elif key == "actions":
            case["plan"]["actions"] = value
        else:
            case[key] = value
    return case


def done(day: str, hours: float, kind: str = "training") -> dict[str, Any]:
    return {"date": day, "hours": hours, "kind": kind, "status": "done"}


def week_of(case: dict[str, Any], monday: dt.date = MONDAY, on: dt.date = ON) -> dict[str, Any]:
    (row,) = weekly_figures(case, SETTINGS, monday, monday + dt.timedelta(days=6), on)
    return row.as_dict()


# The named cases, computed by hand --------------------------------------------


def test_a_full_week_met() -> None:
    case = make_case(activities=[done(f"2026-09-{d}", 3) for d in (14, 15, 16, 17, 18)])
    assert week_of(case) == {"case_id": "2026-AAAAA", "week": "2026-W38", "target_hours": 15.0,
                             "planned_hours": 0.0, "realised_hours": 15.0, "status": "met"}  # fmt: skip


def test_a_wednesday_start_gives_a_9_hour_target() -> None:
    case = make_case(start="2026-09-16")  # Wednesday: Wed, Thu, Fri = 3 × 3 h
    assert week_of(case)["target_hours"] == 9.0


def test_a_sick_leave_monday_tuesday_gives_9_hours() -> None:
    case = make_case(absences=[{"from": "2026-09-14", "to": "2026-09-15", "reason": "sick"}])
    assert week_of(case)["target_hours"] == 9.0


def test_a_target_lowered_to_10_from_thursday_splits_the_week() -> None:
    # Mon-Wed at 15 h (3 h a day) = 9, Thu-Fri at 10 h (2 h a day) = 4
    case = make_case(target_changes=[{"from": "2026-09-17", "hours": 10, "reason": "health"}])
    assert week_of(case)["target_hours"] == 13.0
    assert week_of(case, MONDAY + dt.timedelta(days=7))["target_hours"] == 10.0


def test_an_isolated_parent_exemption_is_exempt() -> None:
    case = make_case(
        target_changes=[
            {
                "from": "2026-09-14",
                "hours": 0,
                "reason": "isolated-parent",
                "requested_on": "2026-09-10",
            }
        ],
    )
    row = week_of(case)
    assert row["target_hours"] == 0.0 and row["status"] == "exempt"


def test_a_planned_20_hour_training_with_12_attended_is_short() -> None:
    action = {"id": "A1", "kind": "training", "title": "T", "start": "2026-09-07", "end": "2026-12-18",
              "hours_per_week": 20, "status": "in-progress"}  # fmt: skip
    case = make_case(actions=[action], activities=[done("2026-09-14", 6), done("2026-09-15", 6)])
    row = week_of(case)
    assert (row["target_hours"], row["planned_hours"], row["realised_hours"], row["status"]) == (
        15.0, 20.0, 12.0, "short",
    )  # fmt: skip


def test_an_exit_on_a_tuesday_ends_the_target_that_day() -> None:
    case = make_case(exit={"date": "2026-09-15", "outcome": "cdi"})
    assert week_of(case)["target_hours"] == 6.0
    assert weekly_figures(case, SETTINGS, dt.date(2026, 9, 21), dt.date(2026, 9, 27), ON) == []


# More rules -------------------------------------------------------------------


def test_contacts_count_as_activity_when_the_programme_says_so() -> None:
    case = make_case(contacts=[{"date": "2026-09-15", "channel": "phone", "minutes": 90}])
    assert week_of(case)["realised_hours"] == 1.5
    data = copy.deepcopy(SETTINGS.data)
    data["programmes"]["intensive-2025"]["contacts_count_as_activity"] = False
    row = weekly_figures(case, Settings(data), MONDAY, MONDAY + dt.timedelta(days=6), ON)[0]
    assert row.realised_hours == 0.0


def test_kinds_that_do_not_count_and_absences_are_not_realised_hours() -> None:
    case = make_case(
        activities=[
            done("2026-09-14", 5, kind="other"),
            {"date": "2026-09-15", "hours": 4, "kind": "training", "status": "absent-justified"},
            done("2026-09-16", 2),
        ]
    )
    assert week_of(case)["realised_hours"] == 2.0


def test_cancelled_actions_and_one_off_actions_in_the_plan() -> None:
    actions = [
        {"id": "A1", "kind": "training", "title": "T", "start": "2026-09-01", "hours_per_week": 10,
         "status": "cancelled"},
        {"id": "A2", "kind": "employer-interview", "title": "I", "start": "2026-09-16", "hours": 2,
         "status": "planned"},
        {"id": "A3", "kind": "workshop", "title": "W", "start": "2026-09-17", "end": "2026-09-18",
         "hours_per_week": 10, "status": "planned"},
    ]  # fmt: skip
    assert week_of(make_case(actions=actions))["planned_hours"] == 6.0  # 2 + 2 days × 2 h


def test_weeks_after_the_reference_day_are_judged_on_the_plan() -> None:
    action = {"id": "A1", "kind": "training", "title": "T", "start": "2026-09-07",
              "hours_per_week": 12, "status": "planned"}  # fmt: skip
    case = make_case(actions=[action])
    assert week_of(case, on=dt.date(2026, 9, 13))["status"] == "planned-short"
    action["hours_per_week"] = 15
    assert week_of(case, on=dt.date(2026, 9, 13))["status"] == "upcoming"
    assert week_of(case, on=dt.date(2026, 9, 14))["status"] == "short"  # the week has begun


def test_only_weeks_that_are_over_fail_the_check() -> None:
    row = weekly_figures(make_case(), SETTINGS, MONDAY, MONDAY, ON)[0]
    assert row.status == "short"
    assert is_past_short(row, dt.date(2026, 9, 21))
    assert not is_past_short(row, dt.date(2026, 9, 18))


@pytest.mark.parametrize(("hours", "expected"), [(0, "under 10 h"), (9.99, "under 10 h"),
                                                 (10, "10 to under 15 h"), (14.99, "10 to under 15 h"),
                                                 (15, "15 h and more"), (40, "15 h and more")])  # fmt: skip
def test_the_three_bands(hours: float, expected: str) -> None:
    assert band(hours) == expected


def test_a_year_with_53_iso_weeks() -> None:
    case = make_case(start="2026-12-28", planned_end="2027-01-10")
    weeks = [w for w in contract_weeks(case, dt.date(2026, 1, 1), dt.date(2027, 12, 31))]
    labels = [r.week for r in weekly_figures(case, SETTINGS, weeks[0], weeks[-1], ON)]
    assert labels == ["2026-W53", "2027-W01"]


# Properties -------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))
TARGETS = st.integers(min_value=1, max_value=35)


def working_days_between(first: dt.date, last: dt.date) -> int:
    return sum(1 for n in range((last - first).days + 1) if (first + dt.timedelta(n)).weekday() < 5)


@given(DAYS, st.integers(min_value=0, max_value=120), TARGETS)
def test_each_week_target_is_the_target_times_its_working_days_in_the_contract(
    start: dt.date, length: int, target: int
) -> None:
    end = start + dt.timedelta(days=length)
    case = make_case(
        start=start.isoformat(), planned_end=end.isoformat(), weekly_target_hours=target
    )
    mondays = contract_weeks(case, dt.date(2020, 1, 1), dt.date(2030, 1, 1))
    assert mondays[0] <= start <= mondays[0] + dt.timedelta(days=6)
    assert mondays[-1] <= end <= mondays[-1] + dt.timedelta(days=6)
    assert all(b - a == dt.timedelta(days=7) for a, b in itertools.pairwise(mondays))
    total = 0.0
    for monday in mondays:
        first, last = max(start, monday), min(end, monday + dt.timedelta(days=6))
        expected = target * working_days_between(first, last) / 5
        assert week_target(case, monday) == pytest.approx(expected)
        total += week_target(case, monday)
    assert total == pytest.approx(target * working_days_between(start, end) / 5)


@given(DAYS, DAYS, DAYS, TARGETS)
def test_an_absence_never_raises_a_target_and_removes_its_working_days(
    week_day: dt.date, absence_start: dt.date, absence_end: dt.date, target: int
) -> None:
    assume(absence_start <= absence_end)
    monday = week_day - dt.timedelta(days=week_day.weekday())
    case = make_case(start="2024-01-01", planned_end="2029-01-01", weekly_target_hours=target)
    without = week_target(case, monday)
    case["absences"] = [
        {"from": absence_start.isoformat(), "to": absence_end.isoformat(), "reason": "sick"}
    ]
    with_absence = week_target(case, monday)
    first, last = max(absence_start, monday), min(absence_end, monday + dt.timedelta(days=6))
    missed = working_days_between(first, last) if first <= last else 0
    assert with_absence == pytest.approx(without - target * missed / 5)
    assert 0 <= with_absence <= without


@given(DAYS, TARGETS, st.integers(min_value=0, max_value=35))
def test_a_target_change_mid_week_is_split_by_day(day: dt.date, before: int, after: int) -> None:
    monday = day - dt.timedelta(days=day.weekday())
    case = make_case(start="2024-01-01", planned_end="2029-01-01", weekly_target_hours=before)
    case["target_changes"] = [
        {"from": day.isoformat(), "hours": after, "reason": "x", "requested_on": "2024-01-01"}
    ]
    days_before = min(day.weekday(), 5)
    expected = (before * days_before + after * (5 - days_before)) / 5
    assert week_target(case, monday) == pytest.approx(expected)


@given(
    st.lists(st.tuples(DAYS, st.integers(min_value=0, max_value=200)), max_size=4),
    st.lists(st.tuples(DAYS, st.integers(min_value=0, max_value=35)), max_size=3),
    TARGETS,
    DAYS,
)
def test_every_week_target_is_the_sum_of_its_working_days_targets(
    absences: list[tuple[dt.date, int]],
    changes: list[tuple[dt.date, int]],
    target: int,
    around: dt.date,
) -> None:
    # Several absences (some months long) and target changes at once: each week's target
    # is, day by day, the target in force on each working day of the contract that is
    # not an absence, a fifth of it a day (week_target finds the usual weeks apart).
    case = make_case(start="2024-01-01", planned_end="2029-01-01", weekly_target_hours=target)
    case["absences"] = [
        {"from": a.isoformat(), "to": (a + dt.timedelta(days=n)).isoformat(), "reason": "sick"}
        for a, n in absences
    ]
    case["target_changes"] = [
        {"from": d.isoformat(), "hours": h, "reason": "x", "requested_on": "2024-01-01"}
        for d, h in changes
    ]
    spans = [(a, a + dt.timedelta(days=n)) for a, n in absences]
    first_monday = around - dt.timedelta(days=around.weekday() + 7 * 8)
    for week in range(16):
        monday = first_monday + dt.timedelta(days=7 * week)
        expected = 0.0
        for day in (monday + dt.timedelta(days=n) for n in range(5)):
            if dt.date(2024, 1, 1) <= day <= dt.date(2029, 1, 1) and not any(
                a <= day <= b for a, b in spans
            ):
                in_force = [h for d, h in sorted(changes) if d <= day]
                expected += (in_force[-1] if in_force else target) / 5
        assert week_target(case, monday) == pytest.approx(expected)


@given(DAYS, TARGETS)
def test_an_exit_mid_week_keeps_the_days_up_to_the_exit(exit_day: dt.date, target: int) -> None:
    monday = exit_day - dt.timedelta(days=exit_day.weekday())
    case = make_case(start="2024-01-01", weekly_target_hours=target)
    case["exit"] = {"date": exit_day.isoformat(), "outcome": "cdi"}
    assert week_target(case, monday) == pytest.approx(target * min(exit_day.weekday() + 1, 5) / 5)


# Target changes, activity limits, allowance caps, cadence ------------------------


@pytest.mark.parametrize(
    ("hours", "reason", "requested", "refused"),
    [
        (0, "isolated-parent", "2026-10-01", None),
        (0, "health", "2026-10-01", None),
        (0, "isolated-parent", None, "needs --requested-on"),
        (0, "tired", "2026-10-01", "a target of 0 needs --reason health | disability"),
        (10, None, None, "lowering the target from 15 h to 10 h needs --reason"),
        (10, "training-break", None, None),
        (20, None, None, None),  # raising needs no reason
        (36, "x", None, "out of range"),
        (-1, "x", None, "out of range"),
    ],
)
def test_the_target_change_rule(
    hours: float, reason: str | None, requested: str | None, refused: str | None
) -> None:
    requested_on = dt.date.fromisoformat(requested) if requested else None
    result = target_change_refusal(make_case(), dt.date(2026, 10, 5), hours, reason, requested_on)
    if refused is None:
        assert result is None
    else:
        assert result is not None and refused in result


def test_a_target_change_before_the_enrolment_is_refused() -> None:
    assert "before the enrolment start" in str(
        target_change_refusal(make_case(), dt.date(2026, 1, 5), 20, None, None)
    )


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_activity_hours_must_be_positive_and_at_most_12(hours: float) -> None:
    refused = activity_refusal(make_case(), dt.date(2026, 9, 14), hours)
    assert (refused is None) == (0 < hours <= 12)


def test_at_most_24_hours_in_one_day() -> None:
    case = make_case(activities=[done("2026-09-14", 12), done("2026-09-14", 10)])
    assert activity_refusal(case, dt.date(2026, 9, 14), 2) is None
    assert "would exceed 24 h in one day" in str(activity_refusal(case, dt.date(2026, 9, 14), 2.5))


def test_the_allowance_cap_counts_the_calendar_year() -> None:
    case = make_case(
        allowances=[{"date": "2025-12-30", "amount": 900}, {"date": "2026-01-15", "amount": 1500}]
    )
    check = allowance_cap_check(case, dt.date(2026, 6, 1), 400, 1800)
    assert check.exceeded and check.paid == 1500
    assert "1500 EUR already paid in 2026 + 400 EUR = 1900 EUR" in check.describe()
    assert not allowance_cap_check(case, dt.date(2026, 6, 1), 300, 1800).exceeded
    assert not allowance_cap_check(case, dt.date(2026, 6, 1), 10**5, None).exceeded


CIVIS = [{"until_month": 3, "every_days": 7}, {"every_days": 31}]


def test_the_civis_cadence_is_weekly_for_three_months_then_monthly() -> None:
    start = dt.date(2026, 9, 7)
    assert cadence_days(CIVIS, start, dt.date(2026, 12, 6)) == 7
    assert cadence_days(CIVIS, start, dt.date(2026, 12, 7)) == 31
    assert cadence_days([], start, start) is None


def test_next_contact_from_the_last_one_or_the_start() -> None:
    case = make_case(contacts=[{"date": "2026-09-10", "channel": "phone", "minutes": 10}])
    due = next_contact(case, CIVIS, dt.date(2026, 9, 20))
    assert due is not None and (due.last_contact, due.due, due.days_overdue) == (
        "2026-09-10",
        "2026-09-17",
        3,
    )
    fresh = next_contact(make_case(), CIVIS, dt.date(2026, 9, 8))
    assert fresh is not None and (fresh.due, fresh.days_overdue) == ("2026-09-14", -6)
    exited = make_case(exit={"date": "2026-09-15", "outcome": "cdi"})
    assert next_contact(exited, CIVIS, dt.date(2026, 9, 20)) is None


ACTIONS = st.lists(
    st.tuples(DAYS, st.integers(min_value=0, max_value=60), st.sampled_from([None, 3, 8, 20]), st.sampled_from([None, 2, 7.5]),
              st.sampled_from(["planned", "cancelled", "done"]), st.sampled_from(["training", "other"])),
    max_size=5,
)  # fmt: skip


@given(ACTIONS, DAYS, st.integers(min_value=0, max_value=200))
def test_planned_hours_equal_the_day_by_day_programme(
    specs: list, start: dt.date, length: int
) -> None:
    """The week sum (fast) equals the sum of what `plan show --week` lists day by day."""
    from accomp.domain.hours import (
        INACTIVE_ACTION_STATUSES,
        action_hours_on,
        counting_kinds,
        week_planned,
    )

    actions = []
    for index, (first, days, per_week, hours, status, kind) in enumerate(specs):
        action = {"id": f"A{index + 1}", "kind": kind, "title": "t", "start": first.isoformat(),
                  "end": (first + dt.timedelta(days=days)).isoformat(), "status": status}  # fmt: skip
        if per_week:
            action["hours_per_week"] = per_week
        elif hours:
            action["hours"] = hours
        actions.append(action)
    case = make_case(
        start=start.isoformat(),
        planned_end=(start + dt.timedelta(days=length)).isoformat(),
        actions=actions,
    )
    kinds = counting_kinds(SETTINGS)
    for monday in contract_weeks(case, dt.date(2020, 1, 1), dt.date(2030, 1, 1))[:6]:
        days = [monday + dt.timedelta(days=n) for n in range(7)]
        reference = sum(
            action_hours_on(a, day)
            for a in actions
            if a["status"] not in INACTIVE_ACTION_STATUSES and a["kind"] in kinds
            for day in days
            if start <= day <= start + dt.timedelta(days=length)
        )
        assert week_planned(case, monday, kinds) == pytest.approx(reference)


def test_the_worklist_says_when_a_due_person_is_on_a_justified_absence() -> None:
    case = make_case(absences=[{"from": "2026-09-15", "to": "2026-09-30", "reason": "sick"}])
    during = next_contact(case, CIVIS, dt.date(2026, 9, 20))
    assert during is not None and during.absent == "sick until 2026-09-30"
    after = next_contact(case, CIVIS, dt.date(2026, 10, 1))
    assert after is not None and after.absent is None
