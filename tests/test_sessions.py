"""Collective sessions (issue 17), driven as a coordinator does (today: 2026-11-20): places are
enforced, attendance writes each attendee's hours into their case in the same commit, a
changed or cleared attendance voids what it wrote, and the summary counts sessions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Invoke, git
from tests.test_bad_input import assert_refused


@pytest.fixture
def workshop(in_store: Invoke) -> str:
    """A workshop on Wednesday 2026-11-18, 09:30 to 12:00 (2.5 h), 2 places."""
    added = in_store("session", "add", "--title", "Atelier CV", "--date", "2026-11-18",
                     "--from", "9:30", "--to", "12:00", "--places", "2", "--kind", "workshop",
                     "--place", "Salle 2")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert added.stdout.strip() == "2026-11-18-1"
    return "2026-11-18-1"


def _realised(in_store: Invoke, case_id: str) -> float:
    result = in_store("hours", "check", case_id, "--week", "2026-W47", "--format", "json")
    return json.loads(result.stdout)[0]["realised_hours"]


def test_attendance_writes_the_hours_into_each_case_and_voiding_it_removes_them(
    in_store: Invoke, store: Path, enrol, workshop: str
) -> None:  # type: ignore[no-untyped-def]
    first, second, third = enrol(), enrol("--given-name", "Inès"), enrol("--given-name", "Léo")
    gone = enrol("--given-name", "Noé")
    assert in_store("exit", gone, "--date", "2026-11-16", "--outcome", "cdi").exit_code == 0
    assert_refused(in_store, store, ["session", "enrol", "2026-11-18-1", gone],
             "exited on 2026-11-16, before session 2026-11-18-1")  # fmt: skip
    registered = in_store("session", "enrol", workshop, first, second)
    assert registered.exit_code == 0, registered.stderr
    assert_refused(in_store, store, ["session", "enrol", workshop, third], "0 free place(s) of 2")
    assert_refused(in_store, store, ["session", "enrol", workshop, first], "already registered")
    assert_refused(in_store, store, ["session", "attendance", workshop, third, "--set", "present"],
             "is not registered")  # fmt: skip
    assert_refused(in_store, store, ["session", "attendance", "2026-11-19-1", first, "--set",
                               "present"], "no session 2026-11-19-1")  # fmt: skip
    # Two cases, the second not registered: neither the session nor the first case changes.
    assert_refused(in_store, store, ["session", "attendance", workshop, first, third, "--set",
                               "present"], "is not registered")  # fmt: skip
    assert _realised(in_store, first) == 0
    present = in_store("session", "attendance", workshop, first, second, "--set", "present")
    assert present.exit_code == 0, present.stderr
    assert _realised(in_store, first) == _realised(in_store, second) == 2.5
    changed = git(store, "show", "--name-only", "--format=%s", "HEAD").split()
    assert sorted(changed[-3:]) == sorted([f"{first}.yaml", f"{second}.yaml",
                                           f"sessions/{workshop}.yaml"])  # fmt: skip
    (entry,) = json.loads(in_store("activity", "list", first, "--format", "json").stdout)
    assert (entry["date"], entry["hours"], entry["kind"], entry["status"]) == (
        "2026-11-18",
        2.5,
        "workshop",
        "done",
    )
    shown = json.loads(in_store("session", "show", workshop, "--format", "json").stdout)
    assert [(a["case_id"], a["attendance"]) for a in shown["attendees"]] == [
        (first, "present"), (second, "present")
    ]  # fmt: skip
    assert shown["attendees"][0]["activity"] == entry["id"]
    assert_refused(in_store, store, ["session", "attendance", workshop, first, "--set", "present"],
             "already present")  # fmt: skip
    # Absent after all: the entry written is voided, an absence from the session replaces it.
    absent = in_store("session", "attendance", workshop, first, "--set", "absent-justified")
    assert absent.exit_code == 0, absent.stderr
    assert _realised(in_store, first) == 0 and _realised(in_store, second) == 2.5
    entries = json.loads(in_store("activity", "list", first, "--format", "json").stdout)
    assert [(e["status"], bool(e["voided"])) for e in entries] == [
        ("done", True), ("absent-justified", False)
    ]  # fmt: skip
    cleared = in_store("session", "attendance", workshop, second, "--set", "clear")
    assert cleared.exit_code == 0, cleared.stderr
    assert _realised(in_store, second) == 0
    assert in_store("validate", "--all").exit_code == 0


def test_sessions_are_refused_when_they_make_no_sense(
    in_store: Invoke, store: Path, enrol, workshop: str
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    base = ["session", "add", "--title", "Club", "--date", "2026-11-26", "--places", "8"]
    assert_refused(in_store, store, [*base, "--from", "14:00", "--to", "13:00"], "not after")
    assert_refused(in_store, store, [*base, "--from", "14h", "--to", "16:00"], "not a time")
    assert_refused(in_store, store, [*base, "--from", "8:00", "--to", "21:00"], "more than 12 h")
    assert_refused(in_store, store, [*base, "--from", "14:00", "--to", "16:00", "--kind", "x"],
             "unknown activity kind")  # fmt: skip
    later = in_store(*base, "--from", "14:00", "--to", "16:00")
    assert later.exit_code == 0 and later.stdout.strip() == "2026-11-26-1"
    assert in_store("session", "enrol", "2026-11-26-1", case_id).exit_code == 0
    assert_refused(in_store, store, ["session", "attendance", "2026-11-26-1", case_id, "--set",
                               "present"], "not held yet")  # fmt: skip
    # A session file edited by hand over its places: validate names the file, line and field.
    path = store / "sessions" / f"{workshop}.yaml"
    assert in_store("session", "enrol", workshop, case_id).exit_code == 0
    path.write_text(
        path.read_text()
        .replace("places: 2", "places: 1")
        .replace(
            "  - case_id:", "  - case_id: 2026-AAAAA\n    registered_on: 2026-11-20\n  - case_id:"
        )
    )
    checked = in_store("validate", "--all")
    assert checked.exit_code == 1
    assert f"sessions/{workshop}.yaml:" in checked.stdout and "2 registered for 1 places" in (
        checked.stdout
    )


def test_the_summary_counts_sessions_places_and_attendance(
    in_store: Invoke, enrol, workshop: str
) -> None:  # type: ignore[no-untyped-def]
    first, second = enrol(), enrol("--given-name", "Inès")
    assert in_store("session", "enrol", workshop, first, second).exit_code == 0
    assert in_store("session", "attendance", workshop, first, "--set", "present").exit_code == 0
    assert in_store("session", "attendance", workshop, second, "--set",
                    "absent-unjustified").exit_code == 0  # fmt: skip
    summary = json.loads(in_store("summary", "--format", "json").stdout)
    assert summary["sessions"] == {
        "held": 1, "cancelled": 0, "places": 2, "registered": 2, "fill_rate": 1.0,
        "attendance_recorded": 2, "present": 1, "attendance_rate": 0.5, "hours_present": 2.5,
    }  # fmt: skip
    december = ["--from", "2026-12-01", "--to", "2026-12-31", "--format", "json"]
    outside = json.loads(in_store("summary", *december).stdout)
    assert outside["sessions"]["held"] == 0 and outside["sessions"]["attendance_rate"] is None
    listed = json.loads(in_store("session", "list", "--format", "json").stdout)
    assert [(r["session_id"], r["registered"], r["present"]) for r in listed] == [(workshop, 2, 1)]


def test_a_session_is_cancelled_once_and_only_without_attendance(
    in_store: Invoke, store: Path, enrol, workshop: str
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    assert in_store("session", "enrol", workshop, case_id).exit_code == 0
    assert in_store("session", "attendance", workshop, case_id, "--set", "present").exit_code == 0
    assert_refused(in_store, store, ["session", "cancel", workshop], "clear it first")
    assert in_store("session", "attendance", workshop, case_id, "--set", "clear").exit_code == 0
    cancelled = in_store("session", "cancel", workshop)
    assert cancelled.exit_code == 0, cancelled.stderr
    assert_refused(
        in_store, store, ["session", "cancel", workshop], "already cancelled on 2026-11-20"
    )
    assert_refused(in_store, store, ["session", "enrol", workshop, enrol("--given-name", "Léo")],
             "was cancelled on 2026-11-20")  # fmt: skip
    summary = json.loads(in_store("summary", "--format", "json").stdout)
    assert (summary["sessions"]["held"], summary["sessions"]["cancelled"]) == (0, 1)
    assert _realised(in_store, case_id) == 0
