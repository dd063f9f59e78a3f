"""Writing case files: the transaction of one command and the batch of an import.

A Transaction locks each case it opens, keeps the text and data it had, and
on leaving validates every changed document before writing any (atomically).
A Batch validates and stages documents one by one in the journal (see
journal.py). Both are opened by the Store (`Store.transaction`, `Store.batch`),
which commits what they wrote.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accomp.domain import entries
from accomp.errors import DocumentRefused, InvalidDocument, StoreError
from accomp.store import files, intents, journal, yamlio
from accomp.store.checking import check_text, first_error

if TYPE_CHECKING:
    from accomp.store.store import Store

SCHEMA_MODELINE = "yaml-language-server: $schema={ref}"


@dataclass
class _Edit:
    case_id: str
    path: Path
    original: str | None  # None for a new case
    document: Any  # the round-trip document being changed (None until one is needed)
    before: dict[str, Any] | None  # the plain document as it was (None for a new case)
    text: str | None = None  # the new text, while only entries were appended (append_text)
    plain: dict[str, Any] | None = None  # the plain data of `text`


@dataclass
class _SessionEdit:
    path: Path
    original: str | None  # None for a new session
    plain: dict[str, Any] | None  # its data as it was (None for a new session)
    document: Any = None  # the round-trip document (None until one is needed)


class Transaction:
    """The cases one command changes; see Store.transaction."""

    def __init__(self, store: Store, message: str, locks: contextlib.ExitStack) -> None:
        self.store = store
        self.message = message
        self.committed = False
        self._locks = locks
        self._edits: dict[str, _Edit] = {}
        # Session files changed with the cases (sessions.py).
        self._sessions: dict[str, _SessionEdit] = {}
        self._pre_images: list[tuple[Path, bytes | None]] = []
        self.intent: Path | None = None  # what a killed command wrote, to undo (intents.py)

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
                    first_error(record.errors) + " (fix it first; see `accomp validate`)"
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

    def append(self, case_id: str, key: str, entry: dict[str, Any]) -> tuple[str, int] | None:
        """Add an entry at the end of a top-level list of a case (contacts, activities…).

        Appended as text when the file allows it (yamlio.append_text: no
        round-trip parse, every other byte kept), else through the round trip.
        Returns the entry's id and its number (from 1 in date order), for the
        lists whose entries carry ids.
        """
        self.open(case_id)
        edit = self._edits[case_id]
        current = edit.plain or edit.before or {}
        listed = [*current.get(key, []), yamlio.to_plain(entry)]
        added = None
        if key in entries.ENTRY_LISTS:
            # The id the write gives it (domain/entries.py): derived, so the same here and there.
            entries.assign_ids(key, listed)
            entry = {"id": listed[-1]["id"], **entry}
            added = (listed[-1]["id"], entries.entry_number(listed, len(listed) - 1))
        if edit.document is None and not entries.needs_upgrade(current):
            expected = {**current, key: listed}
            text = yamlio.append_text(edit.text or edit.original or "", key, entry, expected)
            if text is not None:
                edit.text, edit.plain = text, expected
                return added
        yamlio.append(self.edit(case_id)[key], entry)
        return added

    def replace(self, case_id: str, plain: dict[str, Any]) -> Any:
        """Replace a case being edited by `plain` data, rewritten from scratch (no comments)."""
        edit = self._edits[case_id]
        fields = {k: v for k, v in plain.items() if k not in ("schema_version", "case_id")}
        edit.document = new_case_document(self.store, case_id, yamlio.with_dates(fields))
        edit.text = edit.plain = None
        return edit.document

    def _lock_session(self, session_id: str) -> Path:
        from accomp.store import sessions

        path = sessions.session_path(self.store, session_id)
        lock = self.store.lock_path(f"session-{session_id}")
        self._locks.enter_context(files.locked(lock, f"session {session_id}"))
        return path

    def open_session(self, session_id: str) -> dict[str, Any]:
        """Lock a session file and check it as it is (read once); returns its plain data, on
        which the command's rules then run, under the lock."""
        from accomp.store import sessions

        if session_id not in self._sessions:
            path = self._lock_session(session_id)
            text, plain = sessions.read_session_text(self.store, session_id)
            self._sessions[session_id] = _SessionEdit(path, text, plain)
        plain = self._sessions[session_id].plain
        if plain is None:
            raise KeyError(session_id)  # created by this transaction: there is no "before"
        return plain

    def create_session(self, session_id: str, document: dict[str, Any]) -> None:
        """Add a new session file from plain data (refused if the id is taken)."""
        path = self._lock_session(session_id)
        if path.exists():
            raise StoreError(f"session {session_id} exists already")
        rt = yamlio.to_round_trip(yamlio.with_dates(document))
        schemas = (self.store.root / self.store.schema_ref()).parent
        ref = os.path.relpath(schemas / "session.schema.json", path.parent)
        rt.yaml_set_start_comment(SCHEMA_MODELINE.format(ref=ref))
        self._sessions[session_id] = _SessionEdit(path, None, None, rt)

    def session(self, session_id: str) -> Any:
        """The round-trip document of a session opened (open_session), to change in place."""
        self.open_session(session_id)
        edit = self._sessions[session_id]
        if edit.document is None:
            edit.document = yamlio.load_round_trip(edit.original or "")
        return edit.document

    def opened_paths(self) -> list[Path]:
        """The existing case files this transaction opened (new cases left out)."""
        return [edit.path for edit in self._edits.values() if edit.original is not None]

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
        pending += self._session_texts()
        if pending:  # killed from here to the end of the commit: undone (store/intents.py)
            self.intent = intents.begin(self.store.intents_folder, self.store.root, pending)
        for path, data in pending:
            # The bytes as they were, to put back if the commit fails (the case is locked).
            self._pre_images.append((path, path.read_bytes() if path.exists() else None))
            files.make_private_dir(path.parent)  # sessions/ for a store's first session
            files.atomic_write(path, data)
        return [path for path, _ in pending]

    def _session_texts(self) -> list[tuple[Path, bytes]]:
        """The changed session files, each validated (schema and rules) before any is written."""
        from accomp.store import sessions

        texts = []
        for edit in self._sessions.values():
            path, original, document = edit.path, edit.original, edit.document
            if document is None:
                continue  # opened, not changed
            text = yamlio.dump_round_trip(document, like=original)
            if text == original:
                continue
            plain, problems = sessions.check_session_text(self.store, path, text)
            if plain is None:
                errors = [p for p in problems if p.problem.severity == "error"]
                raise InvalidDocument(f"{first_error(errors)}; nothing was written")
            texts.append((path, text.encode("utf-8")))
        return texts

    def restore(self) -> None:
        """Put back every file this transaction wrote, byte for byte (a new case goes)."""
        for path, before in reversed(self._pre_images):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                files.atomic_write(path, before)
        self._pre_images.clear()


def checked_text(store: Store, path: Path, document: Any, original: str | None) -> str | None:
    """The text of a changed document, validated (schema and domain rules); None if unchanged.

    Raises DocumentRefused naming the first error: nothing may be written then.
    """
    # Every write brings the file to the current schema version: each new entry, and
    # every entry of an old file, gets its id (domain/entries.py).
    entries.upgrade(document)
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
    rt = yamlio.to_round_trip(
        {"schema_version": entries.SCHEMA_VERSION, "case_id": case_id, **document}
    )
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
                first_error([p for p in problems if p.problem.severity == "error"])
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
