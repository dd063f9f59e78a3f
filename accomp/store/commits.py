"""How accomp commits the files it changed, and asks which files changed by hand.

Every edit commits exactly the files it wrote. `git add` + `git commit` do that, but
each of them reads and rewrites the whole index and `git commit` lstat's every file
of the work tree: in a department's store (50,000 case files in one folder) that is
a quarter of a second for a one-line change. So when nothing stands in the way, the
commit is made with git's plumbing, which touches only the paths given:

    update-index -- PATHS          stage them (clean filters run: git-crypt too)
    write-tree                     the index as a tree
    commit-tree TREE -p HEAD       the commit object
    update-ref HEAD NEW OLD        the branch moves only if nobody moved it meanwhile

That is the commit `git commit --no-verify -m` would make: same tree, parent,
identity and message bytes, the same reflog line, git's automatic maintenance run
after. `git commit` is still used whenever the plumbing would not be the same
commit: the user has staged changes of their own (`--only` keeps them staged), the
branch has no commit yet, commits are signed, a `prepare-commit-msg` or
`post-commit` hook would run, or the message is not one plain line.

Killed at any point, the store is as before or as after: the ref moves last, in one
atomic step, and store/intents.py puts back the files of a commit that did not land.

Whether the index is HEAD's tree (nothing of the user's staged) is asked twice by an
edit: before it, for hand edits (changed_paths), and again at its commit. `git
write-tree` answers it by reading the whole index (5 ms at 50,000 case files), so the
second time the answer is taken from the first while the index file is the one it was
read from (the same stat signature and the same checksum, which git writes at its end)
and HEAD the same commit.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from accomp.errors import StoreError
from accomp.store import git

# The configuration a commit depends on, read with one `git config`.
_SETTINGS = r"^(user\.(name|email)|commit\.gpgsign|core\.hookspath)$"
# Hooks `git commit --no-verify -m` still runs; the plumbing would skip them.
_HOOKS_ONLY_COMMIT_RUNS = ("prepare-commit-msg", "post-commit")


@dataclass(frozen=True)
class _Head:
    commit: str
    tree: str


# Index files this process found written as HEAD's tree: index path -> (HEAD's commit,
# the index file's signature then). See the module's docstring.
_INDEX_AS_HEAD: dict[Path, tuple[str, tuple[object, ...]]] = {}


def commit_paths(repo: Path, paths: Sequence[Path], message: str, author: str | None) -> bool:
    """Commit exactly `paths` (and nothing else staged) with `message`.

    Returns False when there was nothing to commit. Raises StoreError when git fails.
    """
    relative = [_relative(repo, path) for path in paths]
    settings = _settings(repo)
    env = _identity(settings, author)
    head = _head(repo)
    if head is None or not _plumbing_commits_as_git_would(repo, settings, message):
        return _commit_with_porcelain(repo, relative, message, env)
    if not _index_is_head(repo, head):  # changes of the user's own are staged
        return _commit_with_porcelain(repo, relative, message, env)
    staged = git.run(["update-index", "--add", "--remove", "--", *relative], repo, env)
    if staged.returncode != 0:
        raise git.failure(repo, "git update-index", staged.stderr)
    tree = _index_tree(repo)
    if tree is None:
        raise StoreError("git write-tree failed: the index cannot be written as a tree")
    if tree == head.tree:
        return False
    made = git.run(["commit-tree", tree, "-p", head.commit, "-m", message], repo, env)
    if made.returncode != 0:
        raise git.failure(repo, "git commit-tree", made.stderr)
    commit = made.stdout.strip()
    moved = git.run(
        ["update-ref", "-m", f"commit: {message}", "HEAD", commit, head.commit], repo, env
    )
    if moved.returncode != 0:
        raise git.failure(repo, "git update-ref", moved.stderr)
    # What `git commit` runs after each commit (gc --auto: loose objects get packed).
    git.run(["maintenance", "run", "--auto", "--quiet"], repo, env)
    return True


def changed_paths(repo: Path, paths: Sequence[Path]) -> list[Path]:
    """Which of `paths` differ from the last commit (changed, staged, deleted or new), in
    their order."""
    if not paths:
        return []
    head = _head(repo)
    if head is None or not _index_is_head(repo, head):
        # Something is staged (or nothing is committed yet): git status compares all three.
        dirty = {str(p) for p in git.changed_files(repo, paths)}
        return [path for path in paths if str(repo / _relative(repo, path)) in dirty]
    # The index is HEAD, so a path differs from HEAD when its bytes (through the clean
    # filters) hash to another blob than its index entry, or when it is in only one of
    # the two. `ls-files --modified` or `--others` would say the same but read the
    # whole folder: 60 ms in a store of 50,000 case files, against 10 for these two.
    relative = [_relative(repo, path) for path in paths]
    listed = git.run(["ls-files", "-z", "--stage", "--", *relative], repo)
    if listed.returncode != 0:
        raise StoreError(f"git ls-files failed: {listed.stderr.strip()}")
    indexed = {}
    for entry in listed.stdout.split("\0"):
        if entry:
            stage, _, name = entry.partition("\t")
            indexed[name] = stage.split()[1]
    present = [name for path, name in zip(paths, relative, strict=True) if path.exists()]
    hashed = git.run(["hash-object", "--", *present], repo) if present else None
    if hashed is not None and hashed.returncode != 0:
        raise StoreError(f"git hash-object failed: {hashed.stderr.strip()}")
    blobs = dict(zip(present, hashed.stdout.split() if hashed else [], strict=True))
    return [
        path
        for path, name in zip(paths, relative, strict=True)
        if indexed.get(name) != blobs.get(name)
    ]


def unstage(repo: Path, paths: Sequence[Path]) -> None:
    """Take `paths` out of the index again (best effort: after a failed commit)."""
    git.run(["reset", "--quiet", "--", *(_relative(repo, p) for p in paths)], repo)


def _relative(repo: Path, path: Path) -> str:
    return str(path.resolve().relative_to(repo))


def _commit_with_porcelain(
    repo: Path, relative: list[str], message: str, env: dict[str, str]
) -> bool:
    added = git.run(["add", "--", *relative], repo, env)
    if added.returncode != 0:
        raise git.failure(repo, "git add", added.stderr)
    listed = git.run(["diff", "--cached", "--name-only", "--no-renames", "-z"], repo, env)
    if listed.returncode != 0:
        raise StoreError(f"git diff failed: {listed.stderr.strip()}")
    staged = set(listed.stdout.split("\0")) - {""}
    if not staged & set(relative):
        return False
    # --no-verify: accomp validated every file it wrote (the hook is for hand edits).
    # When the user has staged other changes, --only commits these paths and leaves
    # theirs staged. Otherwise a plain commit is the same commit, without --only's
    # temporary index.
    args = ["commit", "--quiet", "--no-verify", "-m", message]
    if staged - set(relative):
        args += ["--only", "--", *relative]
    result = git.run(args, repo, env)
    if result.returncode != 0:
        raise git.failure(repo, "git commit", result.stderr or result.stdout)
    return True


def _settings(repo: Path) -> dict[str, str]:
    result = git.run(["config", "--get-regexp", _SETTINGS], repo)
    settings: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        settings[key.lower()] = value
    return settings


def _identity(settings: dict[str, str], author: str | None) -> dict[str, str]:
    return git.identity_env(
        bool(settings.get("user.name")), bool(settings.get("user.email")), author
    )


def _plumbing_commits_as_git_would(repo: Path, settings: dict[str, str], message: str) -> bool:
    if message != message.strip() or "\n" in message or not message:
        return False  # git commit would clean it up
    if settings.get("commit.gpgsign", "false").lower() in ("true", "yes", "on", "1"):
        return False
    own_hooks = git.hooks_dir(repo)
    if own_hooks is None:
        return False
    hooks_path = settings.get("core.hookspath")
    hooks = (repo / Path(hooks_path).expanduser()) if hooks_path else own_hooks
    return not any((hooks / name).exists() for name in _HOOKS_ONLY_COMMIT_RUNS)


def _head(repo: Path) -> _Head | None:
    """HEAD's commit and tree, or None when the branch has no commit yet."""
    # `log` reads the commit alone; `rev-parse HEAD^{tree}` would inflate the whole tree.
    result = git.run(["log", "-1", "--format=%H%n%T", "HEAD", "--"], repo)
    lines = result.stdout.split()
    if result.returncode != 0 or len(lines) != 2:
        return None
    return _Head(lines[0], lines[1])


def _index_is_head(repo: Path, head: _Head) -> bool:
    """Whether the index, written as a tree, is HEAD's (nothing else is staged)."""
    index = _index_file(repo)
    before = _signature(index) if index else None
    if index and before and _INDEX_AS_HEAD.get(index) == (head.commit, before):
        return True
    if _index_tree(repo) != head.tree:
        return False
    # Kept only when write-tree left the file as it was (it writes the index when it has
    # to rebuild git's cache of trees) and nobody wrote it meanwhile.
    if index and before and _signature(index) == before:
        _INDEX_AS_HEAD[index] = (head.commit, before)
    return True


def _index_file(repo: Path) -> Path | None:
    """The work tree's index file (None under GIT_INDEX_FILE: another index, never kept)."""
    gitdir = git.git_dir(repo)
    return None if os.environ.get("GIT_INDEX_FILE") or gitdir is None else gitdir / "index"


def _signature(path: Path) -> tuple[object, ...] | None:
    """What tells one index file from another: its stat signature and its last 32 bytes,
    the checksum of its content git ends it with (an inode comes back after two writes,
    and a coarse clock can give two writes the same times). None when it has no
    checksum (index.skipHash) or cannot be read."""
    try:
        with open(path, "rb") as index:
            status = os.fstat(index.fileno())
            index.seek(max(0, status.st_size - 32))
            checksum = index.read(32)
    except OSError:
        return None
    if not checksum.strip(b"\0"):
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, checksum)


def _index_tree(repo: Path) -> str | None:
    """The index written as a tree (cheap while git's cache of trees in the index is
    valid, as it is after every commit), or None when it cannot be (unmerged paths)."""
    result: subprocess.CompletedProcess[str] = git.run(["write-tree"], repo)
    return result.stdout.strip() if result.returncode == 0 else None
