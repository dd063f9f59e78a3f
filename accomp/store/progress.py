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
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import concurrent.futures

# Given the total, a context in which the callable it yields is told how many are done.
Shower = Callable[[int], AbstractContextManager[Callable[[int], None]]]

DEFAULT_AFTER_SECONDS = 1.0
REDRAW_SECONDS = 0.2

_shower: Shower | None = None
_count: Any = None  # a multiprocessing Value('q') while a read is counted
_owner = 0  # the pid of the process that counts (and draws)
_started = 0.0
_last_drawn = 0.0
_total = 0
_shown: contextlib.ExitStack | None = None
_update: Callable[[int], None] | None = None

T = TypeVar("T")


def show_with(shower: Shower | None) -> None:
    """Show the progress of long reads with `shower` (None: show nothing)."""
    global _shower
    _shower = shower


def after_seconds() -> float:
    """How long a read lasts before its progress is shown (ACCOMP_PROGRESS_AFTER)."""
    try:
        return max(0.0, float(os.environ.get("ACCOMP_PROGRESS_AFTER", DEFAULT_AFTER_SECONDS)))
    except ValueError:
        return DEFAULT_AFTER_SECONDS


@contextlib.contextmanager
def counting(total: int) -> Iterator[None]:
    """Count a read of `total` case files (in this process and the workers it forks).

    Nothing is counted when no shower is registered, or inside a read already
    counted (a worker's own read, or a nested one: the outer read counts it)."""
    global _count, _owner, _started, _last_drawn, _total, _shown, _update
    if _shower is None or _count is not None or total <= 0:
        yield
        return
    import multiprocessing  # here: start-up does not pay for it

    _count = multiprocessing.get_context("fork").Value("q", 0)
    _owner, _started, _last_drawn, _total = os.getpid(), time.monotonic(), 0.0, total
    try:
        yield
    finally:
        if _shown is not None and os.getpid() == _owner:
            if _update is not None:
                _update(_count.value)
            _shown.close()
        _count, _shown, _update, _owner = None, None, None, 0


def advance(done: int = 1) -> None:
    """`done` more case files dealt with (in any process of the read)."""
    count = _count
    if count is None or done <= 0:
        return
    with count.get_lock():
        count.value += done
    if os.getpid() == _owner:
        _draw()


def wait_for(future: concurrent.futures.Future[T]) -> T:
    """A worker's result, the progress drawn while it is awaited."""
    if _count is None or os.getpid() != _owner:
        return future.result()
    import concurrent.futures  # already loaded by whoever made the future
    while True:
        try:
            return future.result(timeout=REDRAW_SECONDS)
        except concurrent.futures.TimeoutError:
            _draw()


def _draw() -> None:
    global _last_drawn, _shown, _update
    now = time.monotonic()
    if now - _last_drawn < REDRAW_SECONDS or now - _started < after_seconds():
        return
    _last_drawn = now
    done = _count.value
    if _shown is None:
        if done >= _total or _shower is None:
            return  # finished before it was worth showing
        _shown = contextlib.ExitStack()
        _update = _shown.enter_context(_shower(_total))
    assert _update is not None
    _update(min(done, _total))
