"""The three-way merge as a pure function over plain data (no git): domain/merge.py."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accomp.domain.checks import case_problems
from accomp.domain.entries import assign_ids, upgrade
from accomp.domain.merge import CHANGED_ON_BOTH, REMOVED_AND_CHANGED, merge_documents
from accomp.domain.settings import Settings
from accomp.store import yamlio
from accomp.store.checking import default_settings
from accomp.store.schema import schema_problems
from tests.conftest import DEMO_STORE

V1_STORE = Path(__file__).parent / "fixtures" / "store-v1"  # files written before entry ids

SETTINGS = Settings.merged({}, default_settings())
TODAY = dt.date(2026, 11, 20)


def base_case() -> dict[str, Any]:
    """The demo's richest case as plain data, upgraded (every entry has its id)."""
    document = yamlio.load_fast((DEMO_STORE / "2026-DEM01.yaml").read_text())
    upgrade(document)
    return document


def problems(document: dict[str, Any]) -> list[tuple[Any, str]]:
    found = schema_problems(document, "casefile") or case_problems(document, SETTINGS, TODAY)
    return [(p.path, p.message) for p in found if p.severity == "error"]


def contact(day: str, minutes: int, channel: str = "phone") -> dict[str, Any]:
    return {
        "date": day,
        "channel": channel,
        "minutes": minutes,
        "mode": "individual",
        "by": "jdupont",
    }


def add(document: dict[str, Any], key: str, entry: dict[str, Any]) -> None:
    document[key].append(entry)
    assign_ids(key, document[key])


def test_entries_added_on_both_sides_are_all_kept_once_in_date_order() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    add(ours, "contacts", contact("2026-11-18", 15))
    add(theirs, "contacts", contact("2026-11-17", 45, "in-person"))
    add(
        theirs,
        "activities",
        {"date": "2026-11-17", "hours": 2, "kind": "workshop", "status": "done"},
    )
    result = merge_documents(ancestor, ours, theirs, problems)
    assert result.conflicts == []
    days = [c["date"] for c in result.merged["contacts"]]
    assert days == sorted(days) and len(days) == len(ancestor["contacts"]) + 2
    assert len(result.merged["activities"]) == len(ancestor["activities"]) + 1
    assert merge_documents(ancestor, theirs, ours, problems).merged == result.merged


def test_a_field_changed_on_one_side_takes_the_change() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    theirs["contacts"][1]["minutes"] = 35
    ours["enrolment"]["planned_end"] = "2027-03-31"
    result = merge_documents(ancestor, ours, theirs, problems)
    assert result.conflicts == []
    assert result.merged["contacts"][1]["minutes"] == 35
    assert result.merged["enrolment"]["planned_end"] == "2027-03-31"


def test_the_same_field_changed_to_two_values_is_a_conflict_keeping_ours() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    ours["contacts"][1]["minutes"] = 30
    theirs["contacts"][1]["minutes"] = 40
    ident = ancestor["contacts"][1]["id"]
    result = merge_documents(ancestor, ours, theirs, problems)
    assert [(c.field, c.ours, c.theirs, c.reason) for c in result.conflicts] == [
        (f"contacts.{ident}.minutes", 30, 40, CHANGED_ON_BOTH)
    ]
    assert result.merged["contacts"][1]["minutes"] == 30
    swapped = merge_documents(ancestor, theirs, ours, problems)
    assert [(c.field, c.ours, c.theirs) for c in swapped.conflicts] == [
        (f"contacts.{ident}.minutes", 40, 30)
    ]


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    for side in (ours, theirs):
        side["situation"]["housing"] = "stable"
    result = merge_documents(ancestor, ours, theirs, problems)
    assert result.conflicts == [] and result.merged["situation"]["housing"] == "stable"


def test_removed_on_one_side_and_untouched_on_the_other_is_removed() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    gone = ours["allowances"].pop(0)
    add(theirs, "contacts", contact("2026-11-19", 10))
    result = merge_documents(ancestor, ours, theirs, problems)
    assert result.conflicts == []
    assert gone["id"] not in {a["id"] for a in result.merged["allowances"]}


def test_removed_on_one_side_and_changed_on_the_other_keeps_the_change_with_a_conflict() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    gone = ours["contacts"].pop(1)
    theirs["contacts"][1]["minutes"] = 50
    result = merge_documents(ancestor, ours, theirs, problems)
    assert [c.reason for c in result.conflicts] == [REMOVED_AND_CHANGED]
    kept = {c["id"]: c for c in result.merged["contacts"]}
    assert kept[gone["id"]]["minutes"] == 50


def test_objectives_and_actions_numbered_alike_are_renumbered_with_their_references() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    ours["plan"]["objectives"].append(
        {"id": "O3", "text": "Get a forklift licence", "kind": "professional", "status": "open"}
    )
    ours["plan"]["actions"].append(
        {"id": "A3", "kind": "training", "title": "CACES 1", "start": "2026-11-16",
         "objective": "O3", "status": "planned"}
    )  # fmt: skip
    add(
        ours,
        "activities",
        {"date": "2026-11-17", "hours": 3, "kind": "training", "action": "A3", "status": "done"},
    )
    theirs["plan"]["objectives"].append(
        {"id": "O3", "text": "Find housing", "kind": "social", "status": "open"}
    )
    theirs["plan"]["actions"].append(
        {"id": "A3", "kind": "housing", "title": "Social housing file", "start": "2026-11-16",
         "objective": "O3", "status": "planned"}
    )  # fmt: skip
    result = merge_documents(ancestor, ours, theirs, problems)
    assert result.conflicts == []
    objectives = {o["id"]: o["text"] for o in result.merged["plan"]["objectives"]}
    assert {"Find housing", "Get a forklift licence"} <= set(objectives.values())
    assert set(objectives) == {"O1", "O2", "O3", "O4"}
    actions = {a["id"]: a for a in result.merged["plan"]["actions"]}
    assert set(actions) == {"A1", "A2", "A3", "A4"}
    # Every action still serves its own objective, every activity its own action.
    by_text = {o["text"]: o["id"] for o in result.merged["plan"]["objectives"]}
    caces = next(a for a in actions.values() if a["title"] == "CACES 1")
    housing = next(a for a in actions.values() if a["title"] == "Social housing file")
    assert caces["objective"] == by_text["Get a forklift licence"]
    assert housing["objective"] == by_text["Find housing"]
    training = [
        a for a in result.merged["activities"] if (a["date"], a["hours"]) == ("2026-11-17", 3)
    ]
    assert [a["action"] for a in training] == [caces["id"]]
    assert {(r.list_name, r.old) for r in result.renumbered} == {
        ("objectives", "O3"),
        ("actions", "A3"),
    }
    assert problems(result.merged) == []
    assert merge_documents(ancestor, theirs, ours, problems).merged == result.merged


def test_an_old_file_upgraded_on_one_side_only_does_not_double_its_entries() -> None:
    old = yamlio.load_fast((V1_STORE / "2026-DEM01.yaml").read_text())
    assert "id" not in old["contacts"][0]
    ours = copy.deepcopy(old)
    upgrade(ours)
    add(ours, "contacts", contact("2026-11-18", 15))
    theirs = copy.deepcopy(old)
    theirs["contacts"].append(contact("2026-11-19", 20))  # written by an older accomp: no id
    result = merge_documents(old, ours, theirs, problems)
    assert result.conflicts == []
    assert len(result.merged["contacts"]) == len(old["contacts"]) + 2
    assert all(c.get("id") for c in result.merged["contacts"])


def test_two_different_exits_are_a_conflict_and_the_file_stays_valid() -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    ours["exit"] = {"date": "2026-11-19", "outcome": "cdi"}
    theirs["exit"] = {"date": "2026-11-18", "outcome": "training"}
    result = merge_documents(ancestor, ours, theirs, problems)
    assert {c.field for c in result.conflicts} == {"exit"}
    assert result.merged["exit"] == ours["exit"]
    assert problems(result.merged) == []


def test_allowances_over_the_cap_after_a_merge_are_a_conflict_never_an_invalid_file() -> None:
    ancestor = base_case()
    ancestor["enrolment"]["programme"] = "civis-renforce"
    ancestor["allowances"] = []
    ancestor["exit"] = None
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    add(ours, "allowances", {"date": "2026-10-05", "amount": 1000})
    add(theirs, "allowances", {"date": "2026-10-06", "amount": 1000})
    cap_problems = problems(ours)
    assert cap_problems == []
    result = merge_documents(ancestor, ours, theirs, problems)
    assert [c.field for c in result.conflicts] == ["allowances"]
    assert problems(result.merged) == []


# -- properties ----------------------------------------------------------------------

CHANNELS = ["phone", "in-person", "email", "video", "sms"]


@st.composite
def edits(draw: st.DrawFn, ancestor: dict[str, Any], tag: str) -> list[tuple[str, Any]]:
    """A random list of edits one clone makes: add, remove, change entries and fields."""
    steps = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(
            st.sampled_from(["add_contact", "add_activity", "remove", "minutes", "housing"])
        )
        if kind == "add_contact":
            day = f"2026-11-{draw(st.integers(1, 19)):02d}"
            minutes = draw(st.integers(1, 120))
            steps.append((kind, (day, minutes, draw(st.sampled_from(CHANNELS)), tag)))
        elif kind == "add_activity":
            steps.append(
                (kind, (f"2026-11-{draw(st.integers(1, 19)):02d}", draw(st.integers(1, 8)), tag))
            )
        elif kind == "remove":
            steps.append((kind, draw(st.integers(0, 3))))
        elif kind == "minutes":
            steps.append((kind, (draw(st.integers(0, 3)), draw(st.integers(1, 300)))))
        else:
            steps.append((kind, draw(st.sampled_from(["stable", "temporary", "homeless"]))))
    return steps


def apply(document: dict[str, Any], steps: list[tuple[str, Any]]) -> list[str]:
    """Apply edits in place; returns the ids of the entries added."""
    added = []
    for kind, value in steps:
        if kind == "add_contact":
            day, minutes, channel, tag = value
            entry = {**contact(day, minutes, channel), "note": f"{tag}-{len(added)}"}
            add(document, "contacts", entry)
            added.append(document["contacts"][-1]["id"])
        elif kind == "add_activity":
            day, hours, tag = value
            entry = {
                "date": day,
                "hours": hours,
                "kind": "workshop",
                "status": "done",
                "note": f"{tag}-{len(added)}",
            }
            add(document, "activities", entry)
            added.append(document["activities"][-1]["id"])
        elif kind == "remove" and document["contacts"]:
            removed = document["contacts"].pop(value % len(document["contacts"]))
            if removed["id"] in added:
                added.remove(removed["id"])
        elif kind == "minutes" and document["contacts"]:
            document["contacts"][value[0] % len(document["contacts"])]["minutes"] = value[1]
        elif kind == "housing":
            document["situation"]["housing"] = value
    return added


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_merging_is_symmetric_keeps_every_addition_and_conflicts_only_on_true_conflicts(
    data: st.DataObject,
) -> None:
    ancestor = base_case()
    ours, theirs = copy.deepcopy(ancestor), copy.deepcopy(ancestor)
    added = apply(ours, data.draw(edits(ancestor, "ours"))) + apply(
        theirs, data.draw(edits(ancestor, "theirs"))
    )
    result = merge_documents(ancestor, ours, theirs, problems)
    swapped = merge_documents(ancestor, theirs, ours, problems)
    # The same conflicts whoever merges, each side seeing its own value as ours.
    assert {(c.path, c.reason) for c in result.conflicts} == {
        (c.path, c.reason) for c in swapped.conflicts
    }
    for conflict in result.conflicts:
        assert conflict.ours != conflict.theirs  # a true conflict: two different values
        assert conflict.reason in (CHANGED_ON_BOTH, REMOVED_AND_CHANGED)
    if not result.conflicts:
        assert result.merged == swapped.merged
    ids = [e["id"] for key in ("contacts", "activities") for e in result.merged[key]]
    assert len(ids) == len(set(ids))
    for ident in added:  # every entry a clone added (and kept) is there exactly once
        assert ids.count(ident) == 1
    assert problems(result.merged) == []
    # Merging a merge with either side again changes nothing more (idempotent).
    again = merge_documents(ours, result.merged, ours, problems)
    assert again.merged == result.merged


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["2026-11-01", "2026-11-02"]), st.integers(1, 3)), max_size=12
    )
)
def test_entry_ids_are_unique_derived_the_same_everywhere_and_kept(
    pairs: list[tuple[str, int]],
) -> None:
    from accomp.domain.entries import ENTRY_ID

    entries = [contact(day, minutes) for day, minutes in pairs]  # many identical entries
    first, second = copy.deepcopy(entries), copy.deepcopy(entries)
    assign_ids("contacts", first)
    assign_ids("contacts", second)
    ids = [e["id"] for e in first]
    assert ids == [e["id"] for e in second]  # derived: two clones agree
    assert len(set(ids)) == len(ids) and all(ENTRY_ID.match(i) for i in ids)
    assert all(next(iter(e)) == "id" for e in first)  # the id comes first in the entry
    first[0:0] = [contact("2026-10-01", 9)] if first else []
    kept = [e["id"] for e in first[1:]]
    assign_ids("contacts", first)
    assert [e["id"] for e in first[1:]] == kept  # ids already given never change
