"""The progress of a long read of the store (store/progress.py): every case file counted
exactly once, in one process or several, shown on a terminal only, and only when the
read lasts."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pty
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from accomp.store import checking, progress, reading
from accomp.store.store import Store
from tests.conftest import CACHE, GENERATED_CASES
from tests.conftest import TODAY as TODAY_TEXT

TODAY = dt.date.fromisoformat(TODAY_TEXT)
CASES = GENERATED_CASES


class Shown:
    """A shower that records what it was told (the command line's is a progress bar)."""

    def __init__(self) -> None:
        self.totals: list[int] = []
        self.updates: list[int] = []
        self.closed = 0

    @contextlib.contextmanager
    def __call__(self, total: int) -> Iterator[Callable[[int], None]]:
        self.totals.append(total)
        try:
            yield self.updates.append
        finally:
            self.closed += 1


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> Shown:
    """Progress shown at once, redrawn on every count."""
    recorder = Shown()
    monkeypatch.setattr(progress, "_shower", recorder)
    monkeypatch.setattr(progress, "REDRAW_SECONDS", 0.0)
    monkeypatch.setenv("ACCOMP_PROGRESS_AFTER", "0")
    return recorder


def slow_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file takes a little while to check (the workers inherit it: they are forked),
    so that the read is still going when the process that counts first looks."""
    real = checking.check_bytes

    def slow(*args: object) -> checking.CaseRecord:
        time.sleep(0.01)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(checking, "check_bytes", slow)


def case_files(root: Path) -> int:
    return len(reading.case_names(root))


def assert_counted_once(recorder: Shown, files: int) -> None:
    assert recorder.totals == [files]
    assert recorder.closed == 1
    assert recorder.updates, "nothing was drawn"
    assert recorder.updates == sorted(recorder.updates)  # the count only goes up
    assert recorder.updates[-1] == files  # every file, none twice
    assert progress._read is None  # the read's counter is let go


@pytest.mark.parametrize("parallel_from", [10**9, 0], ids=["one process", "check workers"])
def test_a_cold_read_counts_every_case_file_once(
    cohort: Path, shown: Shown, monkeypatch: pytest.MonkeyPatch, parallel_from: int
) -> None:
    """The read in the command's own process: the cache's stages counted there, the files
    to check counted where they are checked (here, or in the workers check_many forks)."""
    slow_checks(monkeypatch)
    monkeypatch.setattr(checking, "PARALLEL_FROM", parallel_from)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    store = Store.open(cohort, TODAY)
    views = list(reading.iter_views(store, "cohort"))
    assert len(views) == case_files(cohort) == CASES
    assert_counted_once(shown, CASES)


def test_a_read_spread_over_workers_counts_every_case_file_once(
    cohort: Path, shown: Shown, monkeypatch: pytest.MonkeyPatch
) -> None:
    """map_views: each worker reads and checks its own shards and counts them; the process
    that forked them draws while it waits."""
    slow_checks(monkeypatch)
    monkeypatch.setattr(reading, "SPREAD_FROM", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    store = Store.open(cohort, TODAY)
    results, invalid = reading.map_views(store, "cohort", lambda views: sum(1 for _ in views))
    assert sum(results) + len(invalid) == CASES
    assert_counted_once(shown, CASES)
    # Then a few files changed (a sync): most answered by the cache, the rest checked.
    for path in sorted(cohort.glob("2*.yaml"))[::7]:
        path.write_text(path.read_text(encoding="utf-8") + "# seen\n", encoding="utf-8")
    again = Shown()
    monkeypatch.setattr(progress, "_shower", again)
    results, invalid = reading.map_views(store, "cohort", lambda views: sum(1 for _ in views))
    assert sum(results) + len(invalid) == CASES
    assert_counted_once(again, CASES)


def test_a_warm_read_shows_nothing(
    cohort: Path, shown: Shown, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the delay, a read answered by the cache shows no progress at all; the
    counting of one read does not leak into the next."""
    store = Store.open(cohort, TODAY)
    list(reading.iter_views(store, "cohort"))  # cold: fills the cache
    shown.totals.clear()
    shown.updates.clear()
    monkeypatch.setenv("ACCOMP_PROGRESS_AFTER", "60")
    list(reading.iter_views(store, "cohort"))
    assert shown.totals == [] and shown.updates == []
    assert progress._read is None


def test_nothing_is_counted_without_a_shower(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "_shower", None)
    with progress.counting(5):
        assert progress._read is None
        progress.advance(3)  # no counter: nothing to do, nothing shared made


def terminal_run(store: Path, *args: str, after: str) -> tuple[str, str]:
    """accomp as a user runs it, its stderr a terminal; (stdout, what the terminal got)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "ACCOMP_PROGRESS_AFTER": after, "COLUMNS": "80"}
    try:
        run = subprocess.run(
            [sys.executable, "-m", "accomp", "--store", str(store), *args],
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
            timeout=120,
        )
    finally:
        os.close(follower)
    terminal = b""
    with contextlib.suppress(OSError):  # EIO once the pty has nothing more to read
        while chunk := os.read(leader, 65536):
            terminal += chunk
    os.close(leader)
    assert run.returncode == 0, terminal
    return run.stdout.decode(), terminal.decode(errors="replace")


def test_a_long_read_shows_a_bar_on_the_terminal_and_nothing_else_changes(
    cohort: Path,
) -> None:
    """End to end: a cold summary on a terminal draws the bar on stderr (here at once);
    its output is the same bytes as a piped run's, which draws nothing."""
    stdout, terminal = terminal_run(cohort, "summary", "--format", "json", after="0")
    assert "reading case files" in terminal
    assert f"{CASES}/{CASES}" in terminal or "100%" in terminal
    shutil.rmtree(cohort / CACHE)
    piped = subprocess.run(
        [sys.executable, "-m", "accomp", "--store", str(cohort), "summary", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "ACCOMP_PROGRESS_AFTER": "0"},
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout == stdout
    # warm and under the default delay: the terminal gets nothing
    stdout_warm, terminal_warm = terminal_run(cohort, "summary", "--format", "json", after="1")
    assert stdout_warm == stdout and terminal_warm == ""
