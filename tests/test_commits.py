"""How accomp commits (store/commits.py): the plumbing commit is the commit `git commit`
would make, byte for byte; the cases the plumbing would get wrong go through `git commit`;
the hand-edit check says what `git status` says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accomp.store import commits, git

FIXED_DATES = {
    "GIT_AUTHOR_DATE": "2026-11-20T10:00:00+01:00",
    "GIT_COMMITTER_DATE": "2026-11-20T10:00:00+01:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
NAMES = ["2026-AAAA1.yaml", "2026-BBBB2.yaml", "2026-CCCC3.yaml", "accomp.yaml"]


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **FIXED_DATES},
    ).stdout  # fmt: skip


def new_repo(folder: Path) -> Path:
    folder.mkdir()
    sh(folder, "init", "--quiet")
    sh(folder, "config", "user.name", "Counsellor One")
    sh(folder, "config", "user.email", "one@example.org")
    for number, name in enumerate(NAMES):
        (folder / name).write_text(f"id: {number}\ncontacts: []\n")
    sh(folder, "add", ".")
    sh(folder, "commit", "--quiet", "-m", "init store")
    return folder.resolve()


@pytest.fixture(autouse=True)
def fixed_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FIXED_DATES.items():
        monkeypatch.setenv(key, value)


def test_the_plumbing_commit_is_the_commit_git_commit_makes(tmp_path: Path) -> None:
    ours, theirs = new_repo(tmp_path / "ours"), new_repo(tmp_path / "theirs")
    assert sh(ours, "rev-parse", "HEAD") == sh(theirs, "rev-parse", "HEAD")
    message = "contact 2026-AAAA1: phone, 5 min on 2026-11-19"
    for repo in (ours, theirs):
        (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
        (repo / "2026-DDDD4.yaml").write_text("id: 4\n")  # a new case file
        (repo / NAMES[2]).unlink()  # and one gone
    paths = [ours / NAMES[0], ours / "2026-DDDD4.yaml", ours / NAMES[2]]
    assert commits.commit_paths(ours, paths, message, "Counsellor Two") is True
    sh(theirs, "add", "--", NAMES[0], "2026-DDDD4.yaml", NAMES[2])
    env = {**os.environ, **FIXED_DATES, "GIT_AUTHOR_NAME": "Counsellor Two"}
    subprocess.run(["git", "commit", "--quiet", "--no-verify", "-m", message], cwd=theirs,
                   check=True, env=env)  # fmt: skip
    assert sh(ours, "cat-file", "commit", "HEAD") == sh(theirs, "cat-file", "commit", "HEAD")
    assert sh(ours, "rev-parse", "HEAD") == sh(theirs, "rev-parse", "HEAD")
    assert sh(ours, "reflog", "-1", "--format=%gs") == sh(theirs, "reflog", "-1", "--format=%gs")
    assert sh(ours, "status", "--porcelain") == ""
    assert sh(ours, "fsck", "--no-dangling") == ""


def test_nothing_changed_is_no_commit(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    head = sh(repo, "rev-parse", "HEAD")
    assert commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None) is False
    assert sh(repo, "rev-parse", "HEAD") == head


def test_what_the_user_staged_stays_staged_and_out_of_the_commit(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / NAMES[1]).write_text("id: 1\nnote: staged by hand\n")
    sh(repo, "add", NAMES[1])
    (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
    assert commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None) is True
    assert sh(repo, "show", "--name-only", "--format=", "HEAD").split() == [NAMES[0]]
    assert sh(repo, "diff", "--cached", "--name-only").split() == [NAMES[1]]


def test_an_edit_reads_the_whole_index_as_a_tree_once_before_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hand-edit check's answer (the index is HEAD's tree) serves the commit too: one
    write-tree before the commit's own, not two; and none is trusted once the index
    file was written again, even to the same size and times."""
    repo = new_repo(tmp_path / "repo")
    real_run = git.run
    trees: list[str] = []

    def counting(args, cwd, env=None):  # type: ignore[no-untyped-def]
        if args[0] == "write-tree":
            trees.append("write-tree")
        return real_run(args, cwd, env)

    monkeypatch.setattr(git, "run", counting)
    assert commits.changed_paths(repo, [repo / NAMES[0]]) == []
    (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
    assert commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None) is True
    assert len(trees) == 2  # the check's, and the commit's tree
    # Another index with the same size, times and inode (a coarse clock, an inode that
    # came back): only its checksum, its last bytes, tells it apart.
    index = repo / ".git" / "index"
    assert commits.changed_paths(repo, [repo / NAMES[1]]) == []
    first, real_fstat = index.stat(), os.fstat
    data = bytearray(index.read_bytes())
    data[-1] ^= 0xFF
    index.write_bytes(bytes(data))
    monkeypatch.setattr(  # the index seen with the first one's stat signature
        commits.os, "fstat",
        lambda fd: first if os.readlink(f"/proc/self/fd/{fd}") == str(index) else real_fstat(fd),
    )  # fmt: skip
    trees.clear()
    commits.changed_paths(repo, [repo / NAMES[1]])
    assert trees == ["write-tree"]  # asked of git again


@pytest.mark.parametrize("stage", ["git add", "git rm --cached", "git reset --soft"])
def test_staging_between_the_hand_edit_check_and_the_commit_is_seen(
    tmp_path: Path, stage: str
) -> None:
    """An edit asks twice whether the index is HEAD's tree; the second answer is taken
    from the first only while the index file is untouched: whatever the user staged in
    between (or however HEAD moved) stays out of accomp's commit."""
    repo = new_repo(tmp_path / "repo")
    sh(repo, "commit", "--quiet", "--allow-empty", "-m", "a second commit")
    assert commits.changed_paths(repo, [repo / NAMES[0]]) == []  # index is HEAD: remembered
    if stage == "git add":
        (repo / NAMES[1]).write_text("id: 1\nnote: staged by hand\n")
        sh(repo, "add", NAMES[1])
    elif stage == "git rm --cached":
        sh(repo, "rm", "--cached", "--quiet", NAMES[1])
    else:  # HEAD moves back, the index stays: the index is no longer HEAD's tree
        (repo / NAMES[1]).write_text("id: 1\nnote: committed, then soft-reset\n")
        sh(repo, "commit", "--quiet", "-am", "a third commit")
        assert commits.changed_paths(repo, [repo / NAMES[0]]) == []
        sh(repo, "reset", "--soft", "HEAD~")
    staged_before = sh(repo, "diff", "--cached", "--name-status")
    assert staged_before  # something of the user's is staged
    (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
    assert commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None) is True
    assert sh(repo, "show", "--name-only", "--format=", "HEAD").split() == [NAMES[0]]
    assert sh(repo, "diff", "--cached", "--name-status") == staged_before


@pytest.mark.parametrize("hook", ["post-commit", "prepare-commit-msg"])
def test_a_hook_git_commit_would_run_still_runs(tmp_path: Path, hook: str) -> None:
    repo = new_repo(tmp_path / "repo")
    ran = tmp_path / "ran"
    script = repo / ".git" / "hooks" / hook
    script.write_text(f"#!/bin/sh\necho \"$0\" >> '{ran}'\n")
    script.chmod(0o755)
    (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
    assert commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None) is True
    assert hook in ran.read_text()


def test_a_signed_store_gets_git_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path / "repo")
    sh(repo, "config", "commit.gpgsign", "true")
    sh(repo, "config", "gpg.program", "false")  # signing fails: proof git commit tried it
    (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
    with pytest.raises(Exception, match="git commit failed"):
        commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None)


def test_a_branch_moved_meanwhile_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """update-ref is given the commit the new one was made on: if another git moved the
    branch in between, the commit fails instead of dropping theirs."""
    repo = new_repo(tmp_path / "repo")
    real_run = git.run

    def racing(args, cwd, env=None):  # type: ignore[no-untyped-def]
        if args[0] == "update-ref":
            (repo / NAMES[3]).write_text("settings: changed meanwhile\n")
            sh(repo, "commit", "--quiet", "-am", "someone else")
        return real_run(args, cwd, env)

    monkeypatch.setattr(git, "run", racing)
    (repo / NAMES[0]).write_text("id: 0\ncontacts: [{minutes: 5}]\n")
    with pytest.raises(Exception, match="update-ref failed"):
        commits.commit_paths(repo, [repo / NAMES[0]], "contact 2026-AAAA1", None)
    assert sh(repo, "log", "-1", "--format=%s").strip() == "someone else"


# The states a case file can be in before a command opens it, and what makes them.
STATES = ["clean", "edited", "deleted", "staged", "staged then edited", "new", "new staged"]


def put_in_state(repo: Path, name: str, state: str) -> None:
    path = repo / name
    if state in ("new", "new staged"):
        path = repo / name.replace("2026-", "2027-")
    if state in ("edited", "staged", "staged then edited", "new", "new staged"):
        path.write_text(f"changed: {state}\n")
    if state == "deleted":
        path.unlink()
    if state in ("staged", "staged then edited", "new staged"):
        sh(repo, "add", "--", path.name)
    if state == "staged then edited":
        path.write_text("changed again\n")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(STATES), min_size=3, max_size=3))
@example(["new", "clean", "edited"])  # the index is HEAD: the fast path
@example(["deleted", "new staged", "staged then edited"])  # something staged: git status
def test_the_hand_edit_check_says_what_git_status_says(tmp_path: Path, states: list[str]) -> None:
    folder = tmp_path / "store"
    shutil.rmtree(folder, ignore_errors=True)
    repo = new_repo(folder)
    for name, state in zip(NAMES, states, strict=False):
        put_in_state(repo, name, state)
    asked = [repo / name for name in NAMES] + [repo / n.replace("2026-", "2027-") for n in NAMES]
    status = {str(p) for p in git.changed_files(repo, asked)}
    expected = [path for path in asked if str(path) in status]
    assert commits.changed_paths(repo, asked) == expected
