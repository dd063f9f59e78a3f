"""Text that worker processes hand back through files, not through memory.

`hours check` over every week of a department's contracts is millions of rows,
tens of megabytes of CSV. When each worker sent its rows' text back as a result,
the text was in memory three times over (the worker's list, the pickled result,
the parent's copy): 700 MB for the process tree at 50,000 cases. Instead each
worker appends each case's text to its own part file in a spool folder and sends
back only where it wrote it; the parent writes the pieces out in case-id order,
one at a time, and removes the folder.

The spool lives in the store's `.accomp/` (private, git-ignored, on the same disk);
a folder a killed command left is removed by the next spool, once its process is
gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from accomp.store import files

SPOOL_DIR = "spool"  # in the store's .accomp folder

# Where a worker wrote a piece: its part file's name, offset and length in bytes.
Piece = tuple[str, int, int]


@contextlib.contextmanager
def spool_folder(derived: Path) -> Iterator[Path]:
    """A new private folder in `derived/spool/` for one command's parts; removed after.
    A store that cannot be written to (mounted read-only) spools to a private folder
    of the system's temp directory instead."""
    root = derived / SPOOL_DIR
    try:
        files.make_private_dir(root)
        _remove_left_behind(root)
        folder = root / f"{os.getpid()}-{time.monotonic_ns()}"
        files.make_private_dir(folder)
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="accomp-spool-"))  # 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PartWriter:
    """One process's part file in a spool folder, appended to piece by piece."""

    def __init__(self, folder: Path) -> None:
        self.name = f"{os.getpid()}-{time.monotonic_ns()}.part"
        descriptor = os.open(folder / self.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(descriptor, "wb")
        self._offset = 0

    def append(self, text: str) -> Piece:
        data = text.encode("utf-8")
        self._file.write(data)
        piece = (self.name, self._offset, len(data))
        self._offset += len(data)
        return piece

    def close(self) -> None:
        self._file.close()


class PartReader:
    """The pieces of a spool folder's part files, read back one at a time."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._open: dict[str, int] = {}

    def read(self, piece: Piece) -> str:
        name, offset, length = piece
        descriptor = self._open.get(name)
        if descriptor is None:
            descriptor = self._open[name] = os.open(self._folder / name, os.O_RDONLY)
        return os.pread(descriptor, length, offset).decode("utf-8")

    def close(self) -> None:
        for descriptor in self._open.values():
            os.close(descriptor)
        self._open.clear()


def _remove_left_behind(root: Path) -> None:
    """Remove the spool folders of commands that are no longer running."""
    for folder in root.iterdir():
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not files.process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
