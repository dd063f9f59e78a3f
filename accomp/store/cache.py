"""The cohort cache: what the read path learnt about each case file, so that it is read once.

Kept in the store's git-ignored `.accomp/cache/`, as JSON (a foreign or corrupt
cache can never run code; it is ignored and rebuilt). Three kinds of entries,
each split in SHARDS files so that one changed case rewrites one small file,
and each read only by the commands that need it:

* `checks-NN.json`: the file's problems, with the days on which they hold: from
  the day they were computed to the day `checks.stable_until` gives (a future
  date in the case, the end of the programme's maximum duration). The first
  command of a new day does not re-read the store. `validate` reads only these.
* `<view>-NN.json`, one kind per read view of domain/views.py (`cohort`,
  `hours`, `followup`, `row`): the view of a valid file, computed on the same
  day as its checks. All views are computed when a file is checked, so that
  any cohort command warms the cache for every other.
* `documents-NN.json`: the plain document, for the few commands that need all
  of it (an export of every contact, the importer's matching of people).
* `memo-NN-<key>.json`: the result of a memoised task (domain/views.MemoisedTask:
  a summary's tallies, the rendered rows of an hours check) over the shard's
  views, for one task and its arguments (the key), with the fingerprint of the
  views it was computed from; a file each, so that a command reads only its
  own. The MEMO_RESULTS last used are kept per shard, none larger than
  MEMO_MAX_BYTES and MEMO_SHARD_BYTES in all (128 MB a store at most). A
  warm summary of a shard that did not move reads neither its views nor its
  cases.

An entry is used only when **the content hash of the file** is the one it was
made from. Reading and hashing 10,000 files costs about 0.3 s, so, as git does,
an entry also keeps the file's stat signature (size, mtime and ctime in
nanoseconds, inode) when the file had been left alone for SETTLED_SECONDS
before it was read: a file whose signature is unchanged is not read again. An
edit always changes the ctime (no tool can set it back), so no edit can go
unseen, not even one of the same size that restores the mtime; and a file
changed within SETTLED_SECONDS of being read is hashed again next time. The
whole cache is also tied to the code's own hash and the settings' fingerprint.

A shard answers for all its files at once when nothing in it moved: its checks
file keeps the shard's *state* (its file names in order, their stat
signatures, the days on which all its checks hold, and a fingerprint of the
views its files have), and each views file the fingerprint of the views it
holds. When the names and signatures read now are the state's, today lies in
its days and a views file's fingerprint is the state's, every view of the
shard is served as it is, with no per-file lookup: at 50,000 cases, that is
most of what a warm command used to spend before its own work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
import sys
import zlib
from pathlib import Path
from typing import Any

import orjson

from accomp.domain.settings import Settings
from accomp.store import files

CACHE_FORMAT = 6
SETTLED_SECONDS = 2
SHARDS = 64
# Results of memoised tasks kept per shard: a structure asks a few periods again and again
# (this year, last year, a funder's period), with a few groupings.
MEMO_RESULTS = 12
# A result larger than this (as JSON) is not kept: every week of every contract is tens of
# megabytes of rows, while a summary's tallies or a week's rows of a shard are a few dozen
# kilobytes at 50,000 cases, the list's lines about 120 KB and the export's CSV rows 300 KB
# (its JSON rows, indented and escaped once more, about 1.1 MB: not kept at that size).
MEMO_MAX_BYTES = 768 * 1024
# The results of a shard together: past it, the least recently used go. With SHARDS files
# a store's kept results are at most 64 times 2 MB, whatever is asked.
MEMO_SHARD_BYTES = 2 * 1024 * 1024


@functools.cache
def code_fingerprint() -> str:
    """A hash of accomp's own code, defaults and schemas: a new version invalidates every cache."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(sys.byteorder.encode())  # packed views are machine arrays
    owned = (p for p in package.rglob("*") if p.suffix in {".py", ".json", ".yaml"})
    for path in sorted(owned):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    from accomp.resources import schema_dir

    for path in sorted(schema_dir().glob("*.json")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def content_hash(data: bytes) -> str:
    """The key of a file's content."""
    return hashlib.sha256(data).hexdigest()


# A file's checks: [computed on, holds until (ISO days), problems, views or None], the views
# keyed by kind. The checks shards keep the first three and whether there are views; each
# kind of view lives in its own shards.
Checks = list[Any]


def settings_memo(folder: Path, digest: str) -> dict[str, Any] | None:
    """The settings data (defaults merged in) memoised for an accomp.yaml of this content hash.

    So that a command answered from the cohort cache parses no YAML at all. Tied
    to the code's hash like the rest of the cache; anything unexpected is None.
    """
    try:
        data = _load_json((folder / "settings.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if (
        isinstance(data, dict)
        and data.get("format") == CACHE_FORMAT
        and data.get("key") == {"code": code_fingerprint(), "settings_file": digest}
        and isinstance(data.get("settings"), dict)
    ):
        return data["settings"]
    return None


def remember_settings(folder: Path, digest: str, settings: dict[str, Any]) -> None:
    """Memoise the settings data of an accomp.yaml whose content hash is `digest`."""
    key = {"code": code_fingerprint(), "settings_file": digest}
    try:
        body = orjson.dumps({"format": CACHE_FORMAT, "key": key, "settings": settings})
        files.make_private_dir(folder)
        files.atomic_write(folder / "settings.json", body)
    except (OSError, TypeError):
        pass  # only slower next time


@functools.lru_cache(maxsize=65536)  # asked several times per file and per command
def shard_of(name: str) -> int:
    """The shard a case file's entries live in."""
    return zlib.crc32(name.encode()) % SHARDS


def memo_key(task: str, args: tuple[Any, ...]) -> str | None:
    """The key of a task's result for these arguments (None: they cannot make one, the
    result is not kept). Dates count as their ISO day, settings as their fingerprint;
    anything but plain data (a folder, an enum) makes no key."""

    def plain(value: Any) -> Any:
        if value is None or type(value) in (str, int, float, bool):
            return value
        if type(value) is dt.date:
            return value.isoformat()
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        if type(value) is dict:
            return {str(key): plain(item) for key, item in sorted(value.items())}
        if type(value) is Settings:
            return {"settings": value.fingerprint()}
        raise TypeError(type(value).__name__)

    try:
        body = orjson.dumps([task, plain(args)])
    except TypeError:
        return None
    return hashlib.sha1(body).hexdigest()


def _load_json(data: bytes) -> Any:
    """orjson.loads with the cycle collector paused.

    A shard is a tree of thousands of lists and dicts (no cycles), and the
    collector would otherwise scan them again and again while they are built:
    a quarter of a warm 10,000-case summary.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = orjson.loads(data)
        gc.freeze()
        return loaded
    finally:
        if enabled:
            gc.enable()


def _view_kinds() -> tuple[str, ...]:
    # Imported when a view is stored, not at start-up: domain/views imports every rule.
    from accomp.domain.views import VIEW_KINDS

    return VIEW_KINDS


def fingerprint(keys: list[list[str]]) -> str:
    """A short hash of (file name, content hash, day checked) triples: the views a shard has."""
    return hashlib.sha1(orjson.dumps(sorted(keys))).hexdigest()


class CohortCache:
    """The cache of one store, for one code version and one set of settings; shards load lazily."""

    def __init__(self, folder: Path, key: dict[str, str]) -> None:
        self.folder = folder
        self.key = key
        self._shards: dict[tuple[str, int], dict[str, list[Any]]] = {}
        # What each shard file said of itself: the checks' state, a views file's fingerprint.
        self._states: dict[tuple[str, int], Any] = {}
        self._dirty: set[tuple[str, int]] = set()

    def _shard(self, kind: str, index: int) -> dict[str, list[Any]]:
        shard = self._shards.get((kind, index))
        if shard is None:
            shard = self._shards[kind, index] = self._read(kind, index)
        return shard

    def _read(self, kind: str, index: int) -> dict[str, list[Any]]:
        try:
            data = _load_json((self.folder / f"{kind}-{index:02d}.json").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}  # missing, corrupt or foreign: rebuilt
        if (
            isinstance(data, dict)
            and data.get("format") == CACHE_FORMAT
            and data.get("key") == self.key
            and isinstance(data.get("entries"), dict)
        ):
            self._states[kind, index] = data.get("state")
            return data["entries"]
        return {}

    # -- a whole shard -------------------------------------------------------

    def fresh(self, index: int, names: list[str], signatures: list[Any], today: str) -> bool:
        """Whether the checks of shard `index` answer for all its files as they are: the same
        names in the same order, each with its recorded stat signature, and today in the
        days on which all their checks hold."""
        self._shard("checks", index)
        state = self._states.get(("checks", index))
        return (
            isinstance(state, dict)
            and state.get("names") == names
            and state.get("signatures") == signatures
            and isinstance(state.get("window"), list)
            and len(state["window"]) == 2
            and state["window"][0] <= today <= state["window"][1]
        )

    def entries(self, index: int) -> dict[str, list[Any]]:
        """The checks entries of a shard: name -> [content hash, checks, stat signature]."""
        return self._shard("checks", index)

    def errors(self, index: int) -> frozenset[str]:
        """The names of a fresh shard's files that have errors (they have no views)."""
        state = self._states.get(("checks", index))
        return frozenset(state.get("errors") or ()) if isinstance(state, dict) else frozenset()

    def shard_views(self, kind: str, index: int) -> dict[str, list[Any]] | None:
        """The views of this kind of a fresh shard, name -> [hash, day, view], when the views
        file holds exactly the views of the checks' state (its fingerprint), else None."""
        views = self._shard(kind, index)
        state = self._states.get(("checks", index))
        if (
            isinstance(state, dict)
            and state.get("views") is not None
            and self._states.get((kind, index)) == state["views"]
        ):
            return views
        return None

    def memo(self, index: int, task_key: str) -> Any:
        """The result kept for this task (memo_key) over the views of shard `index`, which
        the caller found fresh; None when none was kept for the views it has now."""
        views = self._views_of_state(index)
        if views is None:
            return None
        path = self._memo_path(index, task_key)
        try:
            data = _load_json(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        if (
            isinstance(data, dict)
            and data.get("format") == CACHE_FORMAT
            and data.get("key") == self.key
            and data.get("task") == task_key
            and data.get("views") == views
        ):
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: the last to go when the shard's results are pruned
            return data.get("result")
        return None

    def remember(self, index: int, task_key: str, plain: Any) -> None:
        """Keep a task's result over the views of fresh shard `index`, unless it is larger
        than MEMO_MAX_BYTES; the shard's least recently used results go beyond
        MEMO_RESULTS or MEMO_SHARD_BYTES."""
        views = self._views_of_state(index)
        if views is None:
            return
        memo = {
            "format": CACHE_FORMAT,
            "key": self.key,
            "task": task_key,
            "views": views,
            "result": plain,
        }
        try:
            body = orjson.dumps(memo)
        except TypeError:
            return  # not JSON (an integer past 64 bits): not kept
        if len(body) > MEMO_MAX_BYTES:
            return
        try:
            files.make_private_dir(self.folder)
            written = self._memo_path(index, task_key)
            files.atomic_write(written, body, durable=False)
            prefix = f"memo-{index:02d}-"
            others = []  # the one just written stays, whatever the disk's mtime resolution
            for entry in os.scandir(self.folder):
                if entry.name.startswith(prefix) and entry.name != written.name:
                    status = entry.stat()
                    others.append((-status.st_mtime_ns, entry.name, status.st_size))
            others.sort()  # the most recently used first
            count, size = 1, len(body)
            for _, name, other_size in others:
                count, size = count + 1, size + other_size
                if count > MEMO_RESULTS or size > MEMO_SHARD_BYTES:
                    (self.folder / name).unlink(missing_ok=True)
        except OSError:
            pass  # only slower next time

    def _memo_path(self, index: int, task_key: str) -> Path:
        return self.folder / f"memo-{index:02d}-{task_key[:24]}.json"

    def _views_of_state(self, index: int) -> str | None:
        state = self._states.get(("checks", index))
        views = state.get("views") if isinstance(state, dict) else None
        return views if isinstance(views, str) else None

    # -- one file -----------------------------------------------------------

    def settled(
        self, name: str, signature: list[int], today: str
    ) -> tuple[str, Checks | None] | None:
        """For a file whose stat signature is the one recorded with its entry: its content
        hash, and its checks as `checks` gives them (None if they do not hold on `today`).
        None when the signature is another: the file must be read and hashed."""
        index = shard_of(name)
        entry = self._shard("checks", index).get(name)
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and entry[2] == signature
            and isinstance(entry[0], str)
        ):
            return entry[0], self._checks(entry, entry[0], today)
        return None

    def sign(self, name: str, digest: str, signature: list[int]) -> None:
        """Record the stat signature of a settled file whose content hash is `digest`."""
        index = shard_of(name)
        entry = self._shard("checks", index).get(name)
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and entry[0] == digest
            and entry[2] != signature
        ):
            entry[2] = signature
            self._dirty.add(("checks", index))

    def checks(self, name: str, digest: str, today: str) -> Checks | None:
        """The checks cached for this file content, if they hold on `today` (ISO).

        Their last item says whether the file has views (True), not the views:
        `view` reads one kind of them.
        """
        return self._checks(self._shard("checks", shard_of(name)).get(name), digest, today)

    @staticmethod
    def _checks(entry: Any, digest: str, today: str) -> Checks | None:
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and entry[0] == digest
            and isinstance(entry[1], list)
            and len(entry[1]) == 4
            and entry[1][0] <= today <= entry[1][1]
        ):
            return list(entry[1])
        return None

    def view(self, kind: str, name: str, digest: str, computed_on: str) -> dict[str, Any] | None:
        """The view of this kind cached for this file content and day of checking, or None."""
        cached = self._shard(kind, shard_of(name)).get(name)
        if (
            isinstance(cached, list)
            and len(cached) == 3
            and cached[0] == digest
            and cached[1] == computed_on
            and isinstance(cached[2], dict)
        ):
            return cached[2]
        return None

    def document(self, name: str, digest: str) -> dict[str, Any] | None:
        """The plain document cached for this file content, or None."""
        entry = self._shard("documents", shard_of(name)).get(name)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest:
            return entry[1] if isinstance(entry[1], dict) else None
        return None

    def put(
        self,
        name: str,
        digest: str,
        checks: Checks,
        document: dict[str, Any] | None,
        signature: list[int] | None,
    ) -> None:
        """Remember what checking this file content gave (and its stat signature if settled)."""
        index = shard_of(name)
        computed_on, until, problems, views = checks
        self._shard("checks", index)[name] = [
            digest,
            [computed_on, until, problems, views is not None],
            signature,
        ]
        self._dirty.add(("checks", index))
        for kind in _view_kinds():
            shard = self._shard(kind, index)
            if views is not None:
                shard[name] = [digest, computed_on, views[kind]]
            else:
                shard.pop(name, None)  # a file that now has errors has no views
            self._dirty.add((kind, index))
        if document is not None:
            self._shard("documents", index)[name] = [digest, document]
            self._dirty.add(("documents", index))

    def put_view(self, kind: str, name: str, digest: str, computed_on: str, view: Any) -> None:
        """Remember one view computed again (its shard's file had lost it)."""
        index = shard_of(name)
        self._shard(kind, index)[name] = [digest, computed_on, view]
        self._dirty.add((kind, index))

    def forget_others(self, index: int, names: list[str]) -> None:
        """Drop the entries of shard `index` whose files are gone (`names`: the files there are)."""
        present = set(names)
        for (kind, shard_index), shard in self._shards.items():
            if shard_index != index:
                continue
            gone = [name for name in shard if name not in present]
            for name in gone:
                del shard[name]
            if gone:
                self._dirty.add((kind, index))

    def release(self, index: int) -> None:
        """Forget what was read of shard `index` (saved first): a command that streams the
        store holds one shard at a time."""
        self.save(index)
        for key in [k for k in self._shards if k[1] == index]:
            del self._shards[key]
            self._states.pop(key, None)

    def save(self, index: int | None = None) -> None:
        """Write the shards that changed (of one index, or all), each with its state or
        fingerprint, atomically; a failure only costs speed."""
        dirty = sorted(k for k in self._dirty if index is None or k[1] == index)
        indexes = sorted({i for _, i in dirty})
        for shard_index in indexes:
            self._seal(shard_index)
        dirty = sorted(k for k in self._dirty if index is None or k[1] == index)
        if not dirty:
            return
        self._dirty -= set(dirty)
        try:
            files.make_private_dir(self.folder)
            for kind, shard_index in dirty:
                shard = {
                    "format": CACHE_FORMAT,
                    "key": self.key,
                    "state": self._states.get((kind, shard_index)),
                    "entries": self._shards[kind, shard_index],
                }
                try:
                    body = orjson.dumps(shard)
                except TypeError:
                    continue  # a value JSON cannot hold (an integer past 64 bits): not cached
                path = self.folder / f"{kind}-{shard_index:02d}.json"
                files.atomic_write(path, body, durable=False)
            (self.folder / "cases.json").unlink(missing_ok=True)  # the cache of accomp 0.1
        except OSError:
            pass  # a read-only store still answers, only slower

    def _seal(self, index: int) -> None:
        """Compute the state of shard `index` from its entries (and the fingerprints of its
        views files read so far): what lets the next command take the shard whole."""
        entries = self._shard("checks", index)
        malformed = [name for name, entry in entries.items() if not _is_checks_entry(entry)]
        for name in malformed:
            del entries[name]
        names = sorted(entries)
        keys = [
            [name, entries[name][0], entries[name][1][0]] for name in names if entries[name][1][3]
        ]
        state = None
        signatures = [entries[name][2] for name in names]
        if all(signatures):
            state = {
                "names": names,
                "signatures": signatures,
                "window": [
                    max((entries[n][1][0] for n in names), default=""),
                    min((entries[n][1][1] for n in names), default="9999-12-31"),
                ],
                "errors": [n for n in names if not entries[n][1][3]],
                "views": fingerprint(keys),
            }
        if malformed or state != self._states.get(("checks", index)):
            self._states["checks", index] = state
            self._dirty.add(("checks", index))
        wanted = {name: (digest, on) for name, digest, on in keys}
        for kind in _view_kinds():
            shard = self._shards.get((kind, index))
            if shard is None:
                continue
            stale = [
                name
                for name, cached in shard.items()
                if not (isinstance(cached, list) and len(cached) == 3)
                or wanted.get(name) != (cached[0], cached[1])
            ]
            for name in stale:
                del shard[name]
            own = fingerprint([[name, c[0], c[1]] for name, c in shard.items()])
            if stale or own != self._states.get((kind, index)):
                self._states[kind, index] = own
                self._dirty.add((kind, index))


def _is_checks_entry(entry: Any) -> bool:
    """[content hash, [computed on, holds until, problems, has views], signature or None]."""
    return (
        isinstance(entry, list)
        and len(entry) == 3
        and isinstance(entry[0], str)
        and isinstance(entry[1], list)
        and len(entry[1]) == 4
        and isinstance(entry[1][0], str)
        and isinstance(entry[1][1], str)
        and isinstance(entry[1][2], list)
        and (entry[2] is None or isinstance(entry[2], list))
    )
