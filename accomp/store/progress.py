"""How far a long read of the store has got, counted across processes, shown on a terminal.

A cold read (a fresh clone, an `accomp sync` that brought many files, a new
version of accomp) parses every case file: at 10,000 cases that is seconds of
waiting, at a department's 50,000 a minute. The read path counts the case files
it has dealt with (answered from the cache or checked) in a counter shared with
the worker processes it forks; the process that started the read shows the
count with whatever the command line registered (`show_with`), and only once
the read has lasted longer than `ACCOMP_PROGRESS_AFTER` seconds (1 by default):
a warm command shows nothing.

No thread: the owner process draws when it advances the count itself, and
while it waits for its workers (`wait_for`), so nothing is running when a
worker is forked and no lock can be inherited held.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import concurrent.futures

# Given the total, a context in which the callable it yields is told how many are done.
Shower = Callable[[int], AbstractContextManager[Callable[[int], None]]]

DEFAULT_AFTER_SECONDS = 1.0
REDRAW_SECONDS = 0.2

T = TypeVar("T")


def after_seconds() -> float:
    """How long a read lasts before its progress is shown (ACCOMP_PROGRESS_AFTER)."""
    try:
        return max(0.0, float(os.environ.get("ACCOMP_PROGRESS_AFTER", DEFAULT_AFTER_SECONDS)))
    except ValueError:
        return DEFAULT_AFTER_SECONDS


@dataclass
class _Read:
    """A read being counted: its shared counter, and what the owner process has drawn."""

    count: Any  # a multiprocessing Value('q'), inherited by the workers forked during the read
    total: int
    shower: Shower
    owner: int = field(default_factory=os.getpid)  # the process that counts and draws
    started: float = field(default_factory=time.monotonic)
    after: float = field(default_factory=after_seconds)
    last_drawn: float = 0.0
    shown: contextlib.ExitStack | None = None
    update: Callable[[int], None] | None = None


_shower: Shower | None = None
_read: _Read | None = None


def show_with(shower: Shower | None) -> None:
    """Show the progress of long reads with `shower` (None: show nothing)."""
    global _shower
    _shower = shower


@contextlib.contextmanager
def counting(total: int) -> Iterator[None]:
    """Count a read of `total` case files (in this process and the workers it forks).

    Nothing is counted when no shower is registered, or inside a read already
    counted (a worker's own read, or a nested one: the outer read counts it)."""
    global _read
    if _shower is None or _read is not None or total <= 0:
        yield
        return
    import multiprocessing  # here: start-up does not pay for it

    read = _read = _Read(multiprocessing.get_context("fork").Value("q", 0), total, _shower)
    try:
        yield
    finally:
        _read = None
        if read.shown is not None and os.getpid() == read.owner:
            if read.update is not None:
                read.update(read.count.value)
            read.shown.close()


def advance(done: int = 1) -> None:
    """`done` more case files dealt with (in any process of the read)."""
    read = _read
    if read is None or done <= 0:
        return
    with read.count.get_lock():
        read.count.value += done
    if os.getpid() == read.owner:
        _draw(read)


def wait_for(future: concurrent.futures.Future[T]) -> T:
    """A worker's result, the progress drawn while it is awaited."""
    read = _read
    if read is None or os.getpid() != read.owner:
        return future.result()
    import concurrent.futures  # already loaded by whoever made the future

    while True:
        try:
            return future.result(timeout=REDRAW_SECONDS)
        except concurrent.futures.TimeoutError:
            _draw(read)


def _draw(read: _Read) -> None:
    now = time.monotonic()
    if now - read.last_drawn < REDRAW_SECONDS or now - read.started < read.after:
        return
    read.last_drawn = now
    done = read.count.value
    if read.update is None:
        if done >= read.total:
            return  # finished before it was worth showing
        read.shown = contextlib.ExitStack()
        read.update = read.shown.enter_context(read.shower(read.total))
    read.update(min(done, read.total))
