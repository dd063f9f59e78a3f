"""The store: a folder of case files, its settings, its locks and its git history.

This module is the only one that touches the files of a store. Commands read
through `Store.read_case` (one case) or `Store.iter_cases` (the cohort read
path) and change cases inside `Store.transaction`, which locks each case,
validates every document it is about to write, writes them atomically and
then commits exactly those files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from accomp.domain.checks import case_problems, stable_until
from accomp.domain.ids import CASE_ID, new_case_id, normalise_case_id
from accomp.domain.problems import Problem
from accomp.domain.settings import Settings
from accomp.errors import CaseNotFound, DocumentRefused, InvalidDocument, StoreError, UsageError
from accomp.store import cache, files, git, journal, yamlio
from accomp.store.schema import schema_problems

SETTINGS_FILE = "accomp.yaml"
Reading = Literal["document", "view", "problems"]
DERIVED_DIR = ".accomp"  # git-ignored: locks, caches, the pseudonymisation key
DEFAULT_STORE = "casefiles"
STORE_ENV = "ACCOMP_STORE"
PSEUDONYM_KEY = "pseudonym.key"  # in DERIVED_DIR: never committed
KEY_BYTES = 32
SCHEMA_MODELINE = "yaml-language-server: $schema={ref}"


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


def display_path(path: Path) -> str:
    """A path as users should see it in messages: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class LocatedProblem:
    """A Problem with the file, line and column it is at."""

    file: Path
    line: int
    column: int
    problem: Problem

    def render(self) -> str:
        """`path:line:col: field: message`, with `warning:` before the message of a warning."""
        severity = "warning: " if self.problem.severity == "warning" else ""
        return (
            f"{display_path(self.file)}:{self.line}:{self.column}: "
            f"{self.problem.field}: {severity}{self.problem.message}"
        )


@dataclass
class CaseRecord:
    """One case file as the read path sees it: its plain document, or its problems."""

    case_id: str
    path: Path
    document: dict[str, Any] | None
    problems: list[LocatedProblem] = field(default_factory=list)
    # The document whenever it passed its schema, even with domain errors (for the cache).
    parsed: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> list[LocatedProblem]:
        return [p for p in self.problems if p.problem.severity == "error"]

    @property
    def valid(self) -> bool:
        """No errors (warnings allowed)."""
        return not any(p.problem.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> list[LocatedProblem]:
        return [p for p in self.problems if p.problem.severity == "warning"]


def locate_problems(path: Path, text: str, problems: list[Problem]) -> list[LocatedProblem]:
    """Attach line and column to each problem from the file's text."""
    located = []
    for problem in problems:
        if problem.key is not None:
            line, column = yamlio.locate_key(text, problem.path, problem.key)
        else:
            line, column = yamlio.locate(text, problem.path)
        located.append(LocatedProblem(path, line, column, problem))
    return located


def check_text(
    path: Path,
    text: str,
    schema: str,
    settings: Settings | None,
    today: dt.date,
    loaded: dict[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, list[LocatedProblem]]:
    """Parse and validate one document; return (plain document or None, located problems).

    `settings` enables the domain checks of a case file; None skips them. The
    document is None when there is any error. `loaded`: the text's plain data
    when the caller has just loaded it with the fast loader (it is not parsed again).
    """
    document, problems = _checked(path, text, schema, settings, today, loaded)
    valid = not any(p.problem.severity == "error" for p in problems)
    return (document if valid else None), problems


def _checked(
    path: Path,
    text: str,
    schema: str,
    settings: Settings | None,
    today: dt.date,
    loaded: dict[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, list[LocatedProblem]]:
    """check_text, whose document is there whenever it passed its schema."""
    try:
        document = yamlio.load_fast(text) if loaded is None else loaded
    except yamlio.YamlError as exc:
        problem = Problem((), exc.message)
        return None, [LocatedProblem(path, exc.line or 1, exc.column or 1, problem)]
    if not isinstance(document, dict):
        return None, [LocatedProblem(path, 1, 1, Problem((), "the file must be a YAML mapping"))]
    problems = schema_problems(document, schema)
    if problems:
        return None, locate_problems(path, text, problems)
    if settings is not None:
        problems = case_problems(document, settings, today)
        expected = path.stem
        if document.get("case_id") != expected:
            problems.append(
                Problem(
                    ("case_id",), f"does not match the file name {path.name} (expected {expected})"
                )
            )
    return document, locate_problems(path, text, problems)


class Store:
    """A store folder: settings, case files, locks, git."""

    def __init__(self, root: Path, today: dt.date | None = None) -> None:
        self.root = root
        self.today = today or dt.date.today()
        self._settings: Settings | None = None
        self._repo: Path | bool | None = False  # False: not looked up yet

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
                raise InvalidDocument(_first_error(errors))
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
        return [path for _, path in self._named_case_files()]

    def _named_case_files(self) -> list[tuple[str, Path]]:
        # iterdir builds Paths cheaply, and each name is read once: glob and sorting
        # Path objects took 0.15 s for 10,000 files.
        named = ((path.name, path) for path in self.root.iterdir())
        return sorted(
            (name, path)
            for name, path in named
            if name.endswith(".yaml") and CASE_ID.match(name[:-5])
        )

    def check_file(self, path: Path) -> CaseRecord:
        """Read and fully check one case file (schema and domain rules)."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CaseNotFound(f"{display_path(path)}: no such file") from None
        except OSError as exc:
            raise StoreError(f"{display_path(path)}: cannot read ({exc.strerror})") from None
        return check_bytes(path, data, self.settings, self.today)

    def iter_cases(self, read: Reading = "document") -> Iterator[CaseRecord]:
        """The cohort read path: every case file, checked, in case-id order.

        Every command that reads the whole store goes through here. `read` says
        what a valid record carries: its whole plain `document`, its cohort
        `view` (summary.cohort_view), or nothing (`problems` only). A file is
        parsed and validated only when its content is not in the cohort cache
        (store/cache.py); many such files are parsed on all the cores.
        """
        # Names and string paths in this loop: it runs once per case file, and Path
        # operations cost about a tenth of a warm 10,000-case summary.
        named = self._named_case_files()
        names = [name for name, _ in named]
        folder = str(self.root)
        key = {"code": cache.code_fingerprint(), "settings": self.settings.fingerprint()}
        cohort = cache.CohortCache(self.root / DERIVED_DIR / "cache", key)
        today = self.today.isoformat()
        found: dict[str, tuple[cache.Checks, dict[str, Any] | None]] = {}
        misses: list[str] = []
        signatures: dict[str, list[int] | None] = {}
        settled_before = time.time_ns() - cache.SETTLED_SECONDS * 1_000_000_000
        for name in names:
            where = f"{folder}/{name}"
            try:
                # The signature is taken before the content is read: if the file changes
                # in between, the next run sees another signature and hashes it again.
                stat = os.stat(where)
                signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
                settled = cohort.settled(name, signature, today, view=read == "view")
                if settled is not None:
                    signatures[name] = signature
                    digest, checks = settled
                else:
                    with open(where, "rb") as handle:
                        digest = cache.content_hash(handle.read())
                    if max(stat.st_mtime_ns, stat.st_ctime_ns) < settled_before:
                        signatures[name] = signature
                        cohort.sign(name, digest, signature)
                    checks = cohort.checks(name, digest, today, view=read == "view")
            except OSError:
                misses.append(name)  # checking it reports why it cannot be read
                continue
            document = None
            if checks is not None and read == "document" and not _has_errors(checks):
                document = cohort.document(name, digest)
                if document is None:
                    checks = None
            if checks is None:
                misses.append(name)
            else:
                found[name] = (checks, document)
        # The documents of the files parsed now are kept (and cached) only when asked for:
        # a cold summary of 10,000 cases would otherwise hold them all in memory.
        parsed = _check_many(
            [self.root / name for name in misses],
            self.settings,
            self.today,
            documents=read == "document",
        )
        for name, digest, checks, document in parsed:
            found[name] = (checks, document)
            if digest:
                cohort.put(name, digest, checks, document, signatures.get(name))
        cohort.forget_missing(set(names))
        cohort.save()
        for name, path in named:
            checks, document = found[name]
            record = record_from_checks(path, checks)
            if record.valid and read != "problems":
                record.document = document if read == "document" else checks[3]
            yield record

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
            raise InvalidDocument(_first_error(record.errors))
        return record.document

    def read_text(self, case_id: str) -> str:
        """The text of a case file as it is on disk."""
        return self._read_text(self.case_path(case_id))

    def _read_text(self, path: Path) -> str:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CaseNotFound(f"{display_path(path)}: no such file") from None
        except OSError as exc:
            raise StoreError(f"{display_path(path)}: cannot read ({exc.strerror})") from None
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

    def first_time(self, what: str) -> bool:
        """True the first time it is asked for `what` in this store (a marker in `.accomp/`)."""
        marker = self.root / DERIVED_DIR / what
        if marker.exists():
            return False
        try:
            files.make_private_dir(marker.parent)
            marker.touch()
        except OSError:
            pass  # a read-only store says it again next time
        return True

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

    # -- writing -----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(
        self, message: str, author: str | None = None, commit: bool = True
    ) -> Iterator[Transaction]:
        """Change case files: lock, edit, validate, write atomically, then commit once.

        If anything in the block raises, or a changed document would not
        validate, nothing is written.
        """
        files.remove_stale_temp_files(self.root)
        with contextlib.ExitStack() as locks:
            # Shared: many single-case commands at once, but none during a batch (an import).
            locks.enter_context(self._store_lock(shared=True))
            tx = Transaction(self, message, locks)
            yield tx
            written = tx.write_all()
            tx.committed = (
                self._commit(written, tx.message, author) if commit and written else False
            )

    @contextlib.contextmanager
    def batch(
        self, author: str | None = None, commit: bool = True, dry_run: bool = False
    ) -> Iterator[Batch]:
        """Change many case files as one: all of them land, or none (see store/journal.py).

        The store is locked exclusively for the whole batch. Documents are
        validated and staged one by one, so memory does not grow with the batch.
        A batch that raises, or that the caller abandons, writes nothing.
        """
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

    def recover(self) -> None:
        """Finish the decided batches a killed command left, and drop the undecided ones."""
        if not journal.pending(self._journal_root):  # one stat: the usual case
            return
        with self._store_lock(shared=False, timeout=60.0):
            for folder in journal.pending(self._journal_root):
                manifest = journal.read_manifest(folder)
                if manifest is None:
                    journal.discard(folder)
                else:
                    self._finish_batch(folder, manifest)

    def _store_lock(self, shared: bool, timeout: float = 10.0) -> Any:
        what = "the store" if shared else "the store (for a batch)"
        lock = self.root / DERIVED_DIR / "locks" / "store.lock"
        return files.locked(lock, what, timeout, shared)

    def _commit(self, paths: list[Path], message: str, author: str | None) -> bool:
        if self.repo is None:
            return False
        with files.locked(self.root / DERIVED_DIR / "locks" / "git.lock", "the store's git index"):
            return git.commit_paths(self.repo, paths, message, author)

    def lock_path(self, case_id: str) -> Path:
        return self.root / DERIVED_DIR / "locks" / f"{case_id}.lock"


@dataclass
class _Edit:
    case_id: str
    path: Path
    original: str | None  # None for a new case
    document: Any  # the round-trip document being changed (None until one is needed)
    before: dict[str, Any] | None  # the plain document as it was (None for a new case)
    text: str | None = None  # the new text, while only entries were appended (append_text)
    plain: dict[str, Any] | None = None  # the plain data of `text`


class Transaction:
    """The cases one command changes; see Store.transaction."""

    def __init__(self, store: Store, message: str, locks: contextlib.ExitStack) -> None:
        self.store = store
        self.message = message
        self.committed = False
        self._locks = locks
        self._edits: dict[str, _Edit] = {}

    def open(self, case_id: str) -> dict[str, Any]:
        """Lock a case and check it as it is; returns its plain data."""
        if case_id not in self._edits:
            self._locks.enter_context(
                files.locked(self.store.lock_path(case_id), f"case {case_id}")
            )
            path = self.store.case_path(case_id)
            # Check the file as it is before changing it, so that a problem already
            # in the file is reported with its line, not blamed on this command.
            record = self.store.check_file(path)
            if record.document is None:
                raise InvalidDocument(
                    _first_error(record.errors) + " (fix it first; see `accomp validate`)"
                )
            text = self.store.read_text(case_id)
            self._edits[case_id] = _Edit(case_id, path, text, None, record.document)
        return self.before(case_id)

    def edit(self, case_id: str) -> Any:
        """Lock a case and return its round-trip document to change in place."""
        self.open(case_id)
        edit = self._edits[case_id]
        if edit.document is None:
            edit.document = yamlio.load_round_trip(edit.text or edit.original or "")
            edit.text = edit.plain = None
        return edit.document

    def append(self, case_id: str, key: str, entry: dict[str, Any]) -> None:
        """Add an entry at the end of a top-level list of a case (contacts, activities…).

        Appended as text when the file allows it (yamlio.append_text: no
        round-trip parse, every other byte kept), else through the round trip.
        """
        self.open(case_id)
        edit = self._edits[case_id]
        if edit.document is None:
            current = edit.plain or edit.before or {}
            expected = {**current, key: [*current.get(key, []), yamlio.to_plain(entry)]}
            text = yamlio.append_text(edit.text or edit.original or "", key, entry, expected)
            if text is not None:
                edit.text, edit.plain = text, expected
                return
        yamlio.append(self.edit(case_id)[key], entry)

    def replace(self, case_id: str, plain: dict[str, Any]) -> Any:
        """Replace a case being edited by `plain` data, rewritten from scratch (no comments)."""
        edit = self._edits[case_id]
        fields = {k: v for k, v in plain.items() if k not in ("schema_version", "case_id")}
        edit.document = new_case_document(self.store, case_id, yamlio.with_dates(fields))
        edit.text = edit.plain = None
        return edit.document

    def before(self, case_id: str) -> dict[str, Any]:
        """The plain data of a case being edited, as it was before this transaction."""
        before = self._edits[case_id].before
        if before is None:
            raise KeyError(case_id)
        return before

    def create(self, year: int, document: dict[str, Any]) -> str:
        """Add a new case; returns its new id. `document` has no case_id yet."""
        for _ in range(10):
            case_id = self.store.new_case_id(year)
            self._locks.enter_context(
                files.locked(self.store.lock_path(case_id), f"case {case_id}")
            )
            if not self.store.case_path(case_id).exists():  # taken while we waited for the lock
                break
        else:
            raise StoreError("could not reserve a new case id")
        rt = new_case_document(self.store, case_id, document)
        self._edits[case_id] = _Edit(case_id, self.store.case_path(case_id), None, rt, None)
        return case_id

    def write_all(self) -> list[Path]:
        """Validate every changed document, then write them; returns the paths written."""
        pending: list[tuple[Path, bytes]] = []
        for edit in self._edits.values():
            if edit.document is not None:
                text = checked_text(self.store, edit.path, edit.document, edit.original)
            elif edit.text is not None:
                text = validated_text(self.store, edit.path, edit.text, edit.plain)
            else:
                continue  # opened, not changed
            if text is not None:
                pending.append((edit.path, text.encode("utf-8")))
        for path, data in pending:
            files.atomic_write(path, data)
        return [path for path, _ in pending]


# A case file holds a few kilobytes; anything this large is not one (and parsing it would
# take the time of a whole store).
MAX_CASE_FILE_BYTES = 2 * 1024 * 1024


def check_bytes(path: Path, data: bytes, settings: Settings, today: dt.date) -> CaseRecord:
    """Decode, parse and fully check the bytes of one case file."""
    if len(data) > MAX_CASE_FILE_BYTES:
        size = f"{len(data) / 1024 / 1024:.1f} MB"
        problem = Problem((), f"the file is too large ({size}; a case file is at most 2 MB)")
        return CaseRecord(path.stem, path, None, [LocatedProblem(path, 1, 1, problem)])
    try:
        text = yamlio.decode(data)
    except yamlio.YamlError as exc:
        problem = Problem((), exc.message)
        return CaseRecord(path.stem, path, None, [LocatedProblem(path, exc.line or 1, 1, problem)])
    parsed, problems = _checked(path, text, "casefile", settings, today)
    record = CaseRecord(path.stem, path, None, problems, parsed)
    if record.valid:
        record.document = parsed
    return record


def record_checks(record: CaseRecord, settings: Settings, today: dt.date) -> cache.Checks:
    """A checked record as the cache keeps it: the days it holds, its problems, its cohort view."""
    from accomp.domain.summary import cohort_view

    problems = [
        [
            p.line,
            p.column,
            list(p.problem.path),
            p.problem.message,
            p.problem.severity,
            p.problem.key,
        ]
        for p in record.problems
    ]
    document = record.parsed
    if document is None:  # unreadable or not schema-valid: nothing here depends on the day
        return [today.isoformat(), dt.date.max.isoformat(), problems, None]
    until = stable_until(document, settings, today)
    view = cohort_view(document, settings, today) if record.valid else None
    return [today.isoformat(), until.isoformat(), problems, view]


def _has_errors(checks: cache.Checks) -> bool:
    return any(severity == "error" for _, _, _, _, severity, _ in checks[2])


def record_from_checks(path: Path, checks: cache.Checks) -> CaseRecord:
    """The record (without its document) back from its cached checks."""
    if not checks[2]:
        return CaseRecord(path.name[:-5], path, None)
    located = [
        LocatedProblem(path, line, column, Problem(tuple(where), message, severity, key))
        for line, column, where, message, severity, key in checks[2]
    ]
    return CaseRecord(path.stem, path, None, located)


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 200
Checked = tuple[str, str, cache.Checks, dict[str, Any] | None]


def _check_paths(
    paths: list[str], settings_data: dict[str, Any], today: str, documents: bool
) -> list[Checked]:
    """Check files (in a worker process): name, content hash, cached checks, plain document
    (None when `documents` is false)."""
    settings, day = Settings(settings_data), dt.date.fromisoformat(today)
    results = []
    for name in paths:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            problem = Problem((), f"cannot read ({exc.strerror})")
            record = CaseRecord(path.stem, path, None, [LocatedProblem(path, 1, 1, problem)])
            results.append((path.name, "", record_checks(record, settings, day), None))
            continue
        record = check_bytes(path, data, settings, day)
        checks = record_checks(record, settings, day)
        document = record.document if record.valid and documents else None
        results.append((path.name, cache.content_hash(data), checks, document))
    return results


def _check_many(
    paths: list[Path], settings: Settings, today: dt.date, documents: bool
) -> Iterator[Checked]:
    """Check many files, on all the cores when there are enough of them."""
    names = [str(p) for p in paths]
    workers = min(os.cpu_count() or 1, 8)
    if len(names) < PARALLEL_FROM or workers < 2:
        yield from _check_paths(names, settings.data, today.isoformat(), documents)
        return
    import concurrent.futures
    import multiprocessing

    chunk = max(50, len(names) // (workers * 8))
    chunks = [names[i : i + chunk] for i in range(0, len(names), chunk)]
    # fork: the workers start at once with accomp already imported (Linux).
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        n = len(chunks)
        for results in pool.map(
            _check_paths, chunks, [settings.data] * n, [today.isoformat()] * n, [documents] * n
        ):
            yield from results


def checked_text(store: Store, path: Path, document: Any, original: str | None) -> str | None:
    """The text of a changed document, validated (schema and domain rules); None if unchanged.

    Raises DocumentRefused naming the first error: nothing may be written then.
    """
    text = yamlio.dump_round_trip(document, like=original)
    if text == original:
        return None
    return validated_text(store, path, text)


def validated_text(
    store: Store, path: Path, text: str, loaded: dict[str, Any] | None = None
) -> str:
    """The new text of a case file, once it passed the schema and the domain rules.

    Raises DocumentRefused naming the first error: nothing may be written then.
    `loaded`: the plain data the text was just loaded as (see check_text).
    """
    _, problems = check_text(path, text, "casefile", store.settings, store.today, loaded)
    errors = [p.problem for p in problems if p.problem.severity == "error"]
    if errors:
        raise DocumentRefused(path.stem, errors[0].field, errors[0].message)
    return text


def new_case_document(store: Store, case_id: str, document: dict[str, Any]) -> Any:
    """The round-trip document of a new case: modeline, schema version and case id first."""
    rt = yamlio.to_round_trip({"schema_version": 1, "case_id": case_id, **document})
    rt.yaml_set_start_comment(SCHEMA_MODELINE.format(ref=store.schema_ref()))
    return rt


class Batch:
    """The cases one batch (an import) creates and changes; see Store.batch."""

    def __init__(self, store: Store, folder: Path | None) -> None:
        self.store = store
        self.message = "batch"
        self.names: list[str] = []
        self.abandoned = False
        self.committed = False
        self._folder = folder  # None: a dry run, nothing is staged
        self._texts: dict[str, str] = {}  # a dry run keeps what it would have staged
        self._schema_ref = store.schema_ref()

    def abandon(self) -> None:
        """Write nothing of this batch."""
        self.abandoned = True

    @property
    def staging(self) -> bool:
        """Whether this batch will write (False: a dry run)."""
        return self._folder is not None

    def create(self, year: int, document: dict[str, Any]) -> str:
        """Validate and stage a new case; returns its new id. DocumentRefused if invalid."""
        while True:
            case_id = self.store.new_case_id(year)
            if f"{case_id}.yaml" not in self.names and case_id not in self._texts:
                break
        rt = new_case_document(self.store, case_id, document)
        text = checked_text(self.store, self.store.case_path(case_id), rt, None)
        assert text is not None
        self._stage(case_id, text)
        return case_id

    def current(self, case_id: str) -> tuple[str, dict[str, Any]]:
        """The text and plain data of a case as this batch sees it (staged or on disk)."""
        name = f"{case_id}.yaml"
        if case_id in self._texts:
            text = self._texts[case_id]
        elif self._folder is not None and name in self.names:
            text = (self._folder / name).read_text(encoding="utf-8")
        else:
            text = self.store.read_text(case_id)
        document, problems = check_text(
            self.store.case_path(case_id), text, "casefile", self.store.settings, self.store.today
        )
        if document is None:
            raise InvalidDocument(
                _first_error([p for p in problems if p.problem.severity == "error"])
            )
        return text, document

    def stage_edit(self, case_id: str, text: str, document: Any) -> bool:
        """Validate and stage a changed case (round-trip `document` loaded from `text`).

        Returns False when the document did not change. DocumentRefused if invalid.
        """
        changed = checked_text(self.store, self.store.case_path(case_id), document, text)
        if changed is None:
            return False
        self._stage(case_id, changed)
        return True

    def _stage(self, case_id: str, text: str) -> None:
        name = f"{case_id}.yaml"
        if self._folder is None:
            self._texts[case_id] = text
        else:
            journal.stage(self._folder, name, text.encode("utf-8"))
        if name not in self.names:
            self.names.append(name)


def _first_error(errors: list[LocatedProblem]) -> str:
    if not errors:
        return "invalid document"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return errors[0].render() + more


_DEFAULTS: dict[str, Any] | None = None


def default_settings() -> dict[str, Any]:
    """accomp's default settings, parsed from the packaged defaults file."""
    global _DEFAULTS
    if _DEFAULTS is None:
        from accomp.resources import defaults_text

        _DEFAULTS = yamlio.load_fast(defaults_text())
    return _DEFAULTS
