"""Atomic writes and per-case locks: the only place that writes bytes to a store.

An atomic write goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target, and the folder is fsynced: a reader or
a crash sees the old file or the new one, never half of one.

A lock is an `fcntl.flock` on a lock file under `.accomp/locks/`. The kernel
releases it when its process dies, so a crashed command never blocks the next
one; waiting for a lock held by a live command gives up after a timeout with a
clear message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from accomp.errors import LockBusy

# Case files hold personal data: private to their owner whatever the umask.
FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_PREFIX = ".tmp-"


def make_private_dir(path: Path) -> None:
    """Create a folder (and its missing parents) that only its owner can read.

    Each folder it creates is made 0700 explicitly: `mkdir(parents=True)` gives the
    parents the umask's mode (0755), and the umask may narrow the mode of the last one.
    """
    if path.is_dir():
        return
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another command: its own creator set its mode
        os.chmod(folder, DIR_MODE)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = FILE_MODE, durable: bool = True) -> None:
    """Replace `path` with `data` atomically (temp file, fsync, rename, fsync folder).

    `durable=False` leaves out the two fsyncs, for derived files (the cache) that
    may be lost in a power cut: the rename still never shows a half-written file.
    """
    folder = path.parent
    temp = folder / f"{TEMP_PREFIX}{path.name}.{os.getpid()}.{time.monotonic_ns()}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, mode)  # the umask may have narrowed or widened it
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if durable:
        fsync_dir(folder)


def process_alive(pid: int) -> bool:
    """Whether the process `pid` is running (someone else's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def remove_stale_temp_files(folder: Path, older_than_seconds: float = 60.0) -> int:
    """Delete temp files left by a command killed mid-write; return how many.

    A temp file is stale when the process named in it (`.tmp-NAME.PID.NS`) is
    dead, or when it is older than `older_than_seconds` (a reused pid).
    """
    removed = 0
    now = time.time()
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        try:
            pid = int(temp.name.rsplit(".", 2)[-2])
        except (ValueError, IndexError):
            pid = None
        try:
            if (
                pid is not None and not process_alive(pid)
            ) or now - temp.stat().st_mtime >= older_than_seconds:
                temp.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _holder(lock_path: Path) -> str:
    """Who holds a lock, as far as its file says (the kernel frees it when they die)."""
    try:
        pid = int(lock_path.read_text().strip() or "0")
    except (OSError, ValueError):
        return ""
    return f" (process {pid})" if pid and process_alive(pid) else ""


@contextlib.contextmanager
def locked(
    lock_path: Path, what: str, timeout: float = 10.0, shared: bool = False
) -> Iterator[None]:
    """Hold a lock on `lock_path` for the duration of the block: exclusive, or `shared`.

    `what` names the thing locked in the error message (a case id, never a name).
    """
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    make_private_dir(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = _holder(lock_path)
                    raise LockBusy(
                        f"{what} is locked by another accomp command{holder} "
                        f"(lock file {lock_path}); try again when it has finished"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        if not shared:  # who holds it, for a person looking at a stuck store
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def read_regular(path: Path | str) -> bytes:
    """The bytes of a regular file of the store; a symbolic link is refused, never followed
    (it could lead a read, and then a commit, outside the store): OSError(ELOOP) then."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def why_unreadable(exc: OSError) -> str:
    """Why a store file could not be read, for a one-line message."""
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link: accomp reads only regular files in the store"
    return f"cannot read ({exc.strerror})"
