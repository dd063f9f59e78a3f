"""A command killed between writing its files and the end of its commit: undone.

A transaction (store/writing.py) writes its case and session files, then commits
them. Killed in between, or while git commits, the files would hold a change
nobody was told was made, and the next command would commit it as a hand edit
under its own name. So before writing, the transaction writes an *intent* in
`.accomp/intents/`: for each file, its bytes before (none: a new file) and a hash
of its bytes after. When the command ends, committed or failed and put back, the
intent goes.

Every transaction holds the store's lock shared for its whole life; recovery
holds it exclusively, so an intent it finds belongs to a command that died.
Recovery asks git what the commit did:

* HEAD holds the bytes after of every file: the commit landed; the intent goes.
* git's index lock is there: a git may still be running, or died holding it.
  Nothing is touched (the next commit says in one line what to do); the intent
  waits for the next command.
* otherwise: each file still holding its bytes after is put back as it was and
  taken out of the index. The store is as before the command: it leaves no trace.

In a store outside git the same holds without the commit: a command killed
half-way through writing several files has them all put back.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from accomp.store import commits, files, git

INTENTS_DIR = "intents"  # in the store's .accomp folder


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def begin(folder: Path, root: Path, changes: Sequence[tuple[Path, bytes]]) -> Path:
    """Record what is about to be written (`changes`: path and new bytes); returns the intent."""
    record = [
        {
            "path": str(path.relative_to(root)),
            "before": base64.b64encode(path.read_bytes()).decode() if path.exists() else None,
            "after": _digest(data),
        }
        for path, data in changes
    ]
    files.make_private_dir(folder)
    intent = folder / f"{os.getpid()}-{time.monotonic_ns()}.json"
    files.atomic_write(intent, orjson.dumps(record))
    return intent


def end(intent: Path | None) -> None:
    """The command finished (committed, or put back): its intent goes."""
    if intent is not None:
        intent.unlink(missing_ok=True)


def pending(folder: Path) -> list[Path]:
    """Intents left behind (one listing of a folder that is nearly always empty)."""
    try:
        return sorted(folder.glob("*.json"))
    except OSError:
        return []


def recover(folder: Path, root: Path, repo: Path | None) -> list[str]:
    """Undo what the dead commands of these intents wrote and did not commit. The caller
    holds the store's lock exclusively. Returns the files put back (relative to `root`)."""
    restored: list[str] = []
    gitdir = git.git_dir(repo) if repo is not None else None
    if gitdir is not None and (gitdir / "index.lock").exists():
        return restored  # a git may still be committing: wait for the next command
    for intent in pending(folder):
        try:
            record = orjson.loads(intent.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            intent.unlink(missing_ok=True)  # torn before it was complete: nothing was written
            continue
        if repo is not None and _landed(repo, root, record):
            intent.unlink(missing_ok=True)
            continue
        put_back = []
        for entry in record:
            path = root / entry["path"]
            try:
                current = files.read_regular(path)
            except FileNotFoundError:
                current = None
            if current is None or _digest(current) != entry["after"]:
                continue  # not written yet, or changed since: leave it
            if entry["before"] is None:
                path.unlink()
            else:
                files.atomic_write(path, base64.b64decode(entry["before"]))
            put_back.append(path)
        if repo is not None and put_back:
            commits.unstage(repo, put_back)
        restored += [entry["path"] for entry in record if root / entry["path"] in put_back]
        intent.unlink(missing_ok=True)
    return restored


def _landed(repo: Path, root: Path, record: list[dict[str, str | None]]) -> bool:
    """Whether HEAD holds the bytes after of every file (as the work tree would have them:
    `--filters` opens an encrypted store's blobs)."""
    for entry in record:
        relative = (root / str(entry["path"])).resolve().relative_to(repo)
        code, out, _ = git.run_git_bytes(repo, "cat-file", "--filters", f"HEAD:{relative}")
        if code != 0 or _digest(out) != entry["after"]:
            return False
    return True
