"""The person's week: scheduled actions, `plan week` as a timetable and a printable page."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.domain.hours import WEEKDAYS, figures_of_view, hours_view
from accomp.domain.settings import Settings
from accomp.domain.week import parse_slot
from accomp.store.checking import default_settings
from tests.conftest import Invoke, snapshot
from tests.test_bad_input import assert_one_line_error

BROWSER = shutil.which("chromium")


@pytest.fixture
def planned(in_store: Invoke, enrol) -> str:  # type: ignore[no-untyped-def]
    """A CEJ case (from Monday 2026-09-07, 15 h a week) with a training of 12 h a week and
    driving lessons of 3 h a week, from 2026-09-14 to 2026-12-18."""
    case_id = enrol()
    for kind, title, hours in (("training", "Logistics training", "12"),
                               ("mobility", "Driving theory", "3")):  # fmt: skip
        added = in_store("plan", "action", "add", case_id, "--kind", kind, "--title", title,
                         "--start", "2026-09-14", "--end", "2026-12-18",
                         "--hours-per-week", hours)  # fmt: skip
        assert added.exit_code == 0, added.stderr
    return case_id


def test_a_schedule_makes_the_week_a_timetable_and_its_planned_hours(
    in_store: Invoke, planned: str
) -> None:
    result = in_store("plan", "action", "schedule", planned, "A1", "--slot", "mon 09:00-12:30",
                      "--slot", "thu 14:00-17:00", "--slot", "2026-11-20 09:00-11:00",
                      "--place", "Centre de formation")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "action A1 scheduled (3 slot(s))" in result.stderr + result.stdout
    week = json.loads(in_store("plan", "week", planned, "--week", "2026-W47",
                               "--format", "json").stdout)  # fmt: skip
    assert [(s["date"], s["start"], s["end"], s["hours"]) for s in week["slots"]] == [
        ("2026-11-16", "09:00", "12:30", 3.5),
        ("2026-11-19", "14:00", "17:00", 3.0),
        ("2026-11-20", "09:00", "11:00", 2.0),
    ]
    assert week["to_schedule"] == [{"action": "A2", "title": "Driving theory",
                                    "kind": "mobility", "hours": 3.0, "counts": True}]  # fmt: skip
    # The weekly hours check counts the slots: 3.5 + 3 + 2 + the driving lessons' 3 h.
    check = json.loads(in_store("hours", "check", planned, "--week", "2026-W47",
                                "--format", "json").stdout)  # fmt: skip
    assert check[0]["planned_hours"] == week["planned_hours"] == 11.5
    # A week without the dated slot: 6.5 + 3.
    other = json.loads(in_store("hours", "check", planned, "--week", "2026-W48",
                                "--format", "json").stdout)  # fmt: skip
    assert other[0]["planned_hours"] == 9.5
    shown = json.loads(in_store("show", planned, "--format", "json").stdout)
    assert shown["plan"]["actions"][0]["hours_per_week"] == 6.5  # the weekly slots' total
    table = in_store("plan", "week", planned, "--week", "2026-W47").stdout
    assert "to schedule: A2 Driving theory (3 h this week)" in table
    assert "2026-W47: target 15 h, planned 11.5 h" in table


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["A1", "--slot", "monday 9-12"], "--slot"),
        (["A1", "--slot", "mon 12:00-09:00"], "ends before it starts"),
        (["A1", "--slot", "mon 25:00-26:00"], "not a time of day"),
        (["A1", "--slot", "2027-03-01 09:00-10:00"], "outside action A1's dates"),
        (["A9", "--slot", "mon 09:00-10:00"], "no action A9"),
        (["A1"], "give --slot"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_is_written(
    in_store: Invoke, store: Path, planned: str, args: list[str], expected: str
) -> None:
    before = snapshot(store)
    result = in_store("plan", "action", "schedule", planned, *args)
    assert result.exit_code == 2, result.stderr
    assert expected in assert_one_line_error(result.stderr)
    assert snapshot(store) == before


def test_the_printable_week_is_for_the_person_and_stays_out_of_the_store(
    in_store: Invoke, store: Path, planned: str, tmp_path: Path
) -> None:
    assert in_store("plan", "action", "schedule", planned, "A1",
                    "--slot", "tue 09:00-12:00", "--place", "Centre").exit_code == 0  # fmt: skip
    inside = in_store("plan", "week", planned, "--week", "2026-W47", "--format", "html",
                      "--out", str(store / "week.html"))  # fmt: skip
    assert "inside the store" in assert_one_line_error(inside.stderr)
    assert not (store / "week.html").exists()
    no_out = in_store("plan", "week", planned, "--week", "2026-W47", "--format", "html")
    assert "--out" in assert_one_line_error(no_out.stderr)
    page = tmp_path / "week.html"
    result = in_store("plan", "week", planned, "--week", "2026-W47", "--format", "html",
                      "--out", str(page))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    assert "Zoé Quenouille" in text  # the person's own programme carries their name
    assert re.search(r"Tuesday 2026-11-17\s+09:00 to 12:00\s+Logistics training\s+Centre\s+3", text)
    assert re.search(r"Hours planned this week\s+6 h", text)  # 3 h slot + 3 h of driving
    assert re.search(r"My weekly target\s+15 h", text)
    if BROWSER is None:
        pytest.skip("chromium missing (`make test` installs it as root with apt)")
    screenshot = tmp_path / "week.png"
    shot = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--enable-logging=stderr", "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--hide-scrollbars", "--window-size=800,900", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert [line for line in shot.stderr.splitlines() if "CONSOLE" in line] == []
    assert screenshot.stat().st_size > 5_000


SETTINGS = Settings.merged({}, default_settings())
SLOTS = st.builds(
    lambda day, start, length: (
        f"{day} {start // 60:02d}:{start % 60:02d}-"
        f"{(start + length) // 60:02d}:{(start + length) % 60:02d}"
    ),
    st.sampled_from(WEEKDAYS),
    st.integers(6 * 60, 14 * 60),
    st.integers(15, 6 * 60),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(SLOTS, min_size=1, max_size=6),
    st.dates(dt.date(2026, 9, 7), dt.date(2026, 12, 31)),
    st.integers(0, 120),
    st.dates(dt.date(2026, 8, 31), dt.date(2027, 1, 31)),
)
def test_planned_hours_of_a_schedule_are_its_slots_inside_the_dates(
    slots: list[str], action_start: dt.date, length: int, day: dt.date
) -> None:
    """Planned hours of any week = the hours of the weekly slots falling on the days of that
    week inside both the action's dates and the contract, counted day by day."""
    action_end = action_start + dt.timedelta(days=length)
    schedule = [parse_slot(text) for text in slots]
    case = {
        "case_id": "2026-AAAAA",
        "enrolment": {"start": "2026-09-07", "planned_end": "2026-12-31", "programme": "cej",
                      "referent": "r", "weekly_target_hours": 15},
        "plan": {"objectives": [], "actions": [{
            "id": "A1", "kind": "training", "title": "t", "status": "planned",
            "start": action_start.isoformat(), "end": action_end.isoformat(), "schedule": schedule,
        }]},
        "activities": [], "contacts": [], "absences": [], "target_changes": [],
    }  # fmt: skip
    monday = day - dt.timedelta(days=day.weekday())
    (row,) = figures_of_view(hours_view(case, SETTINGS), monday, monday, day) or [None]
    if row is None:
        return  # the week is outside the contract
    expected = 0.0
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        if action_start <= date <= action_end and dt.date(2026, 9, 7) <= date <= dt.date(
            2026, 12, 31
        ):
            for slot in schedule:
                if slot["weekday"] == WEEKDAYS[date.weekday()]:
                    start_h, start_m = map(int, slot["start"].split(":"))
                    end_h, end_m = map(int, slot["end"].split(":"))
                    expected += (end_h * 60 + end_m - start_h * 60 - start_m) / 60
    assert row.planned_hours == round(expected, 2)


def test_a_hand_written_slot_that_ends_before_it_starts_is_an_error_with_its_line(
    in_store: Invoke, store: Path, planned: str
) -> None:
    assert in_store("plan", "action", "schedule", planned, "A1",
                    "--slot", "wed 10:00-12:00").exit_code == 0  # fmt: skip
    path = store / f"{planned}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("end: '12:00'") + text.count("end: 12:00") + text.count('end: "12:00"') == 1
    path.write_text(re.sub(r"(end: ['\"]?)12:00", r"\g<1>09:30", text), encoding="utf-8")
    result = in_store("validate", str(path))
    assert result.exit_code == 1
    assert re.search(r"\.yaml:\d+:\d+: plan\.actions\[0\]\.schedule\[0\]\.end: 09:30 is not after "
                     r"the slot's start 10:00", result.stdout + result.stderr)  # fmt: skip
