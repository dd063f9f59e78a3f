"""The counsellor's week through the CLI: every command, its commit, its bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DEMO_STORE, ENROL_ARGS, Invoke, git, snapshot
from tests.test_bad_input import assert_one_line_error
from tests.test_store_writes import ENTRY_ID_LINE, HAND_EDITED


@pytest.fixture
def case(enrol) -> str:
    """A CEJ case starting Monday 2026-09-07 with a 15 h weekly target."""
    return enrol()


def commits(store: Path) -> list[str]:
    return git(store, "log", "--format=%s").splitlines()


def show(in_store: Invoke, case_id: str) -> dict:
    return json.loads(in_store("show", case_id, "--format", "json").stdout)


def test_contact_log_and_list(store: Path, in_store: Invoke, case: str) -> None:
    before = len(commits(store))
    result = in_store("contact", "log", case, "--date", "2026-09-08", "--channel", "phone",
                      "--minutes", "20", "--note", "Called about the training", "--as", "mmartin")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert len(commits(store)) == before + 1
    assert commits(store)[0] == f"contact {case}: phone, 20 min on 2026-09-08"
    assert git(store, "log", "-1", "--format=%an").strip() == "mmartin"
    contacts = show(in_store, case)["contacts"]
    assert [c.pop("id")[0].isalpha() for c in contacts] == [True]
    assert contacts == [{"date": "2026-09-08", "channel": "phone", "minutes": 20, "mode": "individual",
                         "by": "jdupont", "note": "Called about the training"}]  # fmt: skip
    listed = json.loads(in_store("contact", "list", case, "--format", "json").stdout)
    assert listed[0]["channel"] == "phone" and listed[0]["note"] == "Called about the training"
    assert "Called about" not in git(store, "log", "--format=%B")  # notes never go into commits


def test_a_command_keeps_the_comments_and_order_of_a_hand_edited_case(
    store: Path, in_store: Invoke, case: str
) -> None:
    path = store / f"{case}.yaml"
    path.write_text(HAND_EDITED.format(case_id=case))
    git(store, "commit", "-qam", "hand edit", "--no-verify")
    result = in_store(
        "contact", "log", case, "--date", "2026-09-15", "--channel", "sms", "--minutes", "5"
    )
    assert result.exit_code == 0, result.stderr
    diff = git(store, "diff", "HEAD~1", "--", path.name).splitlines()
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert ENTRY_ID_LINE.match(changed[0])
    assert changed[1:] == ["+  date: 2026-09-15", "+  channel: sms", "+  minutes: 5",
                           "+  mode: individual", "+  by: jdupont"]  # fmt: skip


def test_contact_due_lists_the_overdue_cases_oldest_first(
    store: Path, in_store: Invoke, enrol
) -> None:
    civis = enrol("--programme", "civis-renforce", "--referent", "mmartin")  # weekly, then monthly
    cej = enrol("--programme", "cej")  # every 14 days
    in_store(
        "contact", "log", civis, "--date", "2026-11-02", "--channel", "phone", "--minutes", "10"
    )
    in_store("contact", "log", cej, "--date", "2026-11-10", "--channel", "phone", "--minutes", "10")
    # CIVIS started 2026-09-07: past 3 months on 2026-12-07, still weekly in November
    rows = json.loads(in_store("contact", "due", "--on", "2026-11-25", "--format", "json").stdout)
    assert [(r["case_id"], r["due"], r["days_overdue"]) for r in rows] == [
        (civis, "2026-11-09", 16),
        (cej, "2026-11-24", 1),
    ]
    mine = json.loads(in_store("contact", "due", "--on", "2026-11-25", "--referent", "mmartin",
                               "--format", "json").stdout)  # fmt: skip
    assert [r["case_id"] for r in mine] == [civis]
    # On 2026-11-08 the CIVIS case is not due yet; the CEJ case has had no contact since its start.
    early = json.loads(in_store("contact", "due", "--on", "2026-11-08", "--format", "json").stdout)
    assert [(r["case_id"], r["last_contact"], r["due"]) for r in early] == [
        (cej, None, "2026-09-21")
    ]
    # Planning the week: --within 7 adds the CIVIS contact due on 2026-11-09 (in 1 day).
    week = json.loads(in_store("contact", "due", "--on", "2026-11-08", "--within", "7",
                               "--format", "json").stdout)  # fmt: skip
    assert [(r["case_id"], r["days_overdue"]) for r in week] == [(cej, 48), (civis, -1)]


def test_the_action_plan(store: Path, in_store: Invoke, case: str) -> None:
    objective = in_store("plan", "objective", "add", case, "--text", "Work in logistics",
                         "--target-date", "2027-02-28", "--agreed-on", "2026-09-07")  # fmt: skip
    assert objective.exit_code == 0 and objective.last_line == "O1"
    action = in_store("plan", "action", "add", case, "--kind", "training", "--title", "CACES",
                      "--start", "2026-09-14", "--end", "2026-12-18", "--hours-per-week", "20",
                      "--objective", "o1", "--partner", "Centre Exemple")  # fmt: skip
    assert action.exit_code == 0 and action.last_line == "A1"
    one_off = in_store("plan", "action", "add", case, "--kind", "employer-interview",
                       "--title", "Interview", "--start", "2026-09-16", "--hours", "2")  # fmt: skip
    assert one_off.last_line == "A2"
    status = in_store(
        "plan", "action", "status", case, "A1", "--set", "in-progress", "--date", "2026-09-14"
    )
    assert status.exit_code == 0, status.stderr
    assert commits(store)[:4] == [
        f"plan {case}: action A1 in-progress",
        f"plan {case}: action A2 added (employer-interview)",
        f"plan {case}: action A1 added (training)",
        f"plan {case}: objective O1 added (professional)",
    ]
    plan = show(in_store, case)["plan"]
    assert plan["objectives"][0]["agreed_on"] == "2026-09-07"
    assert plan["actions"][0]["objective"] == "O1"
    assert plan["actions"][0]["status_history"] == [
        {"status": "planned", "date": "2026-11-20"},
        {"status": "in-progress", "date": "2026-09-14"},
    ]
    week = json.loads(
        in_store("plan", "show", case, "--week", "2026-W38", "--format", "json").stdout
    )
    assert week["target_hours"] == 15.0 and week["planned_hours"] == 22.0
    assert [d["date"] for d in week["days"] if d["action"] == "A2"] == ["2026-09-16"]
    assert sum(1 for d in week["days"] if d["action"] == "A1") == 5
    table = in_store("plan", "show", case).stdout
    assert "Work in logistics" in table and "CACES" in table


def test_activity_absence_target_and_the_hours_check(
    store: Path, in_store: Invoke, case: str
) -> None:
    for day in ("2026-09-14", "2026-09-15", "2026-09-16"):
        assert (
            in_store(
                "activity", "log", case, "--date", day, "--hours", "5", "--kind", "training"
            ).exit_code
            == 0
        )
    assert commits(store)[0] == f"activity {case}: 5 h training on 2026-09-16 (done)"
    absence = in_store(
        "absence", "add", case, "--from", "2026-09-24", "--to", "2026-09-25", "--reason", "sick"
    )
    assert absence.exit_code == 0, absence.stderr
    lowered = in_store(
        "contract", "hours", case, "--from", "2026-10-01", "--hours", "10", "--reason", "health"
    )
    assert lowered.exit_code == 0, lowered.stderr
    assert commits(store)[0] == f"contract {case}: weekly target 10 h from 2026-10-01"

    rows = json.loads(in_store("hours", "check", case, "--from", "2026-09-14", "--to", "2026-10-04",
                               "--format", "json").stdout)  # fmt: skip
    assert rows == [
        {"case_id": case, "week": "2026-W38", "target_hours": 15.0, "planned_hours": 0.0,
         "realised_hours": 15.0, "status": "met"},
        {"case_id": case, "week": "2026-W39", "target_hours": 9.0, "planned_hours": 0.0,
         "realised_hours": 0.0, "status": "short"},
        {"case_id": case, "week": "2026-W40", "target_hours": 13.0, "planned_hours": 0.0,
         "realised_hours": 0.0, "status": "short"},
    ]  # fmt: skip
    table = in_store("hours", "check", case, "--week", "2026-W38").stdout
    assert "15 h and more" in table and "total" in table and "1 met, 0 short, 0 exempt" in table
    failing = in_store(
        "hours", "check", "--from", "2026-09-14", "--to", "2026-10-04", "--fail-on-short"
    )
    assert failing.exit_code == 1
    assert in_store("hours", "check", "--week", "2026-W38", "--fail-on-short").exit_code == 0


def test_a_zero_target_needs_an_allowed_reason_and_the_request_date(
    store: Path, in_store: Invoke, case: str
) -> None:
    before = snapshot(store)
    refused = in_store(
        "contract",
        "hours",
        case,
        "--from",
        "2026-10-05",
        "--hours",
        "0",
        "--reason",
        "isolated-parent",
    )
    assert refused.exit_code == 2
    assert "needs --requested-on" in assert_one_line_error(refused.stderr)
    assert snapshot(store) == before
    ok = in_store("contract", "hours", case, "--from", "2026-10-05", "--hours", "0",
                  "--reason", "isolated-parent", "--requested-on", "2026-10-01")  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    rows = json.loads(
        in_store("hours", "check", case, "--week", "2026-W41", "--format", "json").stdout
    )
    assert rows[0]["status"] == "exempt"


def test_the_allowance_cap(store: Path, in_store: Invoke, enrol) -> None:
    civis = enrol("--programme", "civis-renforce")  # cap 1,800 EUR a year
    assert (
        in_store("allowance", "add", civis, "--date", "2026-10-01", "--amount", "1500").exit_code
        == 0
    )
    before = snapshot(store)
    refused = in_store("allowance", "add", civis, "--date", "2026-11-01", "--amount", "400")
    assert refused.exit_code == 2
    line = assert_one_line_error(refused.stderr)
    assert (
        "1500 EUR already paid in 2026 + 400 EUR = 1900 EUR, over the programme's yearly cap of 1800 EUR"
        in line
    )
    assert snapshot(store) == before
    forced = in_store("allowance", "add", civis, "--date", "2026-11-01", "--amount", "400",
                      "--force", "--reason", "Exceptional help decided by the committee")  # fmt: skip
    assert forced.exit_code == 0, forced.stderr
    assert (
        show(in_store, civis)["allowances"][-1]["forced_reason"]
        == "Exceptional help decided by the committee"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-14",
                "--hours",
                "0",
                "--kind",
                "training",
            ],
            "must be more than 0",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-14",
                "--hours",
                "-1",
                "--kind",
                "training",
            ],
            "must be more than 0",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-14",
                "--hours",
                "30",
                "--kind",
                "training",
            ],
            "more than 12 in one entry",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-14",
                "--hours",
                "nan",
                "--kind",
                "training",
            ],
            "--hours: must be a number",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-01",
                "--hours",
                "2",
                "--kind",
                "training",
            ],
            "before the enrolment start",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-12-01",
                "--hours",
                "2",
                "--kind",
                "training",
            ],
            "is in the future",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-14",
                "--hours",
                "2",
                "--kind",
                "karaoke",
            ],
            "unknown activity kind 'karaoke'",
        ),
        (
            [
                "activity",
                "log",
                "{id}",
                "--date",
                "2026-09-14",
                "--hours",
                "2",
                "--kind",
                "training",
                "--action",
                "A9",
            ],
            "no action A9",
        ),
        (["plan", "action", "status", "{id}", "A9", "--set", "done"], "no action A9"),
        (
            [
                "plan",
                "action",
                "add",
                "{id}",
                "--kind",
                "karaoke",
                "--title",
                "x",
                "--start",
                "2026-09-14",
            ],
            "unknown activity kind",
        ),
        (
            [
                "plan",
                "action",
                "add",
                "{id}",
                "--kind",
                "training",
                "--title",
                "x",
                "--start",
                "2026-09-14",
                "--hours",
                "0",
            ],
            "must be more than 0",
        ),
        (
            [
                "plan",
                "action",
                "add",
                "{id}",
                "--kind",
                "training",
                "--title",
                "x",
                "--start",
                "2026-09-14",
                "--objective",
                "O7",
            ],
            "no objective O7",
        ),
        (["plan", "show", "{id}", "--week", "2025-W53"], "year 2025 has no week 53"),
        (
            [
                "contact",
                "log",
                "{id}",
                "--date",
                "2026-09-01",
                "--channel",
                "phone",
                "--minutes",
                "5",
            ],
            "before the enrolment start",
        ),
        (
            [
                "contact",
                "log",
                "{id}",
                "--date",
                "2026-02-30",
                "--channel",
                "phone",
                "--minutes",
                "5",
            ],
            "is not a real date",
        ),
        (
            [
                "absence",
                "add",
                "{id}",
                "--from",
                "2026-10-05",
                "--to",
                "2026-10-01",
                "--reason",
                "sick",
            ],
            "before --from",
        ),
        (["contract", "hours", "{id}", "--from", "2026-10-05", "--hours", "10"], "needs --reason"),
        (
            ["allowance", "add", "{id}", "--date", "2026-10-05", "--amount", "-3"],
            "must be more than 0",
        ),
        (["hours", "check", "--week", "2026-W38", "--from", "2026-09-01"], "not both"),
        (
            [
                "contact",
                "log",
                "../{id}",
                "--date",
                "2026-09-08",
                "--channel",
                "phone",
                "--minutes",
                "5",
            ],
            "is not a case id",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v[:2]),
)
def test_bad_follow_up_input_is_one_line_exit_2_and_writes_nothing(
    store: Path, in_store: Invoke, case: str, args: list[str], expected: str
) -> None:
    before = snapshot(store)
    log = commits(store)
    result = in_store(*[a.format(id=case) for a in args])
    assert result.exit_code == 2, result.stdout
    assert expected in assert_one_line_error(result.stderr)
    assert snapshot(store) == before
    assert commits(store) == log


@pytest.mark.parametrize(
    "args",
    [
        ["activity", "log", "{id}", "--date", "2026-09-14", "--hours", "abc", "--kind", "training"],
        ["contact", "log", "{id}", "--date", "2026-09-14", "--channel", "pigeon", "--minutes", "5"],
        ["contact", "log", "{id}", "--date", "2026-09-14", "--channel", "phone", "--minutes", "-5"],
        ["plan", "action", "status", "{id}", "A1", "--set", "finished"],
    ],
)
def test_malformed_option_values_are_usage_errors(
    store: Path, in_store: Invoke, case: str, args: list[str]
) -> None:
    before = snapshot(store)
    result = in_store(*[a.format(id=case) for a in args])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert snapshot(store) == before


def test_the_demo_store_has_met_short_and_exempt_weeks_and_a_worklist(cli: Invoke) -> None:
    rows = json.loads(
        cli(
            "--store", str(DEMO_STORE), "hours", "check", "--week", "2026-W46", "--format", "json"
        ).stdout
    )
    assert {row["status"] for row in rows} == {"met", "short", "exempt"}
    due = json.loads(cli("--store", str(DEMO_STORE), "contact", "due", "--format", "json").stdout)
    assert due and all(row["days_overdue"] >= 0 for row in due)


CHANGING_COMMANDS = [
    ["contact", "log", "{id}", "--date", "2026-09-08", "--channel", "email", "--minutes", "5"],
    ["plan", "objective", "add", "{id}", "--text", "Find a job"],
    [
        "plan",
        "action",
        "add",
        "{id}",
        "--kind",
        "workshop",
        "--title",
        "CV",
        "--start",
        "2026-09-14",
        "--hours",
        "3",
    ],
    ["activity", "log", "{id}", "--date", "2026-09-14", "--hours", "3", "--kind", "workshop"],
    ["absence", "add", "{id}", "--from", "2026-12-21", "--to", "2026-12-31", "--reason", "holiday"],
    ["contract", "hours", "{id}", "--from", "2026-10-01", "--hours", "20"],
    [
        "allowance",
        "add",
        "{id}",
        "--date",
        "2026-10-01",
        "--amount",
        "200",
        "--kind",
        "cej-allowance",
    ],
]


@pytest.mark.parametrize("args", CHANGING_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_changing_command_leaves_exactly_one_commit_naming_the_case(
    store: Path, in_store: Invoke, case: str, args: list[str]
) -> None:
    before = commits(store)
    result = in_store(*[a.format(id=case) for a in args])
    assert result.exit_code == 0, result.stderr
    after = commits(store)
    assert after[1:] == before
    assert after[0].startswith(f"{args[0]} {case}: ")
    assert "Quenouille" not in after[0] and "Zoé" not in after[0]
    assert git(store, "show", "--name-only", "--format=", "HEAD").split() == [f"{case}.yaml"]
    assert git(store, "status", "--porcelain") == ""


def test_append_commands_say_what_they_recorded_with_the_entrys_number(
    in_store: Invoke, case: str
) -> None:
    later = in_store(
        "contact", "log", case, "--date", "2026-10-05", "--channel", "phone", "--minutes", "20"
    )
    assert later.exit_code == 0
    assert later.stdout.startswith(f"contact {case}: phone, 20 min on 2026-10-05: entry 1 (")
    earlier = in_store(
        "contact", "log", case, "--date", "2026-09-20", "--channel", "sms", "--minutes", "5"
    )
    assert ": entry 1 (" in earlier.stdout  # backfilled: first in date order
    ident = earlier.stdout.strip().rsplit("(", 1)[1].rstrip(")")
    shown = show(in_store, case)["contacts"]
    assert [c["id"] for c in shown if c["date"] == "2026-09-20"] == [ident]
    absence = in_store(
        "absence", "add", case, "--from", "2026-10-12", "--to", "2026-10-13", "--reason", "sick"
    )
    assert absence.stdout.startswith(f"absence {case}: sick 2026-10-12 to 2026-10-13: entry 1 (")
    diagnostic = in_store("diagnostic", case, "--date", "2026-09-10", "--barrier", "mobility:high")
    assert diagnostic.exit_code == 0 and diagnostic.stdout.startswith(
        f"diagnostic {case}: mobility"
    )


def test_a_hand_edit_is_committed_as_its_own_before_a_commands_change(
    store: Path, in_store: Invoke, case: str
) -> None:
    path = store / f"{case}.yaml"
    text = path.read_text()
    path.write_text(text.replace("weekly_target_hours: 15", "weekly_target_hours: 16  # agreed"))
    result = in_store(
        "contact", "log", case, "--date", "2026-09-15", "--channel", "sms", "--minutes", "5"
    )
    assert result.exit_code == 0, result.stderr
    assert commits(store)[:2] == [
        f"contact {case}: sms, 5 min on 2026-09-15",
        f"edit {case} by hand",
    ]
    hand = git(store, "show", "HEAD~1", "--format=", "--", path.name)
    assert "+  weekly_target_hours: 16  # agreed" in hand and "sms" not in hand
    command = git(store, "show", "HEAD", "--format=", "--", path.name)
    assert "weekly_target_hours" not in command and "channel: sms" in command
    assert git(store, "status", "--porcelain").strip() == ""


def test_dates_in_the_future_say_how_to_fix_the_clock_and_old_ones_warn(
    in_store: Invoke, store: Path
) -> None:
    case = in_store("enrol", *ENROL_ARGS, "--start", "2025-01-06").last_line
    future = in_store(
        "contact", "log", case, "--date", "2026-12-01", "--channel", "phone", "--minutes", "5"
    )
    assert future.exit_code == 2 and "ACCOMP_TODAY" in future.stderr
    old = in_store(
        "contact", "log", case, "--date", "2025-02-03", "--channel", "phone", "--minutes", "5"
    )
    assert old.exit_code == 0 and "warning" in old.stderr and "days ago" in old.stderr
    recent = in_store(
        "contact", "log", case, "--date", "2026-11-02", "--channel", "phone", "--minutes", "5"
    )
    assert recent.exit_code == 0 and "warning" not in recent.stderr


def test_programmes_lists_what_users_may_type(in_store: Invoke) -> None:
    rows = json.loads(in_store("programmes", "--format", "json").stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["rsa-coaching"]["aliases"] == "rsa"
    assert by_id["civis-renforce"]["contact_every_days"] == "7, 31"
    assert "CDD over 6 months" in by_id["civis-renforce"]["outcomes"]
    assert [row["id"] for row in rows] == sorted(by_id)
    help_text = in_store("enrol", "--help").stdout
    assert "accomp programmes" in " ".join(help_text.split())
