"""The store: a folder of case files, its settings, its locks and its git history.

The store package is the only code that touches the files of a store. Commands
read through `Store.read_case` (one case) or `Store.iter_cases` (the cohort read
path) and change cases inside `Store.transaction`, which locks each case,
validates every document it is about to write, writes them atomically and
then commits exactly those files. How one file is checked is in checking.py,
how a command's changes are written in writing.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from accomp.domain.ids import CASE_ID, new_case_id, normalise_case_id
from accomp.domain.problems import Problem
from accomp.domain.settings import Settings
from accomp.errors import CaseNotFound, InvalidDocument, StoreError, UsageError
from accomp.store import cache, commits, files, git, intents, journal, yamlio
from accomp.store.checking import (
    CaseRecord,
    LocatedProblem,
    check_bytes,
    check_text,
    default_settings,
    display_path,
    first_error,
)
from accomp.store.writing import Batch, Transaction

SETTINGS_FILE = "accomp.yaml"
# What a valid record of the cohort read path carries: its whole document, one of its read
# views (domain/views.py), or nothing.
Reading = Literal["document", "problems", "cohort", "hours", "followup", "row"]
DERIVED_DIR = ".accomp"  # git-ignored: locks, caches, the pseudonymisation key
DEFAULT_STORE = "casefiles"
STORE_ENV = "ACCOMP_STORE"
PSEUDONYM_KEY = "pseudonym.key"  # in DERIVED_DIR: never committed
KEY_BYTES = 32
TEMP_FILES_SWEPT_EVERY = 24 * 3600.0  # seconds (see Store._sweep_temp_files)
CLONE_MARKER = "clone.json"  # in DERIVED_DIR: the accomp this clone's merge driver calls


def accomp_command() -> str:
    """How git (the merge driver, the pre-commit hook) calls this accomp."""
    return f"{shlex.quote(sys.executable)} -m accomp"


def find_store(explicit: str | None, cwd: Path | None = None) -> Path:
    """The store folder: `--store`, else $ACCOMP_STORE, else the nearest parent
    folder holding accomp.yaml, else ./casefiles."""
    cwd = (cwd or Path.cwd()).resolve()
    chosen = explicit or os.environ.get(STORE_ENV)
    if chosen:
        return (cwd / chosen).resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return cwd / DEFAULT_STORE


class Store:
    """A store folder: settings, case files, locks, git."""

    def __init__(self, root: Path, today: dt.date | None = None) -> None:
        self.root = root
        self.today = today or dt.date.today()
        self._settings: Settings | None = None
        self._repo: Path | bool | None = False  # False: not looked up yet
        # Files a command killed before the end of its commit had changed, put back when
        # the store was opened (store/intents.py); the command line says so.
        self.put_back: list[str] = []
        self._killed_command_recovered = False  # then its temp files are swept at once

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(cls, root: Path, today: dt.date | None = None) -> Store:
        """Open an existing store; StoreError when the folder has no accomp.yaml."""
        if not (root / SETTINGS_FILE).is_file():
            raise StoreError(
                f"no store at {display_path(root)}: {SETTINGS_FILE} not found "
                "(create one with `accomp init DIR`, or give --store DIR)"
            )
        store = cls(root, today)
        store.recover()
        return store

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    def check_settings(self) -> list[LocatedProblem]:
        """The problems of accomp.yaml (empty when it is valid)."""
        try:
            text = self._read_text(self.settings_path)
        except InvalidDocument as exc:
            return [LocatedProblem(self.settings_path, 1, 1, Problem((), exc.message))]
        _, problems = check_text(self.settings_path, text, "store", None, self.today)
        return problems

    @property
    def settings(self) -> Settings:
        """The store's settings, validated and completed with the defaults."""
        if self._settings is None:
            text = self._read_text(self.settings_path)
            folder = self.root / DERIVED_DIR / "cache"
            digest = cache.content_hash(text.encode())
            data = cache.settings_memo(folder, digest)
            if data is not None and Settings.is_complete(data):
                self._settings = Settings(data)
                return self._settings
            document, problems = check_text(self.settings_path, text, "store", None, self.today)
            errors = [p for p in problems if p.problem.severity == "error"]
            if errors:
                raise InvalidDocument(first_error(errors))
            self._settings = Settings.merged(document or {}, default_settings())
            cache.remember_settings(folder, digest, self._settings.data)
        return self._settings

    @property
    def repo(self) -> Path | None:
        """The git work tree the store is in, or None."""
        if self._repo is False:
            self._repo = git.repository_root(self.root)
        return self._repo  # type: ignore[return-value]

    # -- case files --------------------------------------------------------

    def case_path(self, case_id: str) -> Path:
        """The file of a case id (the id is checked, so no path can escape the store)."""
        if not CASE_ID.match(case_id):
            raise UsageError(f"{case_id!r} is not a case id")
        return self.root / f"{case_id}.yaml"

    def resolve_id(self, typed: str) -> str:
        """A typed case id, normalised and known to exist; UsageError/CaseNotFound otherwise."""
        try:
            case_id = normalise_case_id(typed)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not self.case_path(case_id).is_file():
            raise CaseNotFound(f"no case {case_id} in the store {display_path(self.root)}")
        return case_id

    def case_files(self) -> list[Path]:
        """Every case file of the store, sorted by case id."""
        from accomp.store.reading import case_names

        return [self.root / name for name in case_names(self.root)]

    def check_file(self, path: Path) -> CaseRecord:
        """Read and fully check one case file (schema and domain rules)."""
        try:
            data = files.read_regular(path)
        except FileNotFoundError:
            raise CaseNotFound(f"{display_path(path)}: no such file") from None
        except OSError as exc:
            raise StoreError(f"{display_path(path)}: {files.why_unreadable(exc)}") from None
        return check_bytes(path, data, self.settings, self.today)

    def iter_cases(self, read: Reading = "document") -> Iterator[CaseRecord]:
        """The cohort read path (store/reading.py): every case file, checked, in case-id order.

        Every command that reads the whole store goes through here or `iter_views`.
        `read` says what a valid record carries: its whole plain `document`, or
        nothing (`problems` only). A file is parsed and validated only when its
        content is not in the cohort cache (store/cache.py); many such files are
        parsed on all the cores, and checking one file computes all its views.
        """
        from accomp.store.reading import iter_records

        return iter_records(self, read)

    def iter_views(self, kind: Reading) -> Iterator[dict[str, Any] | CaseRecord]:
        """The read view of this kind (domain/views.py: `cohort`, `hours`, `followup`,
        `row`) of every valid case file, and the record of every invalid one, through the
        cohort read path, one shard of the cache at a time and in no useful order (the
        caller sorts what it keeps)."""
        from accomp.store.reading import iter_views

        return iter_views(self, kind)

    def map_views(self, kind: Reading, task: Any, *args: Any) -> tuple[list[Any], list[CaseRecord]]:
        """`task(views, *args)` over the valid read views of this kind, on all the cores (see
        store/reading.map_views; a domain/views.MemoisedTask is kept per shard): the task's
        results, and the records of invalid files."""
        from accomp.store.reading import map_views

        return map_views(self, kind, task, *args)

    def spool(self) -> contextlib.AbstractContextManager[Path]:
        """A private folder for the part files of workers' output (store/spool.py)."""
        from accomp.store import spool

        return spool.spool_folder(self.root / DERIVED_DIR)

    def check_paths(self, paths: list[Path]) -> Iterator[CaseRecord]:
        """Check the named files (case files, or the settings file) one by one."""
        for path in paths:
            if path.name == SETTINGS_FILE:
                yield CaseRecord(path.name, path, None, self.check_settings())
            elif not path.is_file():
                problem = Problem((), "no such file")
                yield CaseRecord(path.stem, path, None, [LocatedProblem(path, 1, 1, problem)])
            else:
                yield self.check_file(path)

    def read_case(self, case_id: str) -> dict[str, Any]:
        """The plain document of one valid case; InvalidDocument if it has errors."""
        record = self.check_file(self.case_path(case_id))
        if record.document is None:
            raise InvalidDocument(first_error(record.errors))
        return record.document

    def read_text(self, case_id: str) -> str:
        """The text of a case file as it is on disk."""
        return self._read_text(self.case_path(case_id))

    def _read_text(self, path: Path) -> str:
        try:
            data = files.read_regular(path)
        except FileNotFoundError:
            raise CaseNotFound(f"{display_path(path)}: no such file") from None
        except OSError as exc:
            raise StoreError(f"{display_path(path)}: {files.why_unreadable(exc)}") from None
        try:
            return yamlio.decode(data)
        except yamlio.YamlError as exc:
            raise InvalidDocument(f"{display_path(path)}:{exc.line}:1: {exc.message}") from None

    def new_case_id(self, year: int) -> str:
        """A free case id for `year` (random, checked against the files)."""
        return new_case_id(year, lambda candidate: self.case_path(candidate).exists())

    def schema_ref(self) -> str:
        """What the `$schema` modeline of a new case file points at, relative to the store."""
        for candidate in (self.root / "schemas", self.root.parent / "schemas"):
            if (candidate / "casefile.schema.json").is_file():
                return os.path.relpath(candidate / "casefile.schema.json", self.root)
        from accomp.resources import schema_dir

        return str(schema_dir() / "casefile.schema.json")

    def pseudonym_key(self) -> bytes:
        """The store's secret key for pseudonyms, created on first use in the git-ignored folder."""
        path = self.root / DERIVED_DIR / PSEUDONYM_KEY
        files.make_private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) != KEY_BYTES:
                raise StoreError(f"{display_path(path)} is not a pseudonymisation key") from None
            return key
        key = os.urandom(KEY_BYTES)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        return key

    def clone_is_set_up(self) -> bool:
        """Whether this clone was set up for this accomp (sync.set_up_clone): one small read,
        made by every command."""
        try:
            marker = (self.root / DERIVED_DIR / CLONE_MARKER).read_bytes()
        except OSError:
            return False
        return marker == clone_marker(accomp_command())

    def first_time(self, what: str) -> bool:
        """True the first time it is asked for `what` in this store (a marker in `.accomp/`)."""
        marker = self.root / DERIVED_DIR / what
        if marker.exists():
            return False
        try:
            files.make_private_dir(marker.parent)
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, files.FILE_MODE))
        except OSError:
            pass  # a read-only store says it again next time
        return True

    def make_output_folder(self, path: Path) -> None:
        """Create a folder for outputs outside the store (private to its owner) if missing."""
        try:
            files.make_private_dir(path)
        except OSError as exc:
            raise StoreError(f"{display_path(path)}: cannot create ({exc.strerror})") from None

    def write_output(self, path: Path, data: bytes) -> None:
        """Write an export or a report outside the store, atomically and private to its owner."""
        try:
            files.atomic_write(path, data)
        except OSError as exc:
            raise StoreError(f"{display_path(path)}: cannot write ({exc.strerror})") from None

    # -- git ---------------------------------------------------------------

    def history(self, case_id: str, patch: bool = False) -> list[git.LogEntry]:
        """The commits that touched a case file, newest first."""
        if self.repo is None:
            raise StoreError(
                f"the store {display_path(self.root)} is not in a git repository: no history"
            )
        return git.file_history(self.repo, self.case_path(case_id), patch)

    def refuse_if_unfinished(self) -> None:
        """StoreError when a merge (or a rebase…) is unfinished in the store's repository:
        writing then would mix a command's change into the merge, or fail half-way."""
        operation = git.operation_in_progress(self.root)
        if operation is None:
            return
        if operation == "merge":
            raise StoreError(
                "a merge is in progress: nothing was written; see `accomp conflicts`, settle "
                "each with `accomp resolve`, or abandon the merge with `git merge --abort`"
            )
        raise StoreError(
            f"a git {operation} is in progress: nothing was written; finish it with git first"
        )

    # -- writing -----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(
        self, message: str, author: str | None = None, commit: bool = True
    ) -> Iterator[Transaction]:
        """Change case files: lock, edit, validate, write atomically, then commit once.

        If anything in the block raises, or a changed document would not
        validate, nothing is written.
        """
        self.refuse_if_unfinished()
        with contextlib.ExitStack() as locks:
            # Shared: many single-case commands at once, but none during a batch (an import).
            locks.enter_context(self._store_lock(shared=True))
            self._sweep_temp_files()
            tx = Transaction(self, message, locks)
            yield tx
            if commit:
                # A hand edit of these cases (checked when they were opened) is committed
                # first, as its own: the audit trail must not credit it to this command.
                self.commit_hand_edits(tx.opened_paths(), author=None)
            try:
                written = tx.write_all()
            except OSError:
                tx.restore()  # a full disk half-way through several files: none stays changed
                intents.end(tx.intent)
                raise
            try:
                tx.committed = (
                    self._commit(written, tx.message, author) if commit and written else False
                )
            except StoreError as exc:
                # All or nothing, the commit included: the files go back as they were.
                tx.restore()
                if self.repo is not None:
                    commits.unstage(self.repo, written)
                intents.end(tx.intent)
                raise StoreError(f"{exc.message}; nothing was changed") from None
            intents.end(tx.intent)

    @contextlib.contextmanager
    def settings_edit(self, message: str, author: str | None = None) -> Iterator[Any]:
        """Change accomp.yaml: its round-trip document (comments kept) is validated, written
        atomically and committed; nothing is written if the block raises or it is invalid."""
        self.refuse_if_unfinished()
        with (
            self._store_lock(shared=False),
            files.locked(self.root / DERIVED_DIR / "locks" / "settings.lock", SETTINGS_FILE),
        ):
            text = self._read_text(self.settings_path)
            document = yamlio.load_round_trip(text)
            yield document
            new_text = yamlio.dump_round_trip(document, like=text)
            if new_text == text:
                return
            checked, problems = check_text(self.settings_path, new_text, "store", None, self.today)
            if checked is None:
                first = next(p for p in problems if p.problem.severity == "error")
                raise InvalidDocument(
                    f"{SETTINGS_FILE}: {first.problem.field}: "
                    f"{first.problem.message}; nothing was written"
                )
            files.atomic_write(self.settings_path, new_text.encode("utf-8"))
            self._settings = None
            self._commit([self.settings_path], message, author)

    @contextlib.contextmanager
    def batch(
        self, author: str | None = None, commit: bool = True, dry_run: bool = False
    ) -> Iterator[Batch]:
        """Change many case files as one: all of them land, or none (see store/journal.py).

        The store is locked exclusively for the whole batch. Documents are
        validated and staged one by one, so memory does not grow with the batch.
        A batch that raises, or that the caller abandons, writes nothing.
        """
        if not dry_run:
            self.refuse_if_unfinished()
        with self._store_lock(shared=False, timeout=60.0):
            folder = None if dry_run else journal.new_staging_folder(self._journal_root)
            batch = Batch(self, folder)
            try:
                yield batch
            except BaseException:
                if folder is not None:
                    journal.discard(folder)
                raise
            if folder is None:
                return
            if batch.abandoned or not batch.names:
                journal.discard(folder)
                return
            manifest = journal.Manifest(batch.names, batch.message, author, commit)
            journal.decide(folder, manifest)
            batch.committed = self._finish_batch(folder, manifest)

    @property
    def _journal_root(self) -> Path:
        return self.root / DERIVED_DIR / "journal"

    def _finish_batch(self, folder: Path, manifest: journal.Manifest) -> bool:
        targets = journal.apply(folder, self.root, manifest)
        committed = False
        if manifest.commit:
            committed = self._commit(targets, manifest.message, manifest.author)
        journal.discard(folder)
        return committed

    @property
    def intents_folder(self) -> Path:
        return self.root / DERIVED_DIR / intents.INTENTS_DIR

    def recover(self) -> None:
        """Finish the decided batches a killed command left, and drop the undecided ones;
        undo what a command killed before the end of its commit wrote (store/intents.py)."""
        if intents.pending(self.intents_folder):
            with self._store_lock(shared=False, timeout=60.0):
                restored = intents.recover(self.intents_folder, self.root, self.repo)
            self.put_back += restored
            self._killed_command_recovered = True
        if not journal.pending(self._journal_root):  # one stat: the usual case
            return
        self._killed_command_recovered = True
        with self._store_lock(shared=False, timeout=60.0):
            for folder in journal.pending(self._journal_root):
                manifest = journal.read_manifest(folder)
                if manifest is None:
                    journal.discard(folder)
                else:
                    self._finish_batch(folder, manifest)

    def _sweep_temp_files(self) -> None:
        """Delete the temp files of a command killed mid-write. Only such a command leaves
        them, and listing a department's folder takes 30 ms: so the sweep runs after a
        recovery (a killed transaction or batch), and otherwise once a day (a killed
        settings edit, or a copy of the store taken mid-write)."""
        stamp = self.root / DERIVED_DIR / "locks" / "temp-files-swept"
        if not self._killed_command_recovered:
            try:
                if time.time() - stamp.stat().st_mtime < TEMP_FILES_SWEPT_EVERY:
                    return
            except OSError:
                pass
        files.remove_stale_temp_files(self.root)
        self._killed_command_recovered = False
        with contextlib.suppress(OSError):
            os.close(os.open(stamp, os.O_WRONLY | os.O_CREAT, 0o600))  # private, as all of .accomp
            os.utime(stamp)

    def _store_lock(self, shared: bool, timeout: float = 10.0) -> Any:
        what = "the store" if shared else "the store (for a batch)"
        lock = self.root / DERIVED_DIR / "locks" / "store.lock"
        return files.locked(lock, what, timeout, shared)

    def commit_hand_edits(self, paths: list[Path], author: str | None) -> list[str]:
        """Commit the case files among `paths` changed by hand since the last commit, as
        "edit ID by hand" (the author git knows, unless `author`); returns their case ids.
        The caller has validated them."""
        if self.repo is None or not paths:
            return []
        dirty = commits.changed_paths(self.repo, paths)
        if not dirty:
            return []
        case_ids = sorted(p.stem for p in dirty if p.name != SETTINGS_FILE)
        named = ", ".join(case_ids) if case_ids else SETTINGS_FILE
        self._commit(dirty, f"edit {named} by hand", author)
        return case_ids

    def _commit(self, paths: list[Path], message: str, author: str | None) -> bool:
        if self.repo is None:
            return False
        with files.locked(self.root / DERIVED_DIR / "locks" / "git.lock", "the store's git index"):
            return commits.commit_paths(self.repo, paths, message, author)

    def lock_path(self, case_id: str) -> Path:
        return self.root / DERIVED_DIR / "locks" / f"{case_id}.lock"


def clone_marker(command: str) -> bytes:
    """What the clone marker holds (compared as bytes: no JSON parse at start-up)."""
    import json

    return json.dumps({"command": command}, sort_keys=True).encode()
