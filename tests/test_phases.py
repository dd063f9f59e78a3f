"""The pathway's phases, consent to follow-up, the target job and the partners' directory
(issue 17), driven as a counsellor does (today: 2026-11-20)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.domain.phases import PHASES, phase_on
from tests.conftest import Invoke, git
from tests.test_bad_input import assert_refused


def _phase(in_store: Invoke, case_id: str, day: str) -> str:
    listed = in_store("phase", "list", case_id, "--on", day)
    assert listed.exit_code == 0, listed.stderr
    return listed.stderr.split(": ")[2].split(";")[0]


def test_a_case_moves_forward_through_its_phases_into_follow_up_with_consent(
    in_store: Invoke, store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()  # from 2026-09-07
    assert _phase(in_store, case_id, "2026-10-01") == "pathway"  # none written: the pathway
    assert_refused(in_store, store, ["phase", "set", case_id, "outreach", "--date", "2026-09-10"],
             "the first phase begins on the enrolment start 2026-09-07")  # fmt: skip
    for phase, day in (("outreach", "2026-09-07"), ("diagnostic", "2026-09-21"),
                       ("pathway", "2026-10-05")):  # fmt: skip
        moved = in_store("phase", "set", case_id, phase, "--date", day)
        assert moved.exit_code == 0, moved.stderr
        assert git(store, "log", "-1", "--format=%s").strip() == (
            f"phase {case_id}: {phase} from {day}"
        )
    assert [_phase(in_store, case_id, d) for d in ("2026-09-07", "2026-09-30", "2026-11-20")] == [
        "outreach", "diagnostic", "pathway"
    ]  # fmt: skip
    assert_refused(in_store, store, ["phase", "set", case_id, "diagnostic", "--date", "2026-11-02"],
             "phases only move forward")  # fmt: skip
    assert_refused(in_store, store, ["phase", "set", case_id, "follow-up", "--date", "2026-11-02"],
             "after the exit")  # fmt: skip
    exited = in_store("exit", case_id, "--date", "2026-11-13", "--outcome", "cdi",
                      "--employer", "Exemple SA")  # fmt: skip
    assert exited.exit_code == 0, exited.stderr
    assert _phase(in_store, case_id, "2026-11-20") == "closed"  # exited, no follow-up yet
    assert_refused(in_store, store, ["phase", "set", case_id, "follow-up", "--date", "2026-11-16"],
             "needs the person's consent")  # fmt: skip
    assert in_store("consent", case_id, "--given-on", "2026-11-13").exit_code == 0
    assert_refused(
        in_store, store, ["consent", case_id, "--given-on", "2026-11-14"], "already given"
    )
    moved = in_store("phase", "set", case_id, "follow-up", "--date", "2026-11-16")
    assert moved.exit_code == 0, moved.stderr
    assert _phase(in_store, case_id, "2026-11-20") == "follow-up"
    summary = json.loads(in_store("summary", "--format", "json").stdout)
    assert summary["phases_at_end"] == {"outreach": 0, "diagnostic": 0, "pathway": 0,
                                        "follow-up": 1, "closed": 0}  # fmt: skip
    assert in_store("consent", case_id, "--withdrawn-on", "2026-11-19").exit_code == 0
    # The file now says follow-up without consent in force on 2026-11-19? No: the rule is
    # checked on the day follow-up began, when consent held; the withdrawal is recorded.
    assert in_store("validate", "--all").exit_code == 0


def test_a_hand_edited_backward_phase_is_an_error_with_its_line(
    in_store: Invoke, store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    assert in_store("phase", "set", case_id, "diagnostic", "--date", "2026-09-07").exit_code == 0
    assert in_store("phase", "set", case_id, "pathway", "--date", "2026-09-21").exit_code == 0
    path = store / f"{case_id}.yaml"
    path.write_text(path.read_text().replace("phase: pathway", "phase: outreach"))
    checked = in_store("validate", str(path))
    assert checked.exit_code == 1
    assert f"{case_id}.yaml:" in checked.stdout
    assert "phases[1].phase: outreach after diagnostic: phases only move forward" in checked.stdout


def test_the_target_job_and_the_partners_directory(in_store: Invoke, store: Path, enrol) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    assert_refused(in_store, store, ["plan", "target-job", case_id, "--rome", "Z1234", "--label", "x"],
             "not a ROME code")  # fmt: skip
    assert_refused(in_store, store, ["plan", "target-job", case_id, "--rome", "M1607"], "--label")
    aimed = in_store("plan", "target-job", case_id, "--rome", "m1607", "--label", "Secrétaire")
    assert aimed.exit_code == 0, aimed.stderr
    shown = json.loads(in_store("show", case_id, "--format", "json").stdout)
    assert shown["plan"]["target_job"] == {"rome": "M1607", "label": "Secrétaire"}
    # Free text while the store lists no partner; ids once it does.
    free = in_store("rdv", "add", case_id, "--at", "2026-11-26 10:00", "--minutes", "30",
                    "--channel", "in-person", "--with", "Entrepôt Exemple")  # fmt: skip
    assert free.exit_code == 0, free.stderr
    settings = store / "accomp.yaml"
    settings.write_text(settings.read_text().replace(
        "partners: []",
        "partners:\n  - {id: afpa-lille, name: AFPA Lille, kind: training-body}\n"
        "  - {id: entrepot, name: Entrepôt Exemple, kind: employer}",
    ))  # fmt: skip
    git(store, "commit", "-qam", "partners")
    listed = json.loads(in_store("partners", "--format", "json").stdout)
    assert [p["id"] for p in listed] == ["afpa-lille", "entrepot"]
    assert_refused(in_store, store, ["rdv", "add", case_id, "--at", "2026-11-27 10:00", "--minutes",
                               "30", "--channel", "phone", "--with", "Pôle X"],
             "not a partner of the store (known: afpa-lille, entrepot")  # fmt: skip
    assert_refused(in_store, store, ["plan", "action", "add", case_id, "--kind", "training", "--title",
                               "Formation", "--start", "2026-11-23", "--partner", "afpa"],
             "not a partner")  # fmt: skip
    added = in_store("plan", "action", "add", case_id, "--kind", "training", "--title",
                     "Formation", "--start", "2026-11-23", "--partner", "AFPA-Lille")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    shown = json.loads(in_store("show", case_id, "--format", "json").stdout)
    assert shown["plan"]["actions"][-1]["partner"] == "afpa-lille"


DAYS = st.integers(0, 400).map(lambda n: f"2026-{1 + n // 31 % 12:02d}-{1 + n % 28:02d}")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(DAYS, st.sampled_from(PHASES)), max_size=5), DAYS, st.one_of(
    st.none(), DAYS), DAYS)  # fmt: skip
def test_a_case_has_one_phase_a_day_from_its_start(
    steps: list[tuple[str, str]], start: str, exit_date: str | None, day: str
) -> None:
    steps = sorted(steps)
    phase = phase_on(steps, start, exit_date, day)
    first = steps[0][0] if steps else start
    if day < first:
        assert phase is None
        return
    assert phase in PHASES
    if exit_date is not None and exit_date <= day:
        assert phase in ("follow-up", "closed")  # nobody is in their pathway after the exit
    written = [p for d, p in steps if d <= day]
    if written and written[-1] in ("follow-up", "closed"):
        assert phase == written[-1]
