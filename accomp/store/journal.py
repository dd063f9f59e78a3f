"""Changes to many case files that land whole or not at all: a redo journal.

Why a journal: an import may write thousands of files, and a process can be
killed between any two of them. Writing them one by one in place would leave
half an import behind; writing them all and then committing in git would too.
So a batch goes in three steps:

1. **Stage.** Every new file is written, fsynced, into `.accomp/journal/<id>/`.
   Nothing in the store has changed. Killed here, the next command deletes the
   staging folder: the store is **as before**.
2. **Decide.** The manifest (the list of files and the commit message) is
   written atomically into the staging folder. From this instant the batch has
   happened.
3. **Apply.** Each staged file is renamed over its target (a rename is atomic,
   and redoing it is harmless), the folder is fsynced, the files are committed,
   and the staging folder is removed. Killed here, the next command finishes
   the renames and the commit: the store is **as after**.

Recovery runs when a store is opened, under the store's exclusive lock.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from accomp.store import files

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What a decided batch changes: target file names (in the store folder) and its commit."""

    names: list[str]
    message: str
    author: str | None
    commit: bool


def new_staging_folder(journal_root: Path) -> Path:
    """A fresh, private staging folder for one batch."""
    folder = journal_root / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
    files.make_private_dir(folder)
    return folder


def stage(folder: Path, name: str, data: bytes) -> None:
    """Write one file of the batch into its staging folder (durably)."""
    files.atomic_write(folder / name, data)


def decide(folder: Path, manifest: Manifest) -> None:
    """Write the manifest: from now on the batch will be applied, even after a crash."""
    body = json.dumps(manifest.__dict__, ensure_ascii=False, indent=1).encode()
    files.atomic_write(folder / MANIFEST, body)


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of a staging folder, or None if the batch was never decided."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(
            list(data["names"]), str(data["message"]), data.get("author"), bool(data["commit"])
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None  # a torn or foreign manifest: atomic_write makes this impossible for ours


def apply(folder: Path, store_root: Path, manifest: Manifest) -> list[Path]:
    """Move the staged files over their targets; returns the targets (redo-safe)."""
    targets = []
    for name in manifest.names:
        staged, target = folder / name, store_root / name
        if staged.exists():
            os.replace(staged, target)
        targets.append(target)
    files.fsync_dir(store_root)
    return targets


def discard(folder: Path) -> None:
    """Remove a staging folder (a batch abandoned, or finished)."""
    shutil.rmtree(folder, ignore_errors=True)


def pending(journal_root: Path) -> list[Path]:
    """Staging folders left by earlier batches, oldest first."""
    if not journal_root.is_dir():
        return []
    return sorted(p for p in journal_root.iterdir() if p.is_dir())
