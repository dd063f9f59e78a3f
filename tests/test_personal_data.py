"""Personal data: retention, anonymisation, and no name in any output, log or commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Invoke, git, snapshot
from tests.test_bad_input import assert_one_line_error

NAMES = [
    "Ysolde",
    "Quintaverde-Marchal",
    "ysolde.qm@example.invalid",
    "+33 6 98 76 54 32",
    "290037512345678",
    "1999-03-14",
]


@pytest.fixture
def person(store: Path, in_store: Invoke) -> str:
    result = in_store(
        "enrol", "--given-name", NAMES[0], "--family-name", NAMES[1], "--email", NAMES[2],
        "--phone", NAMES[3], "--external-id", f"nir={NAMES[4]}", "--birth-date", NAMES[5],
        "--sex", "F", "--programme", "cej", "--start", "2024-01-08", "--referent", "jdupont", "--no-input",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    case = result.last_line
    for args in (
        [
            "contact",
            "log",
            case,
            "--date",
            "2024-02-01",
            "--channel",
            "phone",
            "--minutes",
            "30",
            "--note",
            f"Called {NAMES[0]}",
        ],
        [
            "diagnostic",
            case,
            "--date",
            "2024-01-08",
            "--barrier",
            "housing",
            "--strength",
            f"{NAMES[0]} speaks Spanish",
        ],
        [
            "exit",
            case,
            "--date",
            "2024-03-01",
            "--outcome",
            "cdi",
            "--employer",
            "Boulangerie Quintaverde",
        ],
    ):
        assert in_store(*args).exit_code == 0
    path = store / f"{case}.yaml"
    path.write_text(
        path.read_text().replace(
            "schema_version: 2", f"# {NAMES[1]} asked for evening calls\nschema_version: 2", 1
        )
    )
    git(store, "commit", "-qam", "hand note", "--no-verify")
    return case


def test_retention_lists_cases_past_24_months(
    store: Path, in_store: Invoke, person: str, enrol
) -> None:
    recent = enrol()
    rows = json.loads(
        in_store("retention", "--format", "json").stdout
    )  # today 2026-11-20; exit 2024-03-01
    assert [r["case_id"] for r in rows] == [person]
    assert rows[0]["last_contact_or_exit"] == "2024-03-01"
    assert json.loads(in_store("retention", "--months", "36", "--format", "json").stdout) == []
    assert recent not in in_store("retention").stdout


def test_anonymise_removes_identity_and_free_text_and_keeps_statistics(
    store: Path, in_store: Invoke, person: str
) -> None:
    before = json.loads(in_store("summary", "--year", "2024", "--format", "json").stdout)
    result = in_store("anonymise", person)
    assert result.exit_code == 0, result.stderr
    text = (store / f"{person}.yaml").read_text()
    leaked = [n for n in [*NAMES, "Boulangerie", "Spanish", "evening"] if n in text]
    assert leaked == []
    case = json.loads(in_store("show", person, "--format", "json").stdout)
    assert case["identity"]["birth_date"] == "1999-07-01" and case["anonymised"] == {
        "date": "2026-11-20"
    }
    assert case["exit"]["outcome"] == "cdi" and case["contacts"][0]["minutes"] == 30
    assert (
        git(store, "log", "-1", "--format=%s").strip()
        == f"anonymise {person}: identifying data and free text removed"
    )
    after = json.loads(in_store("summary", "--year", "2024", "--format", "json").stdout)
    assert after["exits"] == before["exits"] and after["contacts"] == before["contacts"]
    again = in_store("anonymise", person)
    assert again.exit_code == 2 and "was anonymised on 2026-11-20" in assert_one_line_error(
        again.stderr
    )
    assert in_store("validate", "--all").exit_code == 0


def test_anonymise_refuses_a_case_inside_the_retention_period(
    store: Path, in_store: Invoke, enrol
) -> None:
    case = enrol()
    before = snapshot(store)
    result = in_store("anonymise", case)
    assert result.exit_code == 2
    assert "inside the 24-month retention period" in assert_one_line_error(result.stderr)
    assert snapshot(store) == before
    assert in_store("anonymise", case, "--force").exit_code == 0


def test_no_name_in_commits_file_names_errors_summary_or_pseudonymised_exports(
    store: Path, in_store: Invoke, person: str, tmp_path: Path
) -> None:
    outputs = [
        git(store, "log", "--format=%an %ae %s %b"),
        "\n".join(p.name for p in store.rglob("*")),
        in_store("summary", "--year", "2024").stdout,
        in_store("summary", "--year", "2024", "--format", "json").stdout,
        in_store("summary", "--year", "2024", "--indicators", "fse", "--show-missing").stdout,
        in_store("export", "cases", "--pseudonymise").stdout,
        in_store("export", "contacts", "--pseudonymise").stdout,
        in_store("export", "weeks", "--pseudonymise").stdout,
        in_store("hours", "check", person).stdout,
        in_store("contact", "due").stdout,
        in_store("retention").stdout,
    ]
    # errors about this case: a broken birth date, a broken name, a bad command
    path = store / f"{person}.yaml"
    text = path.read_text()
    path.write_text(
        text.replace(f"birth_date: {NAMES[5]}", "birth_date: 1999-02-30").replace(
            f"given_name: {NAMES[0]}", f"given_name: [{NAMES[0]}]"
        )
    )
    for args in (
        ["validate", "--all"],
        ["show", person],
        ["contact", "log", person, "--date", "2024-02-02", "--channel", "sms", "--minutes", "1"],
        ["summary"],
        ["list"],
    ):
        result = in_store(*args)
        outputs += [result.stdout if args[0] == "validate" else "", result.stderr]
    path.write_text(text)
    bad = in_store("enrol", "--given-name", NAMES[0], "--family-name", NAMES[1], "--birth-date", "1999-02-30",
                   "--sex", "F", "--programme", "cej", "--start", "2026-09-07", "--referent", "x", "--no-input")  # fmt: skip
    outputs.append(bad.stderr)
    everything = "\n".join(outputs)
    assert [n for n in NAMES if n in everything] == []
