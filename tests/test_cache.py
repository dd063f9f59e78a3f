"""The cohort cache, driven through the CLI: never stale, never trusted when corrupt.

Every test compares what a command answers from the cache with what it answers
once the cache is deleted (a cold run): they must be the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import Counter
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


# A few edits (kind, which case, which day), on a store the examples share.
RANDOM_EDITS = st.lists(
    st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 11), st.integers(0, 400)),
    min_size=1,
    max_size=4,
)
RANDOM_EDITS_SETTINGS = hypothesis.settings(
    max_examples=int(os.environ.get("ACCOMP_CACHE_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)


@RANDOM_EDITS_SETTINGS
@hypothesis.given(edits=RANDOM_EDITS)
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
        # a row a case, rendered by the workers
        ("export", "cases", "--format", "csv"),
        ("list", "--format", "json"),
        ("list", "--active", "--format", "csv"),
        ("export", "cases", "--format", "json", "--pseudonymise"),
    )
    one = {command: cold(cohort, *command) for command in commands}
    monkeypatch.setattr(reading, "SPREAD_FROM", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: workers)
    for command in commands:
        assert cold(cohort, *command) == one[command], command
        assert answer(cohort, *command) == one[command], command  # warm, from the shards
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)  # the shards whole: tallies kept
    for command in commands:
        assert [cold(cohort, *command), *(answer(cohort, *command) for _ in "12")] == [
            one[command]
        ] * 3, command
    answer(cohort, *SUMMARY)
    assert sorted((cohort / CACHE).glob("memo-*.json"))  # kept by the workers
    assert answer(cohort, *SUMMARY) == one[SUMMARY]
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


# -- the summary's tallies, kept per shard (store/cache.py's memo) ----------------------

SUMMARIES = (
    SUMMARY,
    (*SUMMARY, "--by", "referent"),
    ("summary", "--programme", "plie", "--format", "json"),
    ("summary", "--year", "2025", "--format", "json"),
)
# The hours checks whose rendered rows are kept per shard (JSON and CSV).
KEPT_HOURS = (
    ("hours", "check", "--week", "2026-W45", "--format", "json"),
    ("hours", "check", "--week", "2026-W44", "--format", "csv", "--on", "2026-10-29"),
    ("hours", "check", "--from", "2025-06-01", "--to", "2025-09-30", "--format", "csv"),
)

# The other outputs whose rendered lines are kept per shard: the list and the export of
# cases (not pseudonymised).
KEPT_LINES = (
    ("list", "--format", "json"),
    ("list", "--active", "--format", "csv"),
    ("export", "cases", "--format", "csv"),
    ("export", "cases", "--format", "json"),
)


def count_tallied(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the cases the summary counts (the ones no kept tally answered for)."""
    from accomp.domain import summary

    tallied: list[str] = []
    real = summary.Tally.add

    def spy(self: summary.Tally, case: dict, period: summary.Period) -> None:  # type: ignore[type-arg]
        tallied.append(case["case_id"])
        real(self, case, period)

    monkeypatch.setattr(summary.Tally, "add", spy)
    return tallied


def test_a_warm_summary_counts_only_the_cases_of_the_shards_that_moved(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)  # files taken as settled at once
    expected = {command: cold(cohort, *command) for command in SUMMARIES}
    tallied = count_tallied(monkeypatch)
    for command in SUMMARIES:
        answer(cohort, *command)  # the shards are whole: each one's tallies are kept
    assert tallied
    tallied.clear()
    for command in SUMMARIES:
        assert answer(cohort, *command) == expected[command], command
    assert tallied == []  # nothing counted again
    memos = sorted((cohort / CACHE).glob("memo-*.json"))
    assert memos
    # One case changes: only the cases of its shard are counted again.
    names = sorted(cohort.glob("2*.yaml"))
    changed = names[len(names) // 2]
    logged = invoke_cli(
        [
            *("--store", str(cohort), "contact", "log", changed.stem, "--no-commit"),
            *("--date", "2026-11-19", "--channel", "sms", "--minutes", "5"),
        ]
    )
    assert logged.exit_code == 0, logged.stderr
    same_shard = {p.stem for p in names if cache.shard_of(p.name) == cache.shard_of(changed.name)}
    warm = answer(cohort, *SUMMARY)
    assert changed.stem in tallied and set(tallied) <= same_shard
    assert warm == cold(cohort, *SUMMARY) != expected[SUMMARY]


def test_kept_tallies_are_per_period_and_bounded(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    answer(cohort, *SUMMARY)
    periods = [f"2025-{month:02d}-01" for month in range(1, 13)] + ["2026-01-01", "2026-02-01"]
    assert len(periods) > cache.MEMO_RESULTS
    for first in periods:
        command = ("summary", "--format", "json", "--from", first)
        assert answer(cohort, *command) == answer(cohort, *command)
    kept = [p.name[: len("memo-00")] for p in (cohort / CACHE).glob("memo-*.json")]
    assert kept and set(Counter(kept).values()) == {cache.MEMO_RESULTS}  # per shard
    # The oldest went first; the latest are still answered without counting.
    tallied = count_tallied(monkeypatch)
    answer(cohort, "summary", "--format", "json", "--from", periods[-1])
    assert tallied == []
    oldest = ("summary", "--format", "json", "--from", periods[0])
    assert answer(cohort, *oldest) == cold(cohort, *oldest)
    assert tallied  # forgotten: counted again


def test_kept_results_go_least_recently_used_first_and_within_a_shards_budget(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    monkeypatch.setattr(cache, "MEMO_RESULTS", 3)
    answer(cohort, *SUMMARY)
    periods = [("summary", "--format", "json", "--from", f"2025-{m:02d}-01") for m in (1, 2, 3)]
    base = dt.datetime.now().timestamp() - 100
    seen: set[Path] = set()
    for order, command in enumerate(periods):
        answer(cohort, *command)
        new = set((cohort / CACHE).glob("memo-*.json")) - seen
        for path in new:  # computed one second after the other, whatever the disk's clock
            os.utime(path, (base + order, base + order))
        seen |= new
    tallied = count_tallied(monkeypatch)
    answer(cohort, *periods[0])  # used again: now the most recently used of its shard
    assert tallied == []
    answer(cohort, "summary", "--format", "json", "--from", "2025-04-01")  # one more: one goes
    tallied.clear()
    answer(cohort, *periods[0])
    assert tallied == []  # kept: used last
    answer(cohort, *periods[1])  # the least recently used went
    assert tallied
    # Past MEMO_SHARD_BYTES, the shard keeps only what fits, the latest first.
    shutil.rmtree(cohort / CACHE)
    answer(cohort, *SUMMARY)
    answer(cohort, *periods[0])
    budget = max(path.stat().st_size for path in (cohort / CACHE).glob("memo-*.json")) + 1
    monkeypatch.setattr(cache, "MEMO_SHARD_BYTES", budget)
    monkeypatch.setattr(cache, "MEMO_RESULTS", 12)
    for command in periods:
        answer(cohort, *command)
    per_shard: dict[str, list[int]] = {}
    for path in (cohort / CACHE).glob("memo-*.json"):
        per_shard.setdefault(path.name[: len("memo-00")], []).append(path.stat().st_size)
    # (the one just written stays, even alone over the budget)
    assert per_shard and all(
        sum(sizes) <= budget or len(sizes) == 1 for sizes in per_shard.values()
    )
    assert min(map(len, per_shard.values())) == 1  # the widest shard kept only the latest
    tallied.clear()
    answer(cohort, *periods[-1])
    assert tallied == []


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param({"result": {"": {"plie": {"cases": "many"}}}}, id="not a tally"),
        pytest.param({"result": {"": {"plie": {}}}}, id="fields missing"),
        pytest.param({"result": "nonsense"}, id="not tallies"),
        pytest.param({"views": "another fingerprint"}, id="other views"),
        pytest.param({"key": {"code": "another version"}}, id="another cache key"),
        pytest.param({"task": "0" * 40}, id="another task's result"),
    ],
)
def test_kept_tallies_of_the_wrong_shape_are_counted_again(
    cohort: Path,
    monkeypatch: pytest.MonkeyPatch,
    damage,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    expected = cold(cohort, *SUMMARY)
    answer(cohort, *SUMMARY)  # keeps the tallies
    memos = sorted((cohort / CACHE).glob("memo-*.json"))
    assert memos
    for memo in memos:
        memo.write_text(json.dumps({**json.loads(memo.read_text()), **damage}))
    tallied = count_tallied(monkeypatch)
    result = invoke_cli(["--store", str(cohort), *SUMMARY])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected and result.stderr == ""
    assert tallied  # counted again, not trusted


@RANDOM_EDITS_SETTINGS
@hypothesis.given(edits=RANDOM_EDITS)
def test_after_random_edits_what_kept_results_answer_is_the_cold_answer(
    cohort: Path, monkeypatch: pytest.MonkeyPatch, edits: list[tuple[str, int, int]]
) -> None:
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    commands = (*SUMMARIES, *KEPT_HOURS, *KEPT_LINES)
    for command in commands:  # an earlier example's hand edit may have made a file invalid
        invoke_cli(["--store", str(cohort), *command])
        invoke_cli(["--store", str(cohort), *command])  # the shards whole: results kept
    for kind, case, day in edits:
        _edit(cohort, kind, case, day)
    warm = {command: invoke_cli(["--store", str(cohort), *command]) for command in commands}
    for command, answered in warm.items():
        shutil.rmtree(cohort / CACHE, ignore_errors=True)
        assert answered == invoke_cli(["--store", str(cohort), *command]), command


def test_a_warm_hours_check_gives_back_the_rows_kept_for_its_weeks(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accomp.domain import hours

    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    expected = {command: cold(cohort, *command) for command in KEPT_HOURS}
    computed: list[str] = []
    real = hours.figures_of_view

    def spy(view: dict, *args: object) -> list[hours.WeekFigures]:  # type: ignore[type-arg]
        computed.append(view["case_id"])
        return real(view, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(hours, "figures_of_view", spy)
    for command in KEPT_HOURS:
        assert answer(cohort, *command) == expected[command]  # the shards whole: rows kept
    assert computed
    computed.clear()
    for command in KEPT_HOURS:
        assert answer(cohort, *command) == expected[command]
    assert computed == []
    # Another week: not the rows kept, computed.
    other = ("hours", "check", "--week", "2026-W40", "--format", "json")
    assert answer(cohort, *other) == cold(cohort, *other)
    assert computed
    # Rows larger than MEMO_MAX_BYTES are not kept: computed every time.
    shutil.rmtree(cohort / CACHE)
    monkeypatch.setattr(cache, "MEMO_MAX_BYTES", 10)
    for _ in range(3):
        assert answer(cohort, *KEPT_HOURS[0]) == expected[KEPT_HOURS[0]]
    computed.clear()
    assert answer(cohort, *KEPT_HOURS[0]) == expected[KEPT_HOURS[0]]
    assert computed


@pytest.mark.parametrize("command", [*KEPT_LINES, ("list", "--exited", "--format", "json")])
def test_a_warm_list_or_export_gives_back_the_lines_kept(
    cohort: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    from accomp import export, render
    from accomp.cli import cases

    monkeypatch.setattr(cache, "SETTLED_SECONDS", -60)
    expected = cold(cohort, *command)
    assert expected.count("\n") > 3
    rendered: list[int] = []
    real = render.render_rows_part

    def spy(rows: list, *args: object) -> str:  # type: ignore[type-arg]
        rendered.append(len(rows))
        return real(rows, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(cases, "render_rows_part", spy)
    monkeypatch.setattr(export, "render_rows_part", spy)
    assert answer(cohort, *command) == expected  # the shards whole: lines kept
    assert rendered
    rendered.clear()
    assert answer(cohort, *command) == expected
    assert rendered == []
    # Pseudonymised lines are never kept: rendered every time.
    if command[0] == "export":
        pseudonymised = (*command, "--pseudonymise")
        first = answer(cohort, *pseudonymised)
        rendered.clear()
        assert answer(cohort, *pseudonymised) == first
        assert rendered


def test_a_memo_key_is_made_only_of_plain_arguments() -> None:
    from accomp.domain.settings import Settings

    day = dt.date(2026, 11, 20)
    key = cache.memo_key("task", (day, "plie", {"referent": "r1"}, None))
    assert key == cache.memo_key("task", (day, "plie", {"referent": "r1"}, None))
    assert key != cache.memo_key(
        "task", (day + dt.timedelta(days=1), "plie", {"referent": "r1"}, None)
    )
    assert key != cache.memo_key("other", (day, "plie", {"referent": "r1"}, None))
    assert cache.memo_key("task", (Path("x"),)) is None  # a folder: nothing to key on
    one, other = Settings({"a": 1}), Settings({"a": 2})
    assert cache.memo_key("task", (one,)) == cache.memo_key("task", (Settings({"a": 1}),))
    assert cache.memo_key("task", (one,)) != cache.memo_key("task", (other,))
