"""The cohort cache, driven through the CLI: never stale, never trusted when corrupt.

Every test compares what a command answers from the cache with what it answers
once the cache is deleted (a cold run): they must be the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import hypothesis
import pytest
from hypothesis import strategies as st

from accomp.store import cache, checking, reading
from tests.conftest import CACHE, Run, invoke_cli


def answer(store: Path, *args: str) -> str:
    result = invoke_cli(["--store", str(store), *args])
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def cold(store: Path, *args: str) -> str:
    """The answer with no cache at all (then the cache is as that run left it)."""
    shutil.rmtree(store / CACHE, ignore_errors=True)
    return answer(store, *args)


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the files the read path parses (the ones the cache could not answer for)."""
    parsed: list[str] = []
    real = checking.check_bytes

    def spy(path: Path, *args: object) -> checking.CaseRecord:
        parsed.append(path.name)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(checking, "check_bytes", spy)
    return parsed


# From before the oldest generated case (bench.generate: up to four years before 2026-11-20).
SUMMARY = ("summary", "--format", "json", "--from", "2022-01-01")
# Every command that reads a view of every case (domain/views.py), as a user types it.
COHORT_COMMANDS = (
    ("list", "--format", "json"),
    ("list", "--active", "--format", "csv"),
    ("hours", "check", "--format", "json"),
    ("hours", "check", "--week", "2026-W45", "--format", "json"),
    ("hours", "check", "--from", "2025-06-01", "--to", "2025-09-30", "--on", "2025-08-01"),
    ("contact", "due", "--format", "json"),
    ("contact", "due", "--on", "2025-10-01", "--format", "json"),
    ("retention", "--months", "6", "--format", "json"),
    ("export", "cases", "--format", "json"),
    ("export", "weeks", "--format", "csv"),
)


def test_a_warm_summary_and_validate_parse_nothing(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = answer(cohort, *SUMMARY)
    checked = answer(cohort, "validate", "--all")
    parsed = count_checks(monkeypatch)
    assert answer(cohort, *SUMMARY) == first
    assert answer(cohort, "validate", "--all") == checked
    assert parsed == []
    assert json.loads(first)["cases"] > 0
    # Checking a file computes every read view: the summary warmed the other cohort
    # commands too, and their answers are the ones of a cold cache.
    warm = {command: answer(cohort, *command) for command in COHORT_COMMANDS}
    assert parsed == []
    for command, answered in warm.items():
        assert answered == cold(cohort, *command), command
    parsed.clear()
    # Whole documents are cached apart, by the commands that read them (not by the summary).
    contacts = answer(cohort, "export", "contacts", "--format", "json")
    assert len(parsed) == len(list(cohort.glob("2*.yaml")))
    parsed.clear()
    assert answer(cohort, "export", "contacts", "--format", "json") == contacts
    assert parsed == []
    assert contacts == cold(cohort, "export", "contacts", "--format", "json")


def test_an_edit_through_accomp_is_seen(cohort: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = json.loads(answer(cohort, *SUMMARY))
    case_id = sorted(cohort.glob("2*.yaml"))[-1].stem
    logged = invoke_cli(
        [
            *("--store", str(cohort), "contact", "log", case_id),
            *("--date", "2026-11-19", "--channel", "sms", "--minutes", "5"),
        ]
    )
    assert logged.exit_code == 0, logged.stderr
    parsed = count_checks(monkeypatch)
    after = answer(cohort, *SUMMARY)
    assert parsed == [f"{case_id}.yaml"]  # only the changed file is read again
    assert json.loads(after)["contacts"]["total"] == before["contacts"]["total"] + 1
    assert after == cold(cohort, *SUMMARY)


@pytest.fixture(params=["just written", "settled"])
def settled(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test with files just written (always hashed) and with files taken as settled
    (their stat signature is kept and trusted while it does not change)."""
    if request.param == "settled":
        monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    return request.param == "settled"


def test_settled_unchanged_files_are_not_even_read(
    cohort: Path, settled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = answer(cohort, *SUMMARY)
    hashed: list[int] = []
    real = cache.content_hash

    def counted(data: bytes) -> str:
        if b"\ncase_id:" in data:  # a case file (accomp.yaml is hashed to find its settings)
            hashed.append(1)
        return real(data)

    monkeypatch.setattr(cache, "content_hash", counted)
    assert answer(cohort, *SUMMARY) == first
    assert len(hashed) == (0 if settled else len(list(cohort.glob("2*.yaml"))))


def test_a_hand_edit_of_the_same_size_and_mtime_is_seen(cohort: Path, settled: bool) -> None:
    before = answer(cohort, *SUMMARY)
    path = next(
        p for p in sorted(cohort.glob("2*.yaml")) if "channel: phone" in p.read_text("utf-8")
    )
    stat = path.stat()
    text = path.read_text("utf-8").replace("channel: phone", "channel: email", 1)
    path.write_text(text, "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same size, the same mtime
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    after = answer(cohort, *SUMMARY)
    channels_before = json.loads(before)["contacts"]["by_channel"]
    channels_after = json.loads(after)["contacts"]["by_channel"]
    assert channels_after["phone"] == channels_before["phone"] - 1
    assert channels_after["email"] == channels_before.get("email", 0) + 1
    assert after == cold(cohort, *SUMMARY)


def test_a_settings_change_invalidates_every_entry(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = answer(cohort, *SUMMARY)
    settings = cohort / "accomp.yaml"
    text = settings.read_text("utf-8")
    assert "contacts_count_as_activity: true" in text
    settings.write_text(
        text.replace("contacts_count_as_activity: true", "contacts_count_as_activity: false"),
        "utf-8",
    )
    parsed = count_checks(monkeypatch)
    after = answer(cohort, *SUMMARY)
    assert len(parsed) == len(list(cohort.glob("2*.yaml")))
    assert json.loads(after)["hours"] != json.loads(before)["hours"]  # contacts no longer count
    assert after == cold(cohort, *SUMMARY)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"\x00\xff garbage"), id="binary garbage"),
        pytest.param(
            lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), id="truncated"
        ),
        pytest.param(
            lambda p: p.write_text(
                json.dumps({"format": cache.CACHE_FORMAT, "key": {}, "entries": {}})
            ),
            id="foreign key",
        ),
        pytest.param(lambda p: p.write_text("[1, 2, 3]"), id="not an object"),
        pytest.param(
            lambda p: p.write_text(
                json.dumps({**json.loads(p.read_text()), "entries": {"x.yaml": "nonsense"}})
            ),
            id="entry of the wrong shape",
        ),
    ],
)
def test_a_corrupt_cache_is_ignored_and_rebuilt(cohort: Path, damage) -> None:  # type: ignore[no-untyped-def]
    expected = cold(cohort, *SUMMARY)
    shards = sorted((cohort / CACHE).glob("*.json"))
    assert shards
    for shard in shards:
        damage(shard)
    result = invoke_cli(["--store", str(cohort), *SUMMARY])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    assert result.stderr == ""
    assert answer(cohort, "list", "--format", "json") == cold(cohort, "list", "--format", "json")
    for shard in sorted((cohort / CACHE).glob("checks-*.json")):
        assert json.loads(shard.read_text())["format"] == cache.CACHE_FORMAT  # rewritten whole


def test_memoised_settings_of_the_wrong_shape_are_not_trusted(cohort: Path) -> None:
    expected = cold(cohort, *SUMMARY)
    memo = cohort / CACHE / "settings.json"
    damaged = {**json.loads(memo.read_text()), "settings": {"programmes": "nonsense"}}
    memo.write_text(json.dumps(damaged))
    result = invoke_cli(["--store", str(cohort), *SUMMARY])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_a_cached_entry_never_answers_for_a_renamed_file(cohort: Path) -> None:
    answer(cohort, "validate", "--all")
    first, second = sorted(cohort.glob("2*.yaml"))[:2]
    first.write_bytes(second.read_bytes())  # same content under another name: case_id mismatch
    result = invoke_cli(["--store", str(cohort), "validate", "--all"])
    assert result.exit_code == 1
    assert f"{first.name}:" in result.stdout and "does not match the file name" in result.stdout


def test_the_next_day_reuses_the_cache_and_gives_the_cold_answer(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(cohort, *SUMMARY)
    monkeypatch.setenv("ACCOMP_TODAY", "2026-11-21")
    parsed = count_checks(monkeypatch)
    warm = answer(cohort, *SUMMARY)
    reparsed = len(parsed)
    assert reparsed < len(list(cohort.glob("2*.yaml")))
    assert warm == cold(cohort, *SUMMARY)
    # A year later every date of these cases is past: the cache may be used or not,
    # the answer is the cold one.
    monkeypatch.setenv("ACCOMP_TODAY", "2027-11-21")
    assert answer(cohort, *SUMMARY) == cold(cohort, *SUMMARY)


def test_a_day_in_the_past_is_never_answered_from_a_later_day(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = answer(cohort, "validate", "--all", "--format", "json")
    monkeypatch.setenv("ACCOMP_TODAY", "2025-06-01")  # before many entries: future-date warnings
    earlier = answer(cohort, "validate", "--all", "--format", "json")
    assert earlier != later
    assert earlier == cold(cohort, "validate", "--all", "--format", "json")


# Random edits, as counsellors make them: through accomp, and by hand in an editor.
EDIT_KINDS = ("contact", "activity", "absence", "hand")


def _edit(store: Path, kind: str, case: int, day: int) -> None:
    path = sorted(store.glob("2*.yaml"))[case % 12]
    date = (dt.date(2025, 9, 1) + dt.timedelta(days=day)).isoformat()
    if kind == "hand":  # a realised hour more on the first done activity, saved by an editor
        text = path.read_text()
        edited = text.replace("hours: ", "hours: 1", 1)
        path.write_text(edited)
        return
    command = {
        "contact": ["contact", "log", path.stem, "--date", date, "--channel", "phone",
                    "--minutes", "45"],
        "activity": ["activity", "log", path.stem, "--date", date, "--hours", "3",
                     "--kind", "training"],
        "absence": ["absence", "add", path.stem, "--from", date, "--to", date,
                    "--reason", "sick"],
    }[kind]  # fmt: skip
    invoke_cli(["--store", str(store), *command, "--no-commit"])  # refusals are edits too


@hypothesis.settings(
    max_examples=int(os.environ.get("ACCOMP_CACHE_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(
    edits=st.lists(
        st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 11), st.integers(0, 400)),
        min_size=1,
        max_size=4,
    )
)
def test_after_random_edits_every_cohort_command_answers_as_a_cold_run(
    cohort: Path, edits: list[tuple[str, int, int]]
) -> None:
    def outcome(*args: str) -> Run:  # a hand edit may make a file invalid: refusals count too
        return invoke_cli(["--store", str(cohort), *args])

    for command in (SUMMARY, *COHORT_COMMANDS):
        outcome(*command)  # warm
    for kind, case, day in edits:
        _edit(cohort, kind, case, day)
    warm = {command: outcome(*command) for command in (SUMMARY, *COHORT_COMMANDS)}
    for command, answered in warm.items():
        shutil.rmtree(cohort / CACHE, ignore_errors=True)
        assert answered == outcome(*command), command


@pytest.mark.parametrize("workers", [2, 3])
def test_figures_counted_on_several_cores_are_those_of_one(
    cohort: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A department's store is counted by worker processes, each over some shards
    (store/reading.map_views): the same bytes as one process, cold and warm, grouped or
    not, and the same refusal naming the same first invalid file."""
    commands = (
        SUMMARY,
        (*SUMMARY, "--by", "referent"),
        ("summary", "--programme", "plie"),
        # hours check over every week: rows rendered by the workers, spooled to files
        ("hours", "check", "--format", "csv"),
        ("hours", "check", "--format", "json", "--on", "2026-10-01"),
    )
    one = {command: cold(cohort, *command) for command in commands}
    monkeypatch.setattr(reading, "SPREAD_FROM", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: workers)
    for command in commands:
        assert cold(cohort, *command) == one[command], command
        assert answer(cohort, *command) == one[command], command  # warm, from the shards
    spooled = cohort / ".accomp" / "spool"
    assert spooled.is_dir() and not list(spooled.iterdir())  # each command's parts removed
    names = sorted(cohort.glob("2*.yaml"))
    for path in (names[-1], names[3]):  # the first in case-id order must be named
        path.write_text(path.read_text(encoding="utf-8").replace("programme:", "programme: [", 1))
    spread = invoke_cli(["--store", str(cohort), *SUMMARY])
    monkeypatch.setattr(reading, "SPREAD_FROM", 10**9)
    alone = invoke_cli(["--store", str(cohort), *SUMMARY])
    assert spread.exit_code == alone.exit_code != 0
    assert spread.stderr == alone.stderr
    assert names[3].name in spread.stderr
