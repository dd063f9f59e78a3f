"""Checking case files: parse, validate (schema and domain rules), locate problems.

The read path's stages for one file (decode, parse, schema, domain rules, a
line and column for each problem) and for many (on all the cores), and the
form in which the cohort cache keeps what they found. No locks, no writes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accomp.domain.checks import case_problems, stable_until
from accomp.domain.problems import Problem
from accomp.domain.settings import Settings
from accomp.store import cache, files, progress, yamlio
from accomp.store.schema import schema_problems


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
    if not problems:
        return []
    # One pass over the text for all its problems, along the branches they are in.
    wanted = [p.path if p.key is None else [*p.path, p.key] for p in problems]
    positions = yamlio.Positions(text, wanted, loads=True)  # problems are of loaded data
    located = []
    for problem in problems:
        if problem.key is not None:
            line, column = positions.locate_key(problem.path, problem.key)
        else:
            line, column = positions.locate(problem.path)
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
        problems = document_problems(document, path.name, settings, today)
    return document, locate_problems(path, text, problems)


def document_problems(
    document: dict[str, Any], name: str, settings: Settings, today: dt.date
) -> list[Problem]:
    """The domain problems of a schema-valid case document that is to be the file `name`."""
    problems = case_problems(document, settings, today)
    expected = name.removesuffix(".yaml")
    if document.get("case_id") != expected:
        problems.append(
            Problem(("case_id",), f"does not match the file name {name} (expected {expected})")
        )
    return problems


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
    """A checked record as the cache keeps it: the days it holds, its problems, its read views."""
    from accomp.domain.views import read_views

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
    views = read_views(document, settings, today) if record.valid else None
    return [today.isoformat(), until.isoformat(), problems, views]


def has_errors(checks: cache.Checks) -> bool:
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
    """Check files (in a worker process of check_many): a list, to be sent back whole."""
    return list(_checked_paths(paths, settings_data, today, documents))


def _checked_paths(
    paths: list[str], settings_data: dict[str, Any], today: str, documents: bool
) -> Iterator[Checked]:
    """Check files one by one: name, content hash, cached checks, plain document (None when
    `documents` is false). Lazy: the caller saves each shard of the cache as soon as its
    files are checked, so memory holds a shard's views, not those of every file to check."""
    settings, day = Settings(settings_data), dt.date.fromisoformat(today)
    for name in paths:
        path = Path(name)
        try:
            data = files.read_regular(path)
        except OSError as exc:
            problem = Problem((), files.why_unreadable(exc))
            record = CaseRecord(path.stem, path, None, [LocatedProblem(path, 1, 1, problem)])
            progress.advance()
            yield (path.name, "", record_checks(record, settings, day), None)
            continue
        record = check_bytes(path, data, settings, day)
        checks = record_checks(record, settings, day)
        document = record.document if record.valid and documents else None
        progress.advance()
        yield (path.name, cache.content_hash(data), checks, document)


def check_many(
    paths: list[Path], settings: Settings, today: dt.date, documents: bool, parallel: bool = True
) -> Iterator[Checked]:
    """Check many files, on all the cores when there are enough of them (and `parallel`:
    a worker process checks its own files itself)."""
    names = [str(p) for p in paths]
    workers = min(os.cpu_count() or 1, 8)
    if len(names) < PARALLEL_FROM or workers < 2 or not parallel:
        yield from _checked_paths(names, settings.data, today.isoformat(), documents)
        return
    import concurrent.futures
    import multiprocessing

    chunk = max(50, len(names) // (workers * 8))
    chunks = [names[i : i + chunk] for i in range(0, len(names), chunk)]
    # fork: the workers start at once with accomp already imported (Linux).
    context = multiprocessing.get_context("fork")
    day = today.isoformat()
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = [pool.submit(_check_paths, part, settings.data, day, documents) for part in chunks]
        try:
            for part in parts:
                yield from progress.wait_for(part)
        finally:
            for part in parts:
                part.cancel()  # a reader that stopped early waits for no more


def first_error(errors: list[LocatedProblem]) -> str:
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
