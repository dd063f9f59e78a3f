"""Handovers and caseloads: `accomp reassign` and `accomp caseload`, as a coordinator uses them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Invoke, git, snapshot
from tests.test_bad_input import assert_one_line_error


def _referents(in_store: Invoke) -> None:
    for ident, extra in (("jdupont", []), ("mmartin", ["--caseload-limit", "2"])):
        added = in_store("referent", "add", ident, "--name", ident.upper(), *extra)
        assert added.exit_code == 0, added.stderr


def test_a_handover_is_dated_in_the_case_and_refused_over_the_limit(
    in_store: Invoke, store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    _referents(in_store)
    cases = [enrol("--given-name", f"P{n}") for n in range(3)]  # all jdupont's
    before = snapshot(store)
    unknown = in_store("reassign", cases[0], "--to", "nobody", "--reason", "leave")
    assert "unknown referent 'nobody'" in assert_one_line_error(unknown.stderr)
    over = in_store("reassign", "--from", "jdupont", "--all", "--to", "mmartin",
                    "--reason", "J. Dupont leaves")  # fmt: skip
    assert over.exit_code == 2
    assert "3 active cases, over the limit of 2" in assert_one_line_error(over.stderr)
    assert snapshot(store) == before  # nothing written
    forced = in_store("reassign", "--from", "jdupont", "--all", "--to", "mmartin",
                      "--reason", "J. Dupont leaves; a temporary overload agreed", "--force")  # fmt: skip
    assert forced.exit_code == 0, forced.stderr
    assert git(store, "log", "-1", "--format=%s").strip() == "reassign: 3 case(s) to mmartin"
    shown = json.loads(in_store("show", cases[0], "--format", "json").stdout)
    assert shown["enrolment"]["referent"] == "mmartin"
    (change,) = shown["referent_changes"]
    assert (change["date"], change["from"], change["to"]) == ("2026-11-20", "jdupont", "mmartin")
    loads = {r["referent"]: r for r in json.loads(in_store("caseload", "--format", "json").stdout)}
    assert loads["mmartin"]["cases"] == 3 and loads["mmartin"]["over_limit"] == "OVER"
    assert loads["jdupont"]["cases"] == 0
    # Back again: the history keeps both changes, in order.
    assert in_store("reassign", cases[0], "--to", "jdupont", "--reason", "back").exit_code == 0
    shown = json.loads(in_store("show", cases[0], "--format", "json").stdout)
    assert [(c["from"], c["to"]) for c in shown["referent_changes"]] == [
        ("jdupont", "mmartin"),
        ("mmartin", "jdupont"),
    ]
