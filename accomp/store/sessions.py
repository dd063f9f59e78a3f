"""Session files: `sessions/<id>.yaml` in the store, read and checked like case files.

A session names no person (its attendees are case ids), so it is committed
like any case file; it is written only through a Transaction (writing.py), so
that a session and its attendees' cases change together or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from accomp.domain.problems import Problem, error
from accomp.domain.sessions import SESSION_ID, session_problems
from accomp.errors import InvalidDocument, UsageError
from accomp.store import files, yamlio
from accomp.store.checking import LocatedProblem, first_error, locate_problems
from accomp.store.schema import schema_problems

if TYPE_CHECKING:
    from accomp.store.store import Store

SESSIONS_DIR = "sessions"


def session_path(store: Store, session_id: str) -> Path:
    """The file of a session id (checked, so that no path escapes the store)."""
    if not SESSION_ID.match(session_id):
        raise UsageError(f"{session_id!r} is not a session id (like 2026-11-26-1)")
    return store.root / SESSIONS_DIR / f"{session_id}.yaml"


def session_ids(store: Store) -> list[str]:
    """Every session of the store, sorted (by day, then number)."""
    folder = store.root / SESSIONS_DIR
    found = [p.stem for p in folder.glob("*.yaml")] if folder.is_dir() else []
    return sorted((s for s in found if SESSION_ID.match(s)), key=_order)


def _order(session_id: str) -> tuple[str, int]:
    day, number = session_id.rsplit("-", 1)
    return day, int(number)


def check_session_text(
    store: Store, path: Path, text: str
) -> tuple[dict[str, Any] | None, list[LocatedProblem]]:
    """A session file's plain data (None if it has an error) and its located problems."""
    try:
        document = yamlio.load_fast(text)
    except yamlio.YamlError as exc:
        problem = Problem((), exc.message)
        return None, [LocatedProblem(path, exc.line or 1, exc.column or 1, problem)]
    if not isinstance(document, dict):
        return None, [LocatedProblem(path, 1, 1, Problem((), "the file must be a YAML mapping"))]
    problems = schema_problems(document, "session")
    if not problems:
        problems = session_problems(document, store.settings.activity_kinds)
        if document.get("session_id") != path.stem:
            problems.append(error(("session_id",), f"does not match the file name {path.name}"))
    located = locate_problems(path, text, problems)
    valid = not any(p.problem.severity == "error" for p in located)
    return (document if valid else None), located


def check_session_file(
    store: Store, path: Path
) -> tuple[str, dict[str, Any] | None, list[LocatedProblem]]:
    """A session file's text, its plain data (None with an error) and its problems (an
    unreadable file is a problem too)."""
    try:
        text = yamlio.decode(files.read_regular(path))
    except OSError as exc:
        return "", None, [LocatedProblem(path, 1, 1, Problem((), files.why_unreadable(exc)))]
    except yamlio.YamlError as exc:
        return "", None, [LocatedProblem(path, exc.line or 1, 1, Problem((), exc.message))]
    return text, *check_session_text(store, path, text)


def read_session_text(store: Store, session_id: str) -> tuple[str, dict[str, Any]]:
    """A session's text and plain data; a one-line error naming the file, line and field
    when it is missing, unreadable or invalid."""
    path = session_path(store, session_id)
    if not path.is_file():
        raise UsageError(f"no session {session_id} (see `accomp session list`)")
    text, document, problems = check_session_file(store, path)
    if document is None:
        errors = [p for p in problems if p.problem.severity == "error"]
        raise InvalidDocument(f"{first_error(errors)} (fix it first)")
    return text, document


def read_session(store: Store, session_id: str) -> dict[str, Any]:
    """A session's plain data (see read_session_text)."""
    return read_session_text(store, session_id)[1]


def read_sessions(store: Store) -> list[dict[str, Any]]:
    """Every session, checked (the first invalid one is an error naming its file)."""
    return [read_session(store, session_id) for session_id in session_ids(store)]
