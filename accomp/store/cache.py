"""The cohort cache: what the read path learnt about each case file, so that it is read once.

Kept in the store's git-ignored `.accomp/cache/`, as JSON (a foreign or corrupt
cache can never run code; it is ignored and rebuilt). An entry is used only
when **the content hash of the file** is the one it was made from: reading and
hashing every file costs a fifth of a second for 10,000 files, so no mtime
shortcut is needed and no edit can go unseen (not even one of the same size in
the same second). The whole cache is also tied to the code's own hash, the
settings' fingerprint and the day (some warnings depend on today's date).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from accomp.store import files

CACHE_FORMAT = 1


@functools.cache
def code_fingerprint() -> str:
    """A hash of accomp's own code and schemas: a new version invalidates every cache."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.json")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    from accomp.resources import schema_dir

    for path in sorted(schema_dir().glob("*.json")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def content_hash(data: bytes) -> str:
    """The key of a file's content."""
    return hashlib.sha256(data).hexdigest()


class CohortCache:
    """Entries by file name: content hash → the checked record (plain data)."""

    def __init__(self, path: Path, key: dict[str, str]) -> None:
        self.path = path
        self.key = key
        self.entries: dict[str, list[Any]] = {}
        self.changed = False

    @classmethod
    def load(cls, path: Path, key: dict[str, str]) -> CohortCache:
        """The cache at `path` if it is ours and for `key`; an empty one otherwise."""
        cache = cls(path, key)
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return cache  # missing, corrupt or foreign: rebuilt
        if (
            isinstance(data, dict)
            and data.get("format") == CACHE_FORMAT
            and data.get("key") == key
            and isinstance(data.get("entries"), dict)
        ):
            cache.entries = data["entries"]
        return cache

    def get(self, name: str, digest: str) -> Any | None:
        """The record cached for this file content, or None."""
        entry = self.entries.get(name)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest:
            return entry[1]
        return None

    def put(self, name: str, digest: str, record: Any) -> None:
        self.entries[name] = [digest, record]
        self.changed = True

    def forget_missing(self, names: set[str]) -> None:
        """Drop the entries of files that are gone."""
        for name in [n for n in self.entries if n not in names]:
            del self.entries[name]
            self.changed = True

    def save(self) -> None:
        """Write the cache if anything changed (atomically; a failure only costs speed)."""
        if not self.changed:
            return
        body = json.dumps(
            {"format": CACHE_FORMAT, "key": self.key, "entries": self.entries},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        try:
            files.make_private_dir(self.path.parent)
            files.atomic_write(self.path, body)
        except OSError:
            pass  # a read-only store still answers, only slower
