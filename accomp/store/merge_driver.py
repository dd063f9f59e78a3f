"""The git merge driver: git calls it for case files and accomp.yaml (see .gitattributes).

Git runs `accomp merge-driver %O %A %B %P` at the top of the work tree, with
the ancestor's, ours' and theirs' versions in three temporary files; the driver
leaves the result in %A and exits 0 when the merge is clean, 1 when it has
conflicts. The merge itself is domain/merge.py, over plain data; this edge
reads the three texts, writes the result onto ours' round-trip document (so
its comments and layout stay), validates it, and records the true conflicts
in `.accomp/conflicts/` for `accomp conflicts` and `accomp resolve`. A result
file never holds conflict markers: a conflicted field keeps ours' value.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from accomp.domain.ids import CASE_ID
from accomp.domain.merge import MISSING, Conflict, MergeResult, merge_documents
from accomp.domain.settings import Settings
from accomp.errors import AccompError
from accomp.store import crypt, files, yamlio
from accomp.store.checking import check_text, default_settings, document_problems
from accomp.store.schema import schema_problems
from accomp.store.store import DERIVED_DIR, SETTINGS_FILE, Store

CONFLICTS_DIR = "conflicts"  # in the store's DERIVED_DIR, one record per conflicted file
MERGED_CLEANLY, MERGED_WITH_CONFLICTS = 0, 1


def is_structured(name: str) -> bool:
    """Whether the driver merges this file as data (a case file, the settings)."""
    return name == SETTINGS_FILE or (name.endswith(".yaml") and bool(CASE_ID.match(name[:-5])))


def run(ancestor: Path, ours: Path, theirs: Path, pathname: str, today: dt.date) -> int:
    """Merge the three versions of `pathname` into `ours`; 0 when clean, 1 on conflicts.

    In a store encrypted at rest, git gives the repository's versions, encrypted: they
    are merged as text and the result is encrypted again, with the newest key among
    theirs, ours and the store's (git-crypt gives the same bytes for the same text, so
    every clone that makes this merge makes the same blob)."""
    repo = Path.cwd()
    sides = (ancestor, ours, theirs)
    versions = [path.read_bytes() for path in sides]
    if not any(crypt.is_encrypted(data) for data in versions):
        return _merge_plain(ancestor, ours, theirs, pathname, today)
    try:
        opened = [crypt.decrypt(repo, data) for data in versions]
    except crypt.CryptError as exc:
        print(f"accomp: merge {pathname}: {exc.message}; ours is kept", file=sys.stderr)
        return MERGED_WITH_CONFLICTS
    for path, (text, _) in zip(sides, opened, strict=True):
        files.atomic_write(path, text)
    keys = {key for _, key in opened if key is not None}
    store_key = crypt.store_key(repo)
    if store_key is not None and store_key in crypt.clone_keys(repo):
        keys.add(store_key)
    code = _merge_plain(ancestor, ours, theirs, pathname, today)
    newest = max(keys, key=crypt.generation)
    files.atomic_write(ours, crypt.encrypt(repo, ours.read_bytes(), newest))
    return code


def _merge_plain(ancestor: Path, ours: Path, theirs: Path, pathname: str, today: dt.date) -> int:
    target = Path.cwd() / pathname
    if not is_structured(target.name):
        return _merge_lines(ancestor, ours, theirs, pathname)
    try:
        texts = [yamlio.decode(path.read_bytes()) for path in (ancestor, ours, theirs)]
        documents = [yamlio.load_fast(text) if text.strip() else None for text in texts]
    except yamlio.YamlError:
        return _merge_lines(ancestor, ours, theirs, pathname)  # not data: a line merge says where
    if not all(isinstance(d, dict) for d in documents[1:]):
        return _merge_lines(ancestor, ours, theirs, pathname)
    store_root = target.parent
    try:
        merged_text, result = merge_texts(texts, documents, target.name, store_root, today)
    except Exception as exc:  # never a traceback from inside git: keep ours, say what happened
        merged_text = texts[1]
        reason = f"the structural merge failed ({type(exc).__name__}): take ours or theirs"
        whole = Conflict((), documents[0], documents[1], documents[2], reason)
        result = MergeResult(documents[1], [whole])
    files.atomic_write(ours, merged_text.encode("utf-8"))
    record_conflicts(store_root, target.name, result)
    for renumbering in result.renumbered:
        kind = renumbering.list_name[:-1]
        print(
            f"accomp: merge {target.stem}: plan {kind} {renumbering.old} was numbered in both "
            f"clones; {renumbering.side}' {kind} is now {renumbering.new}",
            file=sys.stderr,
        )
    return MERGED_WITH_CONFLICTS if result.conflicts else MERGED_CLEANLY


def merge_texts(
    texts: list[str], documents: list[Any], name: str, store_root: Path, today: dt.date
) -> tuple[str, MergeResult]:
    """The merged text (ours' round-trip document with the merged data) and the merge result."""
    case_file = name != SETTINGS_FILE
    settings = _settings(store_root) if case_file else None

    def problems(document: dict[str, Any]) -> list[tuple[Any, str]]:
        schema = "casefile" if case_file else "store"
        found = schema_problems(document, schema)
        if not found and settings is not None:
            found = document_problems(document, name, settings, today)
        return [(p.path, p.message) for p in found if p.severity == "error"]

    result = merge_documents(documents[0], documents[1], documents[2], problems, case_file)
    ours_text = texts[1]
    if result.merged == documents[1]:
        return ours_text, result
    document = yamlio.load_round_trip(ours_text)
    yamlio.update_round_trip(document, result.merged)
    text = yamlio.dump_round_trip(document, like=ours_text)
    checked, found = check_text(
        store_root / name, text, "casefile" if case_file else "store", settings, today
    )
    if checked is None or checked != result.merged:  # the writer could not say it: keep ours
        message = found[0].problem.message if found else "the merged text differs from the data"
        reason = f"cannot write: {message}"
        conflict = Conflict((), documents[0], documents[1], documents[2], reason)
        return ours_text, MergeResult(documents[1], [conflict], result.renumbered)
    return text, result


def _settings(store_root: Path) -> Settings:
    try:
        return Store(store_root).settings
    except AccompError:  # the settings are being merged too, or broken: judge with the defaults
        return Settings.merged({}, default_settings())


def _merge_lines(ancestor: Path, ours: Path, theirs: Path, pathname: str) -> int:
    """git's own line merge, for what is not data (markers in the file on conflicts)."""
    result = subprocess.run(
        ["git", "merge-file", "-L", "ours", "-L", "ancestor", "-L", "theirs",
         str(ours), str(ancestor), str(theirs)],
        capture_output=True,
        check=False,
    )  # fmt: skip
    return MERGED_CLEANLY if result.returncode == 0 else MERGED_WITH_CONFLICTS


# -- the conflict records ----------------------------------------------------------


def conflicts_folder(store_root: Path) -> Path:
    return store_root / DERIVED_DIR / CONFLICTS_DIR


def record_conflicts(store_root: Path, name: str, result: MergeResult) -> None:
    """Keep the conflicts of one file for `accomp conflicts` (or forget them: none left)."""
    path = conflicts_folder(store_root) / f"{name}.json"
    if not result.conflicts:
        path.unlink(missing_ok=True)
        return
    files.make_private_dir(path.parent)
    body = {"file": name, "conflicts": [_conflict_record(c) for c in result.conflicts]}
    files.atomic_write(path, orjson.dumps(body, option=orjson.OPT_SORT_KEYS))


def _conflict_record(conflict: Conflict) -> dict[str, Any]:
    record: dict[str, Any] = {"path": list(conflict.path), "reason": conflict.reason}
    for side in ("ancestor", "ours", "theirs"):
        value = getattr(conflict, side)
        if value is not MISSING:
            record[side] = value
    return record


def read_conflicts(store_root: Path, name: str) -> list[Conflict]:
    """The recorded conflicts of one file (empty when none or unreadable)."""
    path = conflicts_folder(store_root) / f"{name}.json"
    try:
        body = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return []
    sides = ("ancestor", "ours", "theirs")
    return [
        Conflict(tuple(c["path"]), *(c.get(side, MISSING) for side in sides), c["reason"])
        for c in body.get("conflicts", [])
    ]


def write_conflicts(store_root: Path, name: str, conflicts: list[Conflict]) -> None:
    """Replace the recorded conflicts of one file."""
    record_conflicts(store_root, name, MergeResult({}, conflicts))


def recorded_files(store_root: Path) -> list[str]:
    """The files with recorded conflicts, sorted."""
    folder = conflicts_folder(store_root)
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".json")] for p in folder.glob("*.yaml.json"))


def forget_all(store_root: Path) -> None:
    """Drop every record (no merge is in progress any more)."""
    for name in recorded_files(store_root):
        (conflicts_folder(store_root) / f"{name}.json").unlink(missing_ok=True)
