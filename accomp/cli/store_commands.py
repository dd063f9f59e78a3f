"""Commands on the store as a whole: init, validate, history."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from accomp.cli import app
from accomp.cli.common import AS_OPTION, CASE_ARGUMENT, FORMAT_OPTION, author, open_store
from accomp.errors import EXIT_CHECK_FAILED, UsageError
from accomp.render import Format, render_rows
from accomp.store import sessions as session_files
from accomp.store.checking import LocatedProblem, display_path
from accomp.store.init import create_store
from accomp.store.store import SETTINGS_FILE


@app.command()
def init(
    directory: Path = typer.Argument(..., metavar="DIR", help="The folder of the new store."),
    encrypted: bool = typer.Option(
        False, "--encrypted", help="Keep case and session files encrypted at rest (git-crypt)."
    ),
    gpg_keys: list[Path] = typer.Option(
        None,
        "--gpg-key",
        metavar="PUBLIC_KEY",
        help="With --encrypted: a counsellor's exported GPG public key (repeat for each).",
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Create a store: commented accomp.yaml, schemas, .gitignore, git repository and hook."""
    if gpg_keys and not encrypted:
        raise UsageError("--gpg-key: give it with --encrypted")
    if encrypted:
        from accomp.store import crypt

        crypt.check_before_init(directory.resolve(), gpg_keys or [])  # before anything is written
    accomp_command = f"{sys.executable} -m accomp"
    report = create_store(directory.resolve(), accomp_command, author(as_))
    typer.echo(f"created the store {display_path(report.root)}")
    if encrypted:
        given = crypt.start(report.root, gpg_keys or [], author(as_))
        typer.echo(f"  case and session files are encrypted at rest; key given to {len(given)} "
                   "GPG key(s) (see `accomp crypt status`)")  # fmt: skip
    if report.git_initialised:
        typer.echo("  started a git repository with a pre-commit hook that validates case files")
    elif report.repo is None:
        typer.echo(
            "accomp: note: git is not available: the store works, but changes have no audit trail",
            err=True,
        )
    typer.echo(
        f"  edit {display_path(report.root / SETTINGS_FILE)} to set your programmes and referents"
    )


@app.command()
def validate(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        None, metavar="[FILE]...", help="Case files (default: all)."
    ),
    all_: bool = typer.Option(
        False, "--all", help="Every case file of the store, and accomp.yaml."
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text (one line per problem) or json."),
) -> None:
    """Check case files against the schema and the domain rules.

    Each problem is one line `path:line:col: field: message`, errors first, then
    warnings. Exits 1 when there is an error.
    """
    if fmt not in ("text", "json"):
        raise UsageError("--format: must be text or json")
    if paths and all_:
        raise UsageError("give FILEs or --all, not both")
    # Files named from elsewhere (the pre-commit framework runs at the top of a larger
    # repository) find their store from their own folder.
    store = open_store(ctx, Path(paths[0]).resolve().parent if paths else None)
    problems: list[LocatedProblem] = []
    settings_problems = store.check_settings()
    problems += settings_problems
    checked = 0  # the files named (or every case file), the settings apart
    targets = [Path(p) for p in paths] if paths else None
    if not any(p.problem.severity == "error" for p in settings_problems):
        for record in store.check_paths(targets) if targets else store.iter_cases("problems"):
            if record.path.name != SETTINGS_FILE:  # its problems are already in
                problems += record.problems
            checked += 1
        if not targets:  # the collective sessions too (sessions/*.yaml)
            for session_id in session_files.session_ids(store):
                path = session_files.session_path(store, session_id)
                problems += session_files.check_session_file(store, path)[2]
                checked += 1
    errors = [p for p in problems if p.problem.severity == "error"]
    warnings = [p for p in problems if p.problem.severity == "warning"]
    if fmt == "json":
        rows = [
            {
                "file": display_path(p.file),
                "line": p.line,
                "column": p.column,
                "field": p.problem.field,
                "severity": p.problem.severity,
                "message": p.problem.message,
            }
            for p in errors + warnings
        ]
        typer.echo(render_rows(rows, list(rows[0]) if rows else [], Format.json), nl=False)
    else:
        for problem in errors + warnings:
            typer.echo(problem.render())
    named_settings = any(t.name == SETTINGS_FILE for t in targets or [])
    what = f"{checked} file(s)" if named_settings else f"{checked} file(s) and {SETTINGS_FILE}"
    typer.echo(
        f"accomp: checked {what}: {len(errors)} error(s), {len(warnings)} warning(s)", err=True
    )
    if errors:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command()
def history(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    patch: bool = typer.Option(False, "--patch", "-p", help="Show what each commit changed."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The audit trail of one case: every commit that touched its file, newest first."""
    store = open_store(ctx)
    ident = store.resolve_id(case_id)
    entries = store.history(ident, patch)
    if patch:
        for entry in entries:
            typer.echo(f"commit {entry.commit}\nDate:   {entry.date}\nAuthor: {entry.author}\n")
            typer.echo(f"    {entry.message}\n")
            if entry.patch:
                typer.echo(entry.patch + "\n")
        return
    rows = [
        {"date": e.date, "author": e.author, "message": e.message, "commit": e.commit[:10]}
        for e in entries
    ]
    typer.echo(render_rows(rows, ["date", "author", "message", "commit"], fmt), nl=False)
