"""Fixing and voiding entries (issue 17), driven as a counsellor does (today: 2026-11-20).

A fixed entry keeps its id and its comments; a voided one stays in the file,
marked, and counts nowhere: not in the weekly hours, the summary, the yearly
allowance cap or the absences that lower a target. Bad inputs: one line,
exit 2, nothing written.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.domain.corrections import counted, find_entry
from accomp.domain.hours import weekly_figures
from accomp.domain.settings import Settings
from accomp.store.checking import default_settings
from tests.conftest import Invoke, git, snapshot
from tests.test_bad_input import assert_one_line_error


def _rows(in_store: Invoke, what: str, case_id: str) -> list[dict]:
    result = in_store(what, "list", case_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _week(in_store: Invoke, case_id: str, week: str) -> dict:
    result = in_store("hours", "check", case_id, "--week", week, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    (row,) = [r for r in json.loads(result.stdout) if r.get("case_id") == case_id]
    return row


def _log_activity(in_store: Invoke, case_id: str, day: str, hours: str) -> None:
    logged = in_store("activity", "log", case_id, "--date", day, "--hours", hours,
                      "--kind", "training")  # fmt: skip
    assert logged.exit_code == 0, logged.stderr


def test_an_activity_entered_twice_is_voided_and_its_hours_count_nowhere(
    in_store: Invoke, store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    for day in ("2026-11-09", "2026-11-10", "2026-11-10"):  # the 10th typed twice
        _log_activity(in_store, case_id, day, "6")
    assert _week(in_store, case_id, "2026-W46")["realised_hours"] == 18
    listed = _rows(in_store, "activity", case_id)
    assert [(r["number"], r["date"], r["voided"]) for r in listed] == [
        (1, "2026-11-09", None), (2, "2026-11-10", None), (3, "2026-11-10", None)
    ]  # fmt: skip
    voided = in_store("activity", "void", case_id, "3", "--reason", "entered twice")
    assert voided.exit_code == 0, voided.stderr
    assert git(store, "log", "-1", "--format=%s").strip() == (
        f"void {case_id}: activity 3 ({listed[2]['id']})"
    )
    assert "entered twice" not in git(store, "log", "--format=%B")  # free text stays out
    assert _week(in_store, case_id, "2026-W46")["realised_hours"] == 12
    after = _rows(in_store, "activity", case_id)
    assert len(after) == 3 and after[2]["voided"] == "2026-11-20: entered twice"
    case = json.loads(in_store("show", case_id, "--format", "json").stdout)
    assert case["activities"][2]["voided"] == {"on": "2026-11-20", "reason": "entered twice"}
    # Voiding it again, fixing it, an unknown entry, no reason: one line, nothing written.
    before, commits = snapshot(store), git(store, "rev-list", "--count", "HEAD")
    for args, expected in (
        (["activity", "void", case_id, "3", "--reason", "again"], "already voided on 2026-11-20"),
        (["activity", "fix", case_id, "3", "--hours", "2"], "a voided entry is not corrected"),
        (["activity", "void", case_id, "7", "--reason", "x"], "no activity 7"),
        (["activity", "void", case_id, "ZZZZZZ", "--reason", "x"], "no activity ZZZZZZ"),
        (["activity", "void", case_id, "1", "--reason", "  "], "say why"),
        (["activity", "fix", case_id, "1"], "nothing to change"),
        (["activity", "fix", case_id, "1", "--hours", "6"], "already says so"),
        (["activity", "fix", case_id, "1", "--hours", "13"], "at most 12"),
        (["activity", "fix", case_id, "1", "--kind", "knitting"], "unknown activity kind"),
        (["activity", "fix", case_id, "1", "--date", "2026-12-01"], "in the future"),
    ):
        result = in_store(*args)
        assert result.exit_code == 2, (args, result.stdout)
        assert expected in assert_one_line_error(result.stderr), args
    assert snapshot(store) == before
    assert git(store, "rev-list", "--count", "HEAD") == commits


def test_a_fix_that_would_put_more_than_a_day_in_one_day_is_refused(
    in_store: Invoke, enrol
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    for day, hours in (("2026-11-09", "12"), ("2026-11-09", "6"), ("2026-11-10", "6")):
        _log_activity(in_store, case_id, day, hours)
    moved = in_store("activity", "fix", case_id, "3", "--date", "2026-11-09", "--hours", "7")
    assert moved.exit_code == 2
    assert "exceed 24 h in one day" in assert_one_line_error(moved.stderr)
    # Its own hours are not counted twice: 12 + 6 on the 9th may become 12 + 12.
    grown = in_store("activity", "fix", case_id, "2", "--hours", "12")
    assert grown.exit_code == 0, grown.stderr


def test_a_contact_is_fixed_by_number_or_id_keeping_its_id_and_the_files_comments(
    in_store: Invoke, store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    for day, minutes in (("2026-11-02", "15"), ("2026-10-05", "20")):
        logged = in_store("contact", "log", case_id, "--date", day, "--channel", "phone",
                          "--minutes", minutes)  # fmt: skip
        assert logged.exit_code == 0, logged.stderr
    path = store / f"{case_id}.yaml"
    text = path.read_text().replace("contacts:\n", "contacts:\n  # typed from the paper log\n")
    path.write_text(text)
    git(store, "commit", "-qam", f"comment {case_id}")
    listed = _rows(in_store, "contact", case_id)
    assert [(r["number"], r["date"]) for r in listed] == [(1, "2026-10-05"), (2, "2026-11-02")]
    fixed = in_store("contact", "fix", case_id, "2", "--minutes", "50", "--channel", "in-person")
    assert fixed.exit_code == 0, fixed.stderr
    assert git(store, "log", "-1", "--format=%s").strip() == (
        f"fix {case_id}: contact 2 ({listed[1]['id']}): channel, minutes"
    )
    by_id = in_store("contact", "fix", case_id, listed[0]["id"].lower(), "--minutes", "25")
    assert by_id.exit_code == 0, by_id.stderr
    after = _rows(in_store, "contact", case_id)
    assert [(r["id"], r["minutes"], r["channel"]) for r in after] == [
        (listed[0]["id"], 25, "phone"), (listed[1]["id"], 50, "in-person")
    ]  # fmt: skip
    assert "# typed from the paper log" in path.read_text()
    # A contact voided leaves the contact counts of the case.
    voided = in_store("contact", "void", case_id, "1", "--reason", "wrong person")
    assert voided.exit_code == 0, voided.stderr
    exported = in_store("export", "cases", "--format", "json")
    assert exported.exit_code == 0, exported.stderr
    assert json.loads(exported.stdout)[0]["contacts"] == 1
    contacts = json.loads(in_store("export", "contacts", "--format", "json").stdout)
    assert [c["minutes"] for c in contacts] == [50]


def test_a_voided_allowance_frees_the_yearly_cap(in_store: Invoke, enrol) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol("--programme", "civis-renforce", "--birth-date", "2004-01-01")
    paid = in_store("allowance", "add", case_id, "--date", "2026-10-01", "--amount", "1500")
    assert paid.exit_code == 0, paid.stderr
    over = in_store("allowance", "add", case_id, "--date", "2026-11-01", "--amount", "500")
    assert over.exit_code == 2 and "yearly cap" in over.stderr
    assert in_store("allowance", "fix", case_id, "1", "--amount", "1600").exit_code == 0
    assert (
        in_store("allowance", "void", case_id, "1", "--reason", "paid to the wrong case").exit_code
        == 0
    )
    again = in_store("allowance", "add", case_id, "--date", "2026-11-01", "--amount", "500")
    assert again.exit_code == 0, again.stderr
    rows = _rows(in_store, "allowance", case_id)
    assert [(r["amount"], bool(r["voided"])) for r in rows] == [(1600, True), (500, False)]


def test_a_voided_absence_gives_the_week_its_target_back(in_store: Invoke, enrol) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    added = in_store("absence", "add", case_id, "--from", "2026-11-09", "--to", "2026-11-15",
                     "--reason", "sick")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert _week(in_store, case_id, "2026-W46")["target_hours"] == 0
    fixed = in_store("absence", "fix", case_id, "1", "--to", "2026-11-10")
    assert fixed.exit_code == 0, fixed.stderr
    assert 0 < _week(in_store, case_id, "2026-W46")["target_hours"] < 15
    bad = in_store("absence", "fix", case_id, "1", "--to", "2026-11-01")
    assert bad.exit_code == 2 and "before --from" in assert_one_line_error(bad.stderr)
    assert in_store("absence", "void", case_id, "1", "--reason", "not sick").exit_code == 0
    assert _week(in_store, case_id, "2026-W46")["target_hours"] == 15


# The rule, over random histories ---------------------------------------------------

SETTINGS = Settings(default_settings())
START = dt.date(2026, 9, 7)


def _case(activities: list[dict]) -> dict:
    return {
        "case_id": "2026-PRP01",
        "enrolment": {"programme": "cej", "start": START.isoformat(), "planned_end": None,
                      "weekly_target_hours": 15, "referent": "jdupont"},
        "contract": None, "plan": {"objectives": [], "actions": []},
        "contacts": [], "activities": activities, "absences": [], "target_changes": [],
        "allowances": [], "exit": None,
    }  # fmt: skip


ACTIVITY = st.builds(
    lambda day, hours, status: {
        "date": (START + dt.timedelta(days=day)).isoformat(),
        "hours": hours,
        "kind": "training",
        "status": status,
    },
    st.integers(0, 60),
    st.sampled_from([0.5, 1, 2.5, 3, 6]),
    st.sampled_from(["done", "done", "absent-justified"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(ACTIVITY, st.booleans()), max_size=25))
def test_a_voided_entry_counts_as_if_it_were_not_there(entries: list[tuple[dict, bool]]) -> None:
    marked = [
        {**a, "voided": {"on": "2026-11-20", "reason": "x"}} if void else a for a, void in entries
    ]
    kept = [a for a, void in entries if not void]
    first, last, today = START, START + dt.timedelta(days=70), dt.date(2026, 11, 20)
    with_voided = weekly_figures(_case(marked), SETTINGS, first, last, today)
    without = weekly_figures(_case(kept), SETTINGS, first, last, today)
    assert [r.as_dict() for r in with_voided] == [r.as_dict() for r in without]
    assert counted(_case(marked))["activities"] == kept
    case = _case(copy.deepcopy(marked))
    assert counted(case) is case or any(void for _, void in entries)


@settings(max_examples=100, deadline=None)
@given(st.lists(ACTIVITY, min_size=1, max_size=15), st.data())
def test_numbers_follow_date_order_and_ids_name_the_same_entry(
    activities: list[dict], data: st.DataObject
) -> None:
    for number, activity in enumerate(activities):
        activity["id"] = f"A{number:05d}"
    case = _case(activities)
    number = data.draw(st.integers(1, len(activities)))
    index = find_entry(case, "activities", str(number))
    assert index is not None
    earlier = [a for a in activities if a["date"] < activities[index]["date"]]
    assert len(earlier) < number  # its number is after every earlier day's entries
    assert find_entry(case, "activities", activities[index]["id"]) == index
    assert find_entry(case, "activities", str(len(activities) + 1)) is None


def test_an_action_is_fixed_and_its_planned_hours_follow(
    in_store: Invoke, store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    added = in_store("plan", "action", "add", case_id, "--kind", "training", "--title",
                     "Forklift licence", "--start", "2026-11-09", "--hours-per-week", "6")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert _week(in_store, case_id, "2026-W46")["planned_hours"] == 6
    fixed = in_store("plan", "action", "fix", case_id, "a1", "--hours-per-week", "12",
                     "--title", "CACES R489 forklift licence")  # fmt: skip
    assert fixed.exit_code == 0, fixed.stderr
    assert git(store, "log", "-1", "--format=%s").strip() == (
        f"fix {case_id}: action A1: hours_per_week, title"
    )
    assert _week(in_store, case_id, "2026-W46")["planned_hours"] == 12
    once = in_store("plan", "action", "fix", case_id, "A1", "--hours", "20")
    assert once.exit_code == 0, once.stderr
    action = json.loads(in_store("show", case_id, "--format", "json").stdout)["plan"]["actions"][0]
    assert action["hours"] == 20 and "hours_per_week" not in action
    before, commits = snapshot(store), git(store, "rev-list", "--count", "HEAD")
    for args, expected in (
        (["A9", "--title", "x"], "no action A9"),
        (["A1", "--end", "2026-11-01"], "before --start"),
        (["A1", "--kind", "knitting"], "unknown activity kind"),
        (["A1", "--objective", "O7"], "no objective O7"),
        (["A1", "--hours", "20"], "already says so"),
        (["A1"], "nothing to change"),
    ):
        result = in_store("plan", "action", "fix", case_id, *args)
        assert result.exit_code == 2, (args, result.stdout)
        assert expected in assert_one_line_error(result.stderr), args
    assert snapshot(store) == before
    assert git(store, "rev-list", "--count", "HEAD") == commits
