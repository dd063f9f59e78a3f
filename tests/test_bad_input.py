"""Bad input: one clear line on stderr, the documented exit code, no traceback, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ENROL_ARGS, Invoke, git, snapshot

LINE = re.compile(r"^accomp: error: .+$")


def assert_one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert LINE.match(lines[0]), stderr
    assert "Traceback" not in stderr
    return lines[0]


def assert_refused(in_store: Invoke, store: Path, args: list[str], expected: str) -> None:
    """A command refused in one line naming `expected`, exit 2, with nothing written or
    committed in the store."""
    before, commits = snapshot(store), git(store, "rev-list", "--count", "HEAD")
    result = in_store(*args)
    assert result.exit_code == 2, (args, result.stdout)
    assert expected in assert_one_line_error(result.stderr), args
    assert snapshot(store) == before
    assert git(store, "rev-list", "--count", "HEAD") == commits


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# Each: how to break the case file, and what validate must say (file:line:col: field: message).
BROKEN_FILES = [
    ("broken YAML", "sex: F\n", "sex: [F\n", r":\d+:\d+: \(document\): invalid YAML"),
    ("unknown field", "sex: F\n", "sex: F\n  shoe_size: 42\n",
     r":9:3: identity\.shoe_size: unknown field"),
    ("wrong type", "weekly_target_hours: 15", "weekly_target_hours: lots",
     r":\d+:\d+: enrolment\.weekly_target_hours: 'lots' should be of type number"),
    ("impossible date", "start: 2026-09-07", "start: 2026-02-30",
     r":\d+:10: enrolment\.start: '2026-02-30' is not a valid date"),
    ("unknown programme", "programme: cej", "programme: cej-bis",
     r":\d+:\d+: enrolment\.programme: unknown programme 'cej-bis'"),
    ("duplicate key", "sex: F\n", "sex: F\n  sex: M\n",
     r":9:3: \(document\): invalid YAML: duplicate key 'sex'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "old", "new", "expected"), BROKEN_FILES, ids=[b[0] for b in BROKEN_FILES]
)
def test_a_broken_case_file_is_reported_with_file_line_and_field(
    store: Path, enrol, in_store: Invoke, what: str, old: str, new: str, expected: str
) -> None:
    case_id = enrol()
    path = store / f"{case_id}.yaml"
    _break(path, old, new)
    before = snapshot(store)

    validated = in_store("validate", "--all")
    assert validated.exit_code == 1
    assert re.search(rf"{case_id}\.yaml{expected}", validated.stdout), validated.stdout
    assert "Traceback" not in validated.stdout + validated.stderr

    shown = in_store("show", case_id, "--format", "json")
    assert shown.exit_code == 2
    line = assert_one_line_error(shown.stderr)
    assert f"{case_id}.yaml:" in line
    assert snapshot(store) == before


def test_an_unknown_field_in_the_settings_stops_every_command(
    store: Path, enrol, in_store: Invoke
) -> None:
    enrol()
    _break(store / "accomp.yaml", "schema_version: 1\n", "schema_version: 1\nprogrammes_typo: {}\n")
    listed = in_store("list")
    assert listed.exit_code == 2
    line = assert_one_line_error(listed.stderr)
    assert "accomp.yaml:" in line and "programmes_typo: unknown field" in line
    validated = in_store("validate")
    assert validated.exit_code == 1
    assert "programmes_typo: unknown field" in validated.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "../etc/passwd"], "is not a case id"),
        (["show", "/etc/passwd"], "is not a case id"),
        (["show", "2026-K7F3Q\x00"], "is not a case id"),
        (["show", ""], "is not a case id"),
        (["show", "2026-ZZZZZ"], "no case 2026-ZZZZZ"),
        (["history", "../../x"], "is not a case id"),
        (["enrol", *ENROL_ARGS, "--birth-date", "2026-02-30"], "--birth-date: not a valid date"),
        (["enrol", *ENROL_ARGS, "--birth-date", "0000-01-01"], "--birth-date: not a valid date"),
        (
            ["enrol", *ENROL_ARGS, "--start", "0000-01-01"],
            "--start: '0000-01-01' is not a real date",
        ),
        (
            ["enrol", *ENROL_ARGS, "--start", "9999-12-31"],
            "--start: '9999-12-31' is outside 1900-2199",
        ),
        (["enrol", *ENROL_ARGS, "--start", "07/09/2026"], "--start: '07/09/2026' is not a date"),
        (
            ["enrol", *ENROL_ARGS, "--programme", "unknown"],
            "--programme: unknown programme 'unknown'",
        ),
        (["enrol", *ENROL_ARGS, "--given-name", "  "], "--given-name: must not be empty"),
        (
            ["enrol", *ENROL_ARGS, "--external-id", "passport=1"],
            "--external-id: expected KIND=VALUE",
        ),
        (["enrol", *ENROL_ARGS, "--birth-date", "2026-12-01"], "--birth-date: is in the future"),
        (["enrol", *ENROL_ARGS, "--birth-date", "1890-01-01"], "--birth-date: not a valid date"),
        (["enrol", *ENROL_ARGS, "--birth-date", "1920-01-01"], "--birth-date: gives an age of 106"),
        (
            ["enrol", *ENROL_ARGS, "--external-id", "nir=123"],
            "identity.external_ids.nir: the value does not",
        ),
        (
            ["enrol", *ENROL_ARGS, "--planned-end", "2026-01-01"],
            "enrolment.planned_end: 2026-01-01 is before",
        ),
    ],
    ids=lambda v: (
        v
        if isinstance(v, str)
        else " ".join(a for a in v if a.startswith("--") or a in ("show", "history"))[:40]
    ),
)
def test_bad_arguments_give_one_line_and_exit_2(
    store: Path, in_store: Invoke, args: list[str], expected: str
) -> None:
    before = snapshot(store)
    result = in_store(*args)
    assert result.exit_code == 2, result.stdout
    line = assert_one_line_error(result.stderr)
    assert expected in line
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "args",
    [
        ["enrol", *ENROL_ARGS, "--weekly-hours", "-5"],
        ["enrol", *ENROL_ARGS, "--weekly-hours", "abc"],
        ["enrol", *ENROL_ARGS, "--weekly-hours", "nan"],
        ["enrol", *ENROL_ARGS, "--weekly-hours", "1e9"],
        ["enrol", *ENROL_ARGS, "--qualification-level", "9"],
        ["enrol", *ENROL_ARGS, "--sex", "female"],
        ["list", "--format", "xml"],
        ["list", "--active", "--exited"],
    ],
)
def test_bad_option_values_are_usage_errors(store: Path, in_store: Invoke, args: list[str]) -> None:
    before = snapshot(store)
    result = in_store(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()
    assert snapshot(store) == before


def test_error_messages_never_carry_a_persons_name(store: Path, enrol, in_store: Invoke) -> None:
    case_id = enrol("--family-name", "Quenouille-Vermeil")
    path = store / f"{case_id}.yaml"
    _break(path, "family_name: Quenouille-Vermeil", "family_name: [Quenouille-Vermeil]")
    result = in_store("validate", "--all")
    assert result.exit_code == 1
    assert "identity.family_name: the value should be of type string" in result.stdout
    assert "Quenouille" not in result.stdout + result.stderr


def test_a_case_id_that_is_not_its_file_name_is_an_error(
    store: Path, enrol, in_store: Invoke
) -> None:
    case_id = enrol()
    path = store / f"{case_id}.yaml"
    _break(path, f"case_id: {case_id}", "case_id: 2026-ZZZZZ")
    result = in_store("validate", str(path))
    assert result.exit_code == 1
    assert f"{case_id}.yaml:3:10: case_id: does not match the file name" in result.stdout


def test_entries_dated_in_the_future_are_warnings(store: Path, enrol, in_store: Invoke) -> None:
    case_id = enrol()
    path = store / f"{case_id}.yaml"
    _break(path, "contacts: []", "contacts:\n  - {date: 2027-01-05, channel: phone, minutes: 5}")
    result = in_store("validate", "--all")
    assert result.exit_code == 0  # a warning, not an error
    assert (
        f"{case_id}.yaml:40:12: contacts[0].date: warning: 2027-01-05 is in the future"
        in result.stdout
    )
    assert "0 error(s), 1 warning(s)" in result.stderr


def test_an_invalid_case_is_never_skipped_silently(store: Path, enrol, in_store: Invoke) -> None:
    good, bad = enrol(), enrol()
    _break(store / f"{bad}.yaml", "sex: F\n", "sex: [F\n")
    for args in (["list"], ["hours", "check"], ["contact", "due"]):
        result = in_store(*args)
        assert result.exit_code == 0, args
        assert good in result.stdout and bad not in result.stdout
        assert (
            f"skipped {bad}.yaml" in result.stderr
            and "1 invalid case file(s) skipped" in result.stderr
        )
    for args in (["summary"], ["export", "cases"]):
        result = in_store(*args)
        assert result.exit_code == 2, args
        line = assert_one_line_error(result.stderr)
        assert f"{bad}.yaml:" in line and "these figures need every case" in line
