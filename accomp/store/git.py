"""The audit trail: git, called as a program, only from the store.

Every command that changes case files commits exactly the files it changed,
with a message that carries case ids and never a person's name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from accomp.errors import StoreError

# When git knows no identity at all (a fresh machine, CI), commits are still
# made, by this committer; the author is whoever `--as`/ACCOMP_USER names.
FALLBACK_NAME = "accomp"
FALLBACK_EMAIL = "accomp@localhost"


def git_available() -> bool:
    """Whether a git program is on the PATH."""
    return shutil.which("git") is not None


def run(
    args: Sequence[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})},
        check=False,
    )


def repository_root(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder`, or None."""
    if not git_available():
        return None
    result = run(["rev-parse", "--show-toplevel"], folder)
    if result.returncode != 0:
        return None
    return Path(result.stdout.strip()).resolve()


def is_ignored(repo: Path, folder: Path) -> bool:
    """Whether `folder` is ignored by the repository `repo` (its files could not be committed)."""
    return run(["check-ignore", "-q", str(folder.resolve())], repo).returncode == 0


def init_repository(folder: Path) -> None:
    """`git init` a folder."""
    result = run(["init", "--quiet"], folder)
    if result.returncode != 0:
        raise StoreError(f"git init failed in {folder}: {result.stderr.strip()}")
    os.chmod(folder / ".git", 0o700)  # the history holds every case file's past versions


def identity_env(has_name: bool, has_email: bool, author: str | None) -> dict[str, str]:
    """The environment a commit needs: accomp's fallback identity where git knows none,
    and `author` (from `--as`/ACCOMP_USER) as the author."""
    env: dict[str, str] = {}
    if not has_name:
        env["GIT_COMMITTER_NAME"] = FALLBACK_NAME
        env["GIT_AUTHOR_NAME"] = FALLBACK_NAME
    if not has_email:
        env["GIT_COMMITTER_EMAIL"] = FALLBACK_EMAIL
        env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
    if author:
        env["GIT_AUTHOR_NAME"] = author
        if "GIT_AUTHOR_EMAIL" not in env and not has_email:
            env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
    return env


def _identity_env(cwd: Path, author: str | None) -> dict[str, str]:
    known = run(["config", "--get-regexp", r"^user\.(name|email)$"], cwd).stdout.split("\n")
    keys = {line.partition(" ")[0].lower() for line in known if line.partition(" ")[2].strip()}
    return identity_env("user.name" in keys, "user.email" in keys, author)


def failure(repo: Path, what: str, stderr: str) -> StoreError:
    """A git failure as one line that says what to do (a lock left behind, most often)."""
    if "index.lock" in stderr:
        lock = (git_dir(repo) or repo / ".git") / "index.lock"  # a linked tree's own
        return StoreError(
            f"git is busy or left a lock: {lock}; if no git is running, remove it and try again"
        )
    if "filter 'git-crypt" in stderr:  # an encrypted store, git-crypt gone from this machine
        return StoreError(
            f"{what} failed: the store is encrypted at rest and git-crypt cannot run: "
            "install it (Debian: `apt install git-crypt`)"
        )
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return StoreError(f"{what} failed: {lines[-1] if lines else 'no reason given'}")


@dataclass(frozen=True)
class LogEntry:
    """One commit in the history of a file."""

    commit: str
    date: str
    author: str
    message: str
    patch: str = ""


_SEPARATOR = "\x1e"  # record separator: never in a commit message typed by a person


def file_history(repo: Path, path: Path, patch: bool = False) -> list[LogEntry]:
    """The commits that touched `path`, newest first (renames followed)."""
    fmt = f"{_SEPARATOR}%H%x1f%ad%x1f%an%x1f%s%x1f"
    args = ["log", "--follow", "--date=iso-strict", f"--format={fmt}"]
    if patch:
        args.append("--patch")
    args += ["--", str(path.resolve().relative_to(repo))]
    result = run(args, repo)
    if result.returncode != 0:
        raise StoreError(f"git log failed: {result.stderr.strip()}")
    entries = []
    for record in result.stdout.split(_SEPARATOR)[1:]:
        commit, date, author, message, rest = record.split("\x1f", 4)
        entries.append(LogEntry(commit, date, author, message, rest.strip("\n") if patch else ""))
    return entries


def install_pre_commit_hook(repo: Path, store_relative: str, accomp_command: str) -> Path:
    """Install a pre-commit hook that validates the staged case files of the store."""
    hooks = hooks_dir(repo)
    if hooks is None:
        raise StoreError(f"{repo}: not a git work tree, no hook installed")
    hooks.mkdir(parents=True, exist_ok=True)
    hook = hooks / "pre-commit"
    hook.write_text(PRE_COMMIT_HOOK.format(store=store_relative or ".", accomp=accomp_command))
    hook.chmod(0o700)
    return hook


PRE_COMMIT_HOOK = """#!/bin/sh
# Installed by `accomp init`: refuse a commit whose staged case files do not validate.
# Commits made by accomp itself skip this hook: it validates what it writes.
store="{store}"
case_file='(^|/)[0-9]{{4}}-[0-9A-Z]{{5}}\\.yaml$|(^|/)accomp\\.yaml$'
files=$(git diff --cached --name-only --diff-filter=ACMR -- "$store" | grep -E "$case_file")
[ -z "$files" ] && exit 0
if command -v accomp >/dev/null 2>&1; then set -- accomp; else set -- {accomp}; fi
exec "$@" --store "$store" validate $files
"""


# -- clones, merges and sync (store/sync.py) -----------------------------------------

MERGE_DRIVER = "accomp"
# Written into a store's .gitattributes: git calls accomp's merge driver for these files.
GITATTRIBUTES = """# accomp merges case files and settings as data (`accomp sync`).
# Other files: git's own merge.
[0-9][0-9][0-9][0-9]-*.yaml merge=accomp
accomp.yaml merge=accomp
"""


def git_dir(folder: Path) -> Path | None:
    """The .git folder of the work tree holding `folder`, found without running git."""
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a linked work tree: "gitdir: PATH"
            try:
                line = dot_git.read_text().strip()
            except OSError:
                return None
            if line.startswith("gitdir:"):
                return (candidate / line[len("gitdir:") :].strip()).resolve()
    return None


def common_dir(folder: Path) -> Path | None:
    """The git folder that holds the history of the work tree holding `folder`: its own,
    or for a linked work tree (`git worktree add`, whose git folder names it in
    `commondir`) the main repository's."""
    found = git_dir(folder)
    if found is None:
        return None
    try:
        common = (found / "commondir").read_text().strip()
    except OSError:
        return found
    return (found / common).resolve()


def hooks_dir(folder: Path) -> Path | None:
    """The folder of the hooks git runs for the work tree holding `folder` (unless
    core.hooksPath names another): a linked work tree shares the main repository's."""
    common = common_dir(folder)
    return None if common is None else common / "hooks"


def operation_in_progress(folder: Path) -> str | None:
    """The git operation left unfinished in the work tree of `folder` (merge, rebase…), or None."""
    found = git_dir(folder)
    if found is None:
        return None
    for marker, name in (
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ):
        if (found / marker).exists():
            return name
    return None


def run_git(repo: Path, *args: str, author: str | None = None) -> tuple[int, str, str]:
    """Run git in `repo` (as `author` when it commits): (exit code, stdout, stderr)."""
    result = run(list(args), repo, _identity_env(repo, author))
    return result.returncode, result.stdout, result.stderr


def run_program(
    args: Sequence[str], cwd: Path, data: bytes | None = None
) -> tuple[int, bytes, str]:
    """Run a program of git's family (git, git-crypt, gpg) on bytes: (exit code, stdout,
    stderr as text). FileNotFoundError when the program is not installed."""
    result = subprocess.run(
        list(args), cwd=cwd, input=data, capture_output=True, check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )  # fmt: skip
    return result.returncode, result.stdout, result.stderr.decode("utf-8", "replace")


def run_git_bytes(repo: Path, *args: str) -> tuple[int, bytes, str]:
    """Run git in `repo` for bytes (a blob): (exit code, stdout, stderr)."""
    return run_program(["git", *args], repo)


def config_get(repo: Path, key: str) -> str | None:
    code, out, _ = run_git(repo, "config", "--local", "--get", key)
    return out.strip() if code == 0 else None


def register_merge_driver(repo: Path, command: str) -> bool:
    """Point the repository's `merge.accomp` driver at `command`; True if it changed."""
    driver = f"{command} merge-driver %O %A %B %P"
    if config_get(repo, f"merge.{MERGE_DRIVER}.driver") == driver:
        return False
    for key, value in (("name", "accomp: case files as data"), ("driver", driver)):
        code, _, err = run_git(repo, "config", "--local", f"merge.{MERGE_DRIVER}.{key}", value)
        if code != 0:  # without it, a sync would merge case files line by line
            raise StoreError(f"could not register accomp's merge driver: {err.strip()}")
    return True


def unmerged_paths(repo: Path) -> list[str]:
    """Paths git still lists as unmerged (relative to the top of the work tree)."""
    code, out, _ = run_git(repo, "diff", "--name-only", "--diff-filter=U", "-z")
    return sorted(p for p in out.split("\0") if p) if code == 0 else []


def last_change(repo: Path, revision: str, relative: str) -> tuple[str, str] | None:
    """Author and date (ISO) of the last commit of `revision` that touched `relative`."""
    code, out, _ = run_git(repo, "log", "-1", "--format=%an%x1f%ad", "--date=short", revision,
                           "--", relative)  # fmt: skip
    if code != 0 or "\x1f" not in out:
        return None
    author, date = out.strip().split("\x1f", 1)
    return author, date


def changed_files(repo: Path, where: Sequence[Path]) -> list[Path]:
    """The files under `where` (files or folders) that differ from the last commit: changed,
    staged, deleted or new. One `git status`, renames seen as a removal and an addition."""
    relative = [str(p.resolve().relative_to(repo)) or "." for p in where]
    args = ["status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", "--"]
    result = run([*args, *relative], repo)
    if result.returncode != 0:
        raise StoreError(f"git status failed: {result.stderr.strip()}")
    return [repo / entry[3:] for entry in result.stdout.split("\0") if len(entry) > 3]
