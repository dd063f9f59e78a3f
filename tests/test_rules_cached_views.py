"""What the cache keeps per case holds on every day it is served (properties over generated cases).

The cache stores, for a case file, its checks and its cohort view computed on
one day T, and serves them up to `stable_until(case, T)`. These properties
check that, on any such later day D, they are exactly what D itself gives; and
that the summary's judged weeks are the weekly hours check's.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.domain.checks import case_problems, stable_until
from accomp.domain.followup import next_contact, next_contact_of_view
from accomp.domain.hours import (
    figures_of_view,
    hours_view,
    judged_in_period,
    judged_weeks,
    weekly_figures,
)
from accomp.domain.retention import last_activity
from accomp.domain.rows import case_row, list_row
from accomp.domain.settings import Settings
from accomp.domain.summary import cohort_view, summarise
from accomp.domain.views import read_views
from accomp.store import yamlio
from accomp.store.checking import default_settings
from bench.generate import make_case

SETTINGS = Settings.merged({}, default_settings())
DAYS = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31))


def generated_case(seed: int) -> dict[str, Any]:
    """A realistic case (the bench's generator) as the read path gives it."""
    _, document = make_case(random.Random(seed))
    plain = yamlio.to_plain({"schema_version": 1, "case_id": "2026-AAAAA", **document})
    return {k: v for k, v in plain.items() if v is not None}


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), DAYS, st.integers(0, 500))
def test_checks_and_view_hold_until_stable_until(seed: int, computed: dt.date, later: int) -> None:
    case = generated_case(seed)
    until = stable_until(case, SETTINGS, computed)
    assert until >= computed
    day = min(computed + dt.timedelta(days=later), until)
    assert case_problems(case, SETTINGS, day) == case_problems(case, SETTINGS, computed)
    kept, fresh = cohort_view(case, SETTINGS, computed), cohort_view(case, SETTINGS, day)
    for first in (dt.date(2023, 1, 1), day - dt.timedelta(days=90), day - dt.timedelta(days=3)):
        for last in (day, day + dt.timedelta(days=40)):
            assert summarise([kept], SETTINGS, first, last, day) == summarise(
                [fresh], SETTINGS, first, last, day
            )


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), DAYS, st.integers(-400, 60), st.integers(0, 400))
def test_the_summary_judges_the_weeks_the_hours_check_judges(
    seed: int, on: dt.date, start: int, length: int
) -> None:
    case = generated_case(seed)
    first = on + dt.timedelta(days=start)
    last = first + dt.timedelta(days=length)
    reference = on if on <= last else last
    expected = []
    for row in weekly_figures(case, SETTINGS, first, last, reference):
        year, week = row.week.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
        if (
            first <= monday
            and monday + dt.timedelta(days=6) <= last
            and row.status in ("met", "short")
        ):
            expected.append((row.status == "met", row.realised_hours))
    judged = judged_weeks(hours_view(case, SETTINGS), on)
    assert judged_in_period(judged, first, last, reference) == (
        len(expected),
        sum(1 for met, _ in expected if met),
        [round(hours * 100) for _, hours in expected],
    )


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**6), DAYS, st.integers(0, 60), DAYS, st.integers(0, 40), st.integers(-9, 9)
)
def test_the_weeks_of_a_period_are_those_of_the_whole_contract(
    seed: int, first: dt.date, length: int, on: dt.date, near: int, offset: int
) -> None:
    """The hours check of a period reads only the actions and absences near it: its rows are
    the whole contract's rows of the weeks with a day of the contract in the period. The
    period is often set just before or after an action or an absence (`near`, `offset`),
    where leaving out the wrong ones would show."""
    view = hours_view(generated_case(seed), SETTINGS)
    edges = [day for action in view["actions"] for day in action[:2] if day]
    edges += [day for absence in view["absences"] for day in absence]
    if edges and near < 30:  # else: anywhere
        first = dt.date.fromisoformat(sorted(edges)[near % len(edges)])
        first += dt.timedelta(days=offset)
        length %= 8
    last = first + dt.timedelta(days=length)
    everything = figures_of_view(view, dt.date(1900, 1, 1), dt.date(2199, 12, 31), on)
    low = max(first, dt.date.fromisoformat(view["start"]))
    high = min(last, dt.date.fromisoformat(view["end"])) if view["end"] else last
    overlapping = []
    for row in everything:
        year, week = row.week.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
        if low <= high and monday <= high and low <= monday + dt.timedelta(days=6):
            overlapping.append(row)
    assert figures_of_view(view, first, last, on) == overlapping


def test_a_future_date_in_the_case_ends_the_promise_a_week_before() -> None:
    case = generated_case(1)
    case["contacts"] = [*case["contacts"], {"date": "2030-03-15", "channel": "sms", "minutes": 5}]
    case.pop("exit", None)
    case["enrolment"]["planned_end"] = "2031-01-01"
    case["enrolment"]["programme"] = "plie"  # no maximum duration
    assert stable_until(case, SETTINGS, dt.date(2030, 1, 1)) == dt.date(2030, 3, 8)
    assert stable_until(case, SETTINGS, dt.date(2030, 3, 14)) == dt.date(2030, 3, 14)
    assert stable_until(case, SETTINGS, dt.date(2030, 3, 15)) == dt.date(2030, 12, 25)
    assert stable_until(case, SETTINGS, dt.date(2031, 1, 1)) == dt.date.max


def test_the_end_of_the_maximum_duration_ends_the_promise() -> None:
    case = generated_case(2)
    case.pop("exit", None)
    case["enrolment"].update(
        programme="intensive-2025", start="2026-01-10", planned_end="2026-06-30"
    )
    case["contacts"] = [c for c in case["contacts"] if c["date"] <= "2026-06-30"]
    assert stable_until(case, SETTINGS, dt.date(2026, 12, 1)) == dt.date(
        2027, 1, 4
    )  # 2027-01-11 less a week


def test_a_maximum_duration_already_behind_bounds_nothing() -> None:
    """A case past its programme's maximum stays past it: the checks of an old exited case
    hold for good (before, a quarter of a department's store was read again every day)."""
    case = generated_case(2)
    case["enrolment"].update(
        programme="intensive-2025", start="2022-01-10", planned_end="2022-12-30"
    )
    case["contacts"] = [c for c in case["contacts"] if c["date"] <= "2023-06-30"]
    case["exit"] = {"date": "2023-06-30", "outcome": "cdi", "contract_months": None}
    for key in ("activities", "allowances", "absences", "target_changes", "followups"):
        case[key] = [
            e
            for e in case.get(key, [])
            if max(v for v in e.values() if isinstance(v, str) and v[:2] == "20") <= "2023-06-30"
        ]
    today = dt.date(2026, 11, 20)
    assert stable_until(case, SETTINGS, today) == dt.date.max
    assert case_problems(case, SETTINGS, today) == case_problems(
        case, SETTINGS, dt.date(2031, 1, 1)
    )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**6), DAYS, DAYS, st.integers(0, 400))
def test_every_read_view_through_the_cache_gives_the_answers_of_the_document(
    seed: int, computed: dt.date, first: dt.date, length: int
) -> None:
    """The views go through JSON into the cache: the same figures, to the bit, come back."""
    case = generated_case(seed)
    views = orjson.loads(orjson.dumps(read_views(case, SETTINGS, computed)))
    last = first + dt.timedelta(days=length)
    assert figures_of_view(views["hours"], first, last, computed) == weekly_figures(
        case, SETTINGS, first, last, computed
    )
    cadence = SETTINGS.programme(case["enrolment"]["programme"])["contact_cadence"]
    for day in (first, computed, last):
        assert next_contact_of_view(views["followup"], cadence, day) == next_contact(
            case, cadence, day
        )
    assert views["followup"]["last_activity"] == last_activity(case)
    assert views["row"] == case_row(case, SETTINGS)
    assert list_row(views["row"])["status"] == ("exited" if case.get("exit") else "active")
