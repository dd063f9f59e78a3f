"""Kills aimed at the two moments random kills rarely hit: inside the commit, inside a merge.

A `git` placed first on the PATH kills the whole accomp command (its process group:
accomp, git, the merge driver) just before git commits, after it committed, or while
it commits. After each kill the store must be as before the command or as after it,
committed: never a change in a case file that git has not got, never a corrupt file,
`git fsck` clean. A merge killed before or after the driver wrote its result is
resumed by the next `accomp sync`, and no contact is lost or doubled.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accomp.store import yamlio
from tests.conftest import ENROL_ARGS, git, invoke_cli

REAL_GIT = shutil.which("git")
KILLING_GIT = """#!/bin/sh
# Stands in for git: where a commit lands (`git commit`, or the `git update-ref` that
# moves the branch to a commit made with git's plumbing), kills the accomp command that
# called it (all of its process group) at the moment $KILL_AT says.
group=$(ps -o pgid= $$ | tr -d ' ')
case " $* " in
  *" commit "*|*" update-ref "*)
    case "$KILL_AT" in
      before) kill -9 -"$group" ;;
      after) "{git}" "$@"; kill -9 -"$group" ;;
      during) "{git}" "$@" & sleep "$KILL_DELAY"; kill -9 -"$group" ;;
    esac ;;
esac
exec "{git}" "$@"
"""
MOMENTS = ["before", "after"] + ["during"] * int(os.environ.get("ACCOMP_COMMIT_KILLS", "12"))


def run_killed(store: Path, bin_folder: Path, moment: str, delay: float, *args: str) -> int:
    env = {**os.environ, "PATH": f"{bin_folder}:{os.environ['PATH']}", "KILL_AT": moment,
           "KILL_DELAY": f"{delay:.3f}", "ACCOMP_TODAY": "2026-11-20"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "accomp", "--store", str(store), *args],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return process.wait(timeout=60)


def wait_for_no_git(store: Path) -> None:
    """What the error message tells a user: when no git is running, remove a stale lock."""
    for _ in range(100):
        if subprocess.run(["pgrep", "-f", f"git.*{store}"], capture_output=True).returncode:
            break
        time.sleep(0.05)
    (store / ".git" / "index.lock").unlink(missing_ok=True)


def head_text(store: Path, name: str) -> str | None:
    shown = subprocess.run(["git", "show", f"HEAD:{name}"], cwd=store, capture_output=True,
                           text=True, check=False)  # fmt: skip
    return shown.stdout if shown.returncode == 0 else None


@pytest.fixture
def killing_git(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "git"
    script.write_text(KILLING_GIT.format(git=REAL_GIT))
    script.chmod(0o755)
    return folder


def test_a_command_killed_before_during_or_after_its_commit_leaves_before_or_after(
    store: Path, killing_git: Path, monkeypatch
) -> None:
    monkeypatch.setenv("ACCOMP_TODAY", "2026-11-20")
    case_id = invoke_cli(["--store", str(store), "enrol", *ENROL_ARGS]).last_line
    name = f"{case_id}.yaml"
    rng = random.Random(15)
    outcomes = []
    for number, moment in enumerate(MOMENTS):
        minutes = str(100 + number)
        before = (store / name).read_bytes()
        commits = git(store, "rev-list", "--count", "HEAD").strip()
        code = run_killed(store, killing_git, moment, rng.uniform(0.0, 0.06), "contact", "log",
                          case_id, "--date", "2026-11-18", "--channel", "phone",
                          "--minutes", minutes)  # fmt: skip
        assert code == -signal.SIGKILL
        wait_for_no_git(store)
        shown = invoke_cli(["--store", str(store), "show", case_id, "--format", "json"])
        assert shown.exit_code == 0, shown.stderr  # opening the store recovered it
        assert not list((store / ".accomp" / "intents").glob("*.json"))
        # Before or after, never between: the work tree is what git has.
        assert git(store, "status", "--porcelain").strip() == ""
        assert (store / name).read_text() == head_text(store, name)
        logged = [c["minutes"] for c in yamlio.load_fast((store / name).read_text())["contacts"]]
        landed = git(store, "rev-list", "--count", "HEAD").strip() != commits
        if landed:
            assert logged.count(int(minutes)) == 1
            assert minutes in git(store, "log", "-1", "--format=%s")
        else:
            assert (store / name).read_bytes() == before and int(minutes) not in logged
        outcomes.append((moment, landed))
        if moment == "before":
            assert not landed and "put back" in shown.stderr and case_id in shown.stderr
        if moment == "after":
            assert landed
    fsck = subprocess.run(["git", "fsck", "--no-dangling"], cwd=store, capture_output=True)
    assert fsck.returncode == 0, fsck.stderr
    assert invoke_cli(["--store", str(store), "validate", "--all"]).exit_code == 0
    assert {landed for _, landed in outcomes} == {True, False}


def test_an_enrolment_killed_before_its_commit_leaves_no_case_file(
    store: Path, killing_git: Path
) -> None:
    before = sorted(p.name for p in store.glob("20*.yaml"))
    code = run_killed(store, killing_git, "before", 0.0, "enrol", *ENROL_ARGS)
    assert code == -signal.SIGKILL
    assert len(list(store.glob("20*.yaml"))) == len(before) + 1  # written, not committed
    listed = invoke_cli(["--store", str(store), "list"])
    assert listed.exit_code == 0
    assert sorted(p.name for p in store.glob("20*.yaml")) == before
    assert git(store, "status", "--porcelain").strip() == ""


KILLING_DRIVER = """#!/bin/sh
# Stands in for accomp's merge driver: kills the whole sync before it merges, or after
# the driver wrote its result and before git took it ($KILL_AT).
group=$(ps -o pgid= $$ | tr -d ' ')
[ "$KILL_AT" = before ] && kill -9 -"$group"
{driver} "$@"
kill -9 -"$group"
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_sync_killed_inside_the_merge_driver_is_resumed_and_loses_nothing(
    tmp_path: Path, moment: str, monkeypatch
) -> None:
    monkeypatch.setenv("ACCOMP_TODAY", "2026-11-20")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke_cli(["init", str(first)]).exit_code == 0
    git(first, "branch", "-m", "main")
    git(first, "remote", "add", "origin", str(remote))
    case_id = invoke_cli(["--store", str(first), "enrol", *ENROL_ARGS]).last_line
    assert invoke_cli(["--store", str(first), "sync"]).exit_code == 0
    subprocess.run(["git", "clone", "-q", str(remote), str(second)], check=True)
    assert invoke_cli(["--store", str(second), "list"]).exit_code == 0  # sets the clone up
    for clone, minutes in ((first, "11"), (second, "22")):
        logged = invoke_cli(["--store", str(clone), "contact", "log", case_id, "--date",
                             "2026-11-18", "--channel", "phone", "--minutes", minutes])  # fmt: skip
        assert logged.exit_code == 0, logged.stderr
    assert invoke_cli(["--store", str(first), "sync"]).exit_code == 0
    driver = git(second, "config", "merge.accomp.driver").strip()
    wrapper = tmp_path / "driver.sh"
    wrapper.write_text(KILLING_DRIVER.format(driver=driver))
    wrapper.chmod(0o755)
    git(second, "config", "merge.accomp.driver", f"{wrapper} %O %A %B %P")
    process = subprocess.Popen(
        [sys.executable, "-m", "accomp", "--store", str(second), "sync"],
        env={**os.environ, "KILL_AT": moment}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.wait(timeout=60) == -signal.SIGKILL
    wait_for_no_git(second)
    git(second, "config", "merge.accomp.driver", driver)
    text = (second / f"{case_id}.yaml").read_text()
    assert "<<<<<<<" not in text
    yamlio.load_fast(text)  # whole, whatever the moment
    resumed = invoke_cli(["--store", str(second), "sync"])
    assert resumed.exit_code == 0, resumed.stderr
    assert invoke_cli(["--store", str(first), "sync"]).exit_code == 0
    for clone in (first, second):
        document = yamlio.load_fast((clone / f"{case_id}.yaml").read_text())
        assert sorted(c["minutes"] for c in document["contacts"]) == [11, 22]
        assert git(clone, "status", "--porcelain").strip() == ""
    assert git(first, "rev-parse", "HEAD^{tree}") == git(second, "rev-parse", "HEAD^{tree}")
