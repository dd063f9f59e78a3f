"""`make bench`, the team's part: the merge driver per case file, and `accomp sync` bringing
many changed cases into a large clone (and what the summary costs after it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from accomp.domain.entries import assign_ids
from accomp.store import yamlio

IDENTITY = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost",
}  # fmt: skip


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
        env={**os.environ, **IDENTITY},
    ).stdout  # fmt: skip


def _with_contact(text: str, day: str, minutes: int) -> str:
    """The case file's text with one more contact (as `contact log` writes it)."""
    document = yamlio.load_fast(text)
    entry = {"date": day, "channel": "phone", "minutes": minutes, "mode": "individual",
             "by": document["enrolment"]["referent"]}  # fmt: skip
    listed = [*document["contacts"], entry]
    assign_ids("contacts", listed)
    entry = listed[-1]
    expected = {**document, "contacts": listed}
    changed = yamlio.append_text(text, "contacts", yamlio.with_dates(entry), expected)
    if changed is None:
        raise SystemExit("bench: a generated case did not take a text append")
    return changed


def merge_driver_runs(big: Path, runs: int) -> list[float]:
    """Seconds for git's call of the driver on one case file changed on both sides."""
    work = big.parent / "merge-driver"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(big / "accomp.yaml", work / "accomp.yaml")
    name = sorted(p.name for p in big.glob("2*.yaml"))[len(list(big.glob("2*.yaml"))) // 2]
    ancestor = (big / name).read_text()
    times = []
    for run in range(runs):
        (work / "O").write_text(ancestor)
        (work / "A").write_text(_with_contact(ancestor, "2026-11-18", 10 + run))
        (work / "B").write_text(_with_contact(ancestor, "2026-11-19", 20 + run))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "accomp", "merge-driver", "O", "A", "B", name],
            cwd=work, check=True, env={**os.environ, "ACCOMP_TODAY": "2026-11-20"},
        )  # fmt: skip
        times.append(time.perf_counter() - started)
        merged = yamlio.load_fast((work / "A").read_text())
        base = yamlio.load_fast(ancestor)
        if len(merged["contacts"]) != len(base["contacts"]) + 2:
            raise SystemExit("bench: the merge driver lost a contact")
    return times


def sync_setup(big: Path, changed: int) -> tuple[Path, Callable[[], None]]:
    """A remote and a warm clone of the big store; returns the clone and what makes the team's
    change: `changed` cases changed on the remote, 10 of them also in the clone."""
    root = big.parent / "team"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    remote = root / "remote.git"
    _git(root, "clone", "-q", "--bare", str(big), str(remote))
    clone = root / "clone"
    other = root / "other"
    _git(root, "clone", "-q", str(remote), str(clone))
    _git(root, "clone", "-q", str(remote), str(other))
    counter = iter(range(1_000_000))

    def change() -> None:
        step = next(counter)
        names = sorted(p.name for p in other.glob("2*.yaml"))[:changed]
        _git(other, "pull", "-q", "--no-rebase", "--no-edit")
        for name in names:
            path = other / name
            path.write_text(_with_contact(path.read_text(), "2026-11-18", 30 + step))
        _git(other, "commit", "-qam", f"bench: {len(names)} contacts")
        _git(other, "push", "-q")
        for name in names[:10]:  # the clone changed some of the same cases: a real merge
            path = clone / name
            path.write_text(_with_contact(path.read_text(), "2026-11-19", 40 + step))
        _git(clone, "commit", "-qam", "bench: 10 contacts here")

    return clone, change
