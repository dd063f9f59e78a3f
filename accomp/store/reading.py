"""The cohort read path: every case file of a store, checked, through the cohort cache.

Its stages, for the whole store, shard by shard of the cache (store/cache.py):

1. *list*: the case files' names, sorted (one directory read, no Path per file);
2. *stat*: each file's stat signature; a shard whose names and signatures are
   those its checks recorded, on a day they hold, is taken whole (stage 4);
3. *hash*: in the other shards, a file whose signature changed is read and
   hashed, and its checks taken from the cache by content hash;
4. *check*: the files the cache cannot answer for are parsed and checked, on
   all the cores (store/checking.py), in shard order, so that each shard is
   saved and let go as soon as its files are known: memory holds one shard of
   views at a time, not the store;
5. *serve*: records (or read views) in case-id order, or shard by shard.

No locks: a file that changes while it is read is seen changed by the next run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accomp.domain.ids import CASE_ID
from accomp.domain.views import MemoisedTask, read_views
from accomp.store import cache, files, progress
from accomp.store.checking import (
    CaseRecord,
    check_many,
    has_errors,
    record_from_checks,
)

if TYPE_CHECKING:
    from accomp.store.store import Reading, Store

DERIVED_DIR = ".accomp"


def case_names(root: Path) -> list[str]:
    """The file names of a store's case files, sorted (so by case id)."""
    # os.listdir, not Path.iterdir: at 50,000 files, Path objects alone cost 0.1 s.
    match = CASE_ID.match
    return sorted(name for name in os.listdir(root) if name.endswith(".yaml") and match(name[:-5]))


def shard_names(root: Path) -> list[list[str]]:
    """The case files' names, sorted, in the cache shard each belongs to."""
    grouped: list[list[str]] = [[] for _ in range(cache.SHARDS)]
    for name in case_names(root):
        grouped[cache.shard_of(name)].append(name)
    return grouped


def signature_of(path: str) -> list[int] | None:
    """A file's stat signature (size, mtime and ctime in ns, inode), None when it cannot
    be read. A symbolic link is not followed (files.read_regular refuses it)."""
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


@dataclass
class ShardReading:
    """What the read path knows of one shard's files, once stage 4 is done."""

    index: int
    names: list[str]
    # name -> (content hash, checks, document); None when the shard was taken whole
    # from the cache (its entries then say it all).
    found: dict[str, tuple[str, cache.Checks, dict[str, Any] | None]] | None
    misses: list[str] = field(default_factory=list)


class StoreReading:
    """One pass of the read path over a store (see the module's stages)."""

    def __init__(self, store: Store, read: Reading) -> None:
        self.store = store
        self.read = read
        self.folder = str(store.root)
        self.today = store.today.isoformat()
        key = {"code": cache.code_fingerprint(), "settings": store.settings.fingerprint()}
        self.cohort = cache.CohortCache(store.root / DERIVED_DIR / "cache", key)
        # The stat signatures of the files found settled (recorded with their checks).
        self.settled: dict[str, list[int]] = {}

    def shards(
        self, grouped: list[list[str]] | None = None, indexes: Iterable[int] | None = None
    ) -> Iterator[ShardReading]:
        """Stages 1 to 4: each shard of the store in shard order, its files known; once the
        caller is done with a shard, what changed in it is saved and it is let go.

        `grouped`: the case files' names by shard (shard_names), when already listed;
        `indexes`: only these shards, their files then checked in this process (a
        worker of map_views, which spreads the store's shards over the cores).
        """
        grouped = shard_names(self.store.root) if grouped is None else grouped
        if indexes is not None:  # a worker's part: the process that forked it counts
            yield from self._shards(grouped, indexes, parallel=False)
            return
        with progress.counting(sum(len(names) for names in grouped)):
            yield from self._shards(grouped, range(cache.SHARDS), parallel=True)

    def _shards(
        self, grouped: list[list[str]], indexes: Iterable[int], parallel: bool
    ) -> Iterator[ShardReading]:
        readings = [self._look_up(index, grouped[index]) for index in indexes]
        # The documents of the files parsed now are kept (and cached) only when asked for:
        # a cold summary of 50,000 cases would otherwise hold them all in memory.
        parsed = check_many(
            [self.store.root / name for reading in readings for name in reading.misses],
            self.store.settings,
            self.store.today,
            documents=self.read == "document",
            parallel=parallel,
        )
        for reading in readings:
            if reading.found is not None:
                for name in reading.misses:
                    checked, digest, checks, document = next(parsed)
                    assert checked == name  # check_many keeps the order it was given
                    reading.found[name] = (digest, checks, document)
                    if digest:
                        self.cohort.put(name, digest, checks, document, self.settled.get(name))
            yield reading
            self.cohort.release(reading.index)
            if reading.found is not None:
                reading.found.clear()  # the caller is done with it: let its views go

    def _look_up(self, index: int, names: list[str]) -> ShardReading:
        """Stages 2 and 3 for one shard: what the cache answers, and the files to check."""
        folder, cohort, today = self.folder, self.cohort, self.today
        signatures = [signature_of(f"{folder}/{name}") for name in names]
        if self.read != "document" and cohort.fresh(index, names, signatures, today):
            progress.advance(len(names))
            return ShardReading(index, names, None)
        found: dict[str, tuple[str, cache.Checks, dict[str, Any] | None]] = {}
        misses: list[str] = []
        settled_before = time.time_ns() - cache.SETTLED_SECONDS * 1_000_000_000
        for name, signature in zip(names, signatures, strict=True):
            if signature is None:
                misses.append(name)  # checking it reports why it cannot be read
                continue
            settled = cohort.settled(name, signature, today)
            if settled is not None:
                self.settled[name] = signature
                digest, checks = settled
            else:
                try:
                    digest = cache.content_hash(files.read_regular(f"{folder}/{name}"))
                except OSError:
                    misses.append(name)
                    continue
                # The signature was taken before the content was read: if the file changed
                # in between, the next run sees another signature and hashes it again.
                if max(signature[1], signature[2]) < settled_before:
                    self.settled[name] = signature
                    cohort.sign(name, digest, signature)
                checks = cohort.checks(name, digest, today)
            document = None
            if checks is not None and self.read == "document" and not has_errors(checks):
                document = cohort.document(name, digest)
                if document is None:
                    checks = None
            if checks is None:
                misses.append(name)
            else:
                found[name] = (digest, checks, document)
        cohort.forget_others(index, names)
        progress.advance(len(found))  # the misses are counted as they are checked
        return ShardReading(index, names, found, misses)

    # -- stage 5 ---------------------------------------------------------------

    def _known(self, reading: ShardReading) -> Iterator[tuple[str, str, cache.Checks, Any]]:
        """(name, content hash, checks, document or None) of each file of a shard."""
        if reading.found is None:
            entries = self.cohort.entries(reading.index)
            for name in reading.names:
                yield name, entries[name][0], entries[name][1], None
        else:
            found = reading.found
            for name in reading.names:
                yield (name, *found[name])

    def records(self, reading: ShardReading) -> Iterator[CaseRecord]:
        """The records of a shard's files (read "document" or "problems"), in name order."""
        root = self.store.root
        for name, _, checks, document in self._known(reading):
            record = record_from_checks(root / name, checks)
            if record.valid and self.read == "document":
                record.document = document
            yield record

    def remembered(self, reading: ShardReading, task: MemoisedTask, key: str) -> Any:
        """A memoised task's result kept for a shard taken whole (None: none kept, or not
        a result: it is computed again)."""
        if reading.found is not None:
            return None
        plain = self.cohort.memo(reading.index, key)
        if plain is None:
            return None
        try:
            return task.of_plain(plain)
        except ValueError:
            return None

    def remember(self, reading: ShardReading, task: MemoisedTask, key: str, result: Any) -> None:
        """Keep a memoised task's result over a shard taken whole, for the next command."""
        if reading.found is None:
            try:
                plain = task.to_plain(result)
            except (TypeError, ValueError):
                return  # not plain data: not kept, only slower next time
            self.cohort.remember(reading.index, key, plain)

    def invalid(self, reading: ShardReading) -> Iterator[CaseRecord]:
        """The records of the invalid files of a shard taken whole."""
        entries = self.cohort.entries(reading.index)
        for name in sorted(self.cohort.errors(reading.index)):
            yield record_from_checks(self.store.root / name, entries[name][1])

    def views(self, reading: ShardReading) -> Iterator[dict[str, Any] | CaseRecord]:
        """The read views of a shard's valid files, and the records of its invalid ones."""
        kind, cohort, root = self.read, self.cohort, self.store.root
        if reading.found is None:
            views = cohort.shard_views(kind, reading.index)
            if views is not None:
                errors = cohort.errors(reading.index)
                try:
                    served = [None if name in errors else views[name][2] for name in reading.names]
                except (KeyError, IndexError, TypeError):
                    served = None  # a views file damaged under a sound fingerprint
                if served is not None:
                    entries = cohort.entries(reading.index)
                    for name, view in zip(reading.names, served, strict=True):
                        yield (
                            view
                            if view is not None
                            else record_from_checks(root / name, entries[name][1])
                        )
                    return
        for name, digest, checks, _ in self._known(reading):
            if has_errors(checks):
                yield record_from_checks(root / name, checks)
                continue
            views_now = checks[3]
            view = views_now[kind] if isinstance(views_now, dict) else None
            if view is None:
                view = cohort.view(kind, name, digest, checks[0])
            if view is None:  # a view missing from the cache: the file is checked again
                record = self.store.check_file(root / name)
                if record.document is None:
                    yield record
                    continue
                view = read_views(record.document, self.store.settings, self.store.today)[kind]
                cohort.put_view(kind, name, digest, checks[0], view)
            yield view


def iter_records(store: Store, read: Reading) -> Iterator[CaseRecord]:
    """Every case file's record, in case-id order (read "document" or "problems")."""
    reading = StoreReading(store, read)
    records = [record for shard in reading.shards() for record in reading.records(shard)]
    records.sort(key=lambda record: record.path.name)
    yield from records


def iter_views(store: Store, kind: Reading) -> Iterator[dict[str, Any] | CaseRecord]:
    """Every valid case file's read view of this kind, and the records of the invalid ones,
    shard by shard (in no useful order: the caller sorts what it keeps)."""
    reading = StoreReading(store, kind)
    for shard in reading.shards():
        yield from reading.views(shard)


# Below this many case files, a command's views are read in its own process: starting
# workers would cost more than they save.
SPREAD_FROM = 4000
# The work of map_views, set before its worker processes are forked (they inherit it).
_JOB: tuple[Any, ...] | None = None


def map_views(
    store: Store, kind: Reading, task: Callable[..., Any] | MemoisedTask, *args: Any
) -> tuple[list[Any], list[CaseRecord]]:
    """`task(views, *args)` over the valid read views of this kind, on all the cores.

    The cache's shards are dealt out to one worker process per core (forked, so
    they start with what this process has loaded); each runs the task over the
    views of its shards, reading and checking them as iter_views does, and the
    results come back in the workers' order, whatever their timing. A task
    returns something that merges (a summary's tallies). A MemoisedTask runs
    shard by shard instead, and a shard taken whole from the cache whose result
    for these arguments was kept gives it back without reading its views. Also
    returned: the records of the invalid files, in case-id order. In one
    process below SPREAD_FROM files or on one core.
    """
    global _JOB
    grouped = shard_names(store.root)
    workers = min(os.cpu_count() or 1, 8)
    if sum(len(names) for names in grouped) < SPREAD_FROM or workers < 2:
        results = [_views_task(store, kind, task, args, grouped, None)]
    else:
        import concurrent.futures
        import multiprocessing

        _JOB = (store, kind, task, args, grouped)
        context = multiprocessing.get_context("fork")
        try:
            with (
                progress.counting(sum(len(names) for names in grouped)),
                concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool,
            ):
                parts = [pool.submit(_job_part, part, workers) for part in range(workers)]
                results = [progress.wait_for(part) for part in parts]
        finally:
            _JOB = None
    invalid = sorted((r for _, part in results for r in part), key=lambda r: r.path.name)
    return [result for part, _ in results for result in part], invalid


def _job_part(part: int, parts: int) -> tuple[Any, list[CaseRecord]]:
    """One worker's part of map_views: every `parts`-th shard from `part`."""
    assert _JOB is not None
    store, kind, task, args, grouped = _JOB
    return _views_task(store, kind, task, args, grouped, range(part, cache.SHARDS, parts))


def _views_task(
    store: Store,
    kind: Reading,
    task: Callable[..., Any] | MemoisedTask,
    args: tuple[Any, ...],
    grouped: list[list[str]],
    indexes: Iterable[int] | None,
) -> tuple[list[Any], list[CaseRecord]]:
    """A part of map_views: the task's results over these shards (one result, or one per
    shard for a memoised task, computed or kept), and the records of their invalid files."""
    reading = StoreReading(store, kind)
    invalid: list[CaseRecord] = []

    def valid(items: Iterable[dict[str, Any] | CaseRecord]) -> Iterator[dict[str, Any]]:
        for item in items:
            if type(item) is dict:
                yield item
            else:
                invalid.append(item)  # type: ignore[arg-type]

    if not isinstance(task, MemoisedTask):
        shards = reading.shards(grouped, indexes)
        views = valid(view for shard in shards for view in reading.views(shard))
        return [task(views, *args)], invalid
    key = cache.memo_key(task.name, args) if task.keep else None
    results = []
    for shard in reading.shards(grouped, indexes):
        result = reading.remembered(shard, task, key) if key else None
        if result is None:
            result = task.task(valid(reading.views(shard)), *args)
            if key:
                reading.remember(shard, task, key, result)
        else:
            invalid.extend(reading.invalid(shard))
        results.append(task.delivered(result))
    return results, invalid
