"""Appointments (rdv) and the agenda export, driven as a counsellor does (today: 2026-11-20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vobject

from tests.conftest import Invoke, snapshot
from tests.test_bad_input import assert_one_line_error


@pytest.fixture
def booked(in_store: Invoke, enrol) -> str:  # type: ignore[no-untyped-def]
    """A case (Zoé Quenouille, from 2026-09-07) with three appointments: 1 on 2026-11-18
    (past), 2 on 2026-11-26 and 3 on 2026-12-03."""
    case_id = enrol()
    for at, minutes, channel, extra in (
        ("2026-11-26 14:30", "30", "phone", []),
        ("2026-11-18 10:00", "45", "in-person", ["--place", "Agence Nord"]),
        ("2026-12-03 09:15", "60", "in-person", ["--with", "Entrepôt Exemple"]),
    ):
        added = in_store("rdv", "add", case_id, "--at", at, "--minutes", minutes,
                         "--channel", channel, *extra)  # fmt: skip
        assert added.exit_code == 0, added.stderr
    return case_id


def _listed(in_store: Invoke, case_id: str) -> list[tuple]:
    rows = json.loads(in_store("rdv", "list", case_id, "--format", "json").stdout)
    return [(r["number"], r["date"], r["time"], r["status"]) for r in rows]


def test_appointments_are_numbered_in_date_order_and_settled_once(
    in_store: Invoke, store: Path, booked: str
) -> None:
    assert _listed(in_store, booked) == [
        (1, "2026-11-18", "10:00", "planned"),
        (2, "2026-11-26", "14:30", "planned"),
        (3, "2026-12-03", "09:15", "planned"),
    ]
    done = in_store("rdv", "done", booked, "1", "--minutes", "50")
    assert done.exit_code == 0, done.stderr
    case = json.loads(in_store("show", booked, "--format", "json").stdout)
    (contact,) = case["contacts"]
    assert (contact["date"], contact["channel"], contact["minutes"]) == (
        "2026-11-18",
        "in-person",
        50,
    )
    first = next(a for a in case["appointments"] if a["date"] == "2026-11-18")
    assert first["status"] == "done" and first["contact"] == contact["id"]
    # Bad inputs: one line, exit 2, nothing written.
    before = snapshot(store)
    for args, expected in (
        (["done", booked, "1"], "already done on 2026-11-20"),
        (["missed", booked, "2"], "not yet missed"),
        (["done", booked, "9"], "no appointment 9"),
        (["add", booked, "--at", "2026-11-31 10:00", "--minutes", "30", "--channel", "phone"], "--at"),
        (["add", booked, "--at", "2026-08-01 10:00", "--minutes", "30", "--channel", "phone"],
         "before the enrolment start"),
        (["add", booked, "--at", "tomorrow", "--minutes", "30", "--channel", "phone"], "--at"),
    ):  # fmt: skip
        result = in_store("rdv", *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert expected in assert_one_line_error(result.stderr), args
    assert snapshot(store) == before
    assert in_store("rdv", "cancel", booked, "3", "--reason", "employer postponed").exit_code == 0
    assert _listed(in_store, booked)[2] == (3, "2026-12-03", "09:15", "cancelled")


def test_missed_appointments_count_in_the_summary(
    in_store: Invoke, booked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCOMP_TODAY", "2026-12-05")
    assert in_store("rdv", "missed", booked, "1").exit_code == 0
    assert in_store("rdv", "missed", booked, "2", "--excused", "--reason", "sick").exit_code == 0
    assert in_store("rdv", "done", booked, "3").exit_code == 0
    summary = json.loads(in_store("summary", "--format", "json").stdout)
    assert summary["appointments"] == {"total": 3, "planned": 0, "done": 1, "missed": 2,
                                       "missed_excused": 1, "cancelled": 0,
                                       "missed_rate": round(2 / 3, 4)}  # fmt: skip
    assert _listed(in_store, booked)[1][3] == "missed-excused"


def test_the_agenda_lists_the_days_appointments_of_every_case(
    in_store: Invoke, booked: str, enrol
) -> None:  # type: ignore[no-untyped-def]
    other = enrol("--referent", "mmartin", "--given-name", "Noé")
    assert in_store("rdv", "add", other, "--at", "2026-11-26 09:00", "--minutes", "20",
                    "--channel", "video").exit_code == 0  # fmt: skip
    rows = json.loads(in_store("rdv", "list", "--from", "2026-11-23", "--format", "json").stdout)
    assert [(r["date"], r["time"], r["case_id"]) for r in rows] == [
        ("2026-11-26", "09:00", other),
        ("2026-11-26", "14:30", booked),
    ]
    mine = json.loads(in_store("rdv", "list", "--from", "2026-11-23", "--referent", "mmartin",
                               "--format", "json").stdout)  # fmt: skip
    assert [r["case_id"] for r in mine] == [other]


def test_the_ics_holds_exactly_the_planned_appointments_read_by_another_library(
    in_store: Invoke, booked: str, tmp_path: Path
) -> None:
    assert in_store("rdv", "cancel", booked, "3").exit_code == 0
    out = tmp_path / "agenda.ics"
    result = in_store("agenda", "export", "--referent", "jdupont", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Quenouille" not in text and "Zoé" not in text  # case ids, never names
    calendar = vobject.readOne(text)  # vobject, not the icalendar library that wrote it
    events = sorted(calendar.vevent_list, key=lambda e: e.dtstart.value)
    # From today (2026-11-20): number 2 only (1 is past, 3 is cancelled).
    assert [(e.dtstart.value.isoformat(), e.dtend.value.isoformat()) for e in events] == [
        ("2026-11-26T14:30:00", "2026-11-26T15:00:00")
    ]
    assert events[0].summary.value == f"rdv {booked} (phone)"
    assert events[0].uid.value.startswith(f"{booked}-")
    again = tmp_path / "again.ics"
    assert in_store("agenda", "export", "--referent", "jdupont", "--out", str(again)).exit_code == 0
    assert again.read_bytes() == out.read_bytes()  # the same agenda, the same bytes
    named = tmp_path / "named.ics"
    assert in_store("agenda", "export", "--out", str(named), "--with-names").exit_code == 0
    assert vobject.readOne(named.read_text()).vevent.summary.value == "rdv Zoé Quenouille (phone)"
    bad = in_store("agenda", "export", "--out", str(tmp_path / "agenda.txt"))
    assert ".ics" in assert_one_line_error(bad.stderr)
