"""What the commands share: opening the store, typed options, parsing typed values."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import typer

from accomp.domain.dates import parse_date
from accomp.errors import UsageError
from accomp.render import Format
from accomp.store.store import DERIVED_DIR, Store, find_store

TODAY_ENV = "ACCOMP_TODAY"  # YYYY-MM-DD: run as if today were that day (demos, tests)
USER_ENV = "ACCOMP_USER"

AS_OPTION = typer.Option(
    None,
    "--as",
    metavar="NAME",
    help="Author of the git commit. Default: $ACCOMP_USER, else git's user.",
)
NO_COMMIT_OPTION = typer.Option(
    False, "--no-commit", help="Change the files but make no git commit."
)
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")


def today() -> dt.date:
    """Today, or the day $ACCOMP_TODAY names."""
    forced = os.environ.get(TODAY_ENV)
    if not forced:
        return dt.date.today()
    try:
        return parse_date(forced)
    except ValueError as exc:
        raise UsageError(f"${TODAY_ENV}: {exc}") from None


def open_store(ctx: typer.Context) -> Store:
    """The store named by --store, $ACCOMP_STORE, or found from the working folder."""
    state = ctx.find_root().obj
    return Store.open(find_store(state.store if state else None), today())


def store_root(ctx: typer.Context) -> Path:
    """The store folder, without requiring that it exists."""
    state = ctx.find_root().obj
    return find_store(state.store if state else None)


def date_option(option: str, value: str | None, sensitive: bool = False) -> dt.date | None:
    """Parse the value of a date option; UsageError naming the option otherwise.

    A `sensitive` value (a birth date) is not repeated in the message.
    """
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        if sensitive:
            raise UsageError(f"{option}: not a valid date (the form is YYYY-MM-DD)") from None
        raise UsageError(f"{option}: {exc}") from None


def author(as_option: str | None) -> str | None:
    """The author of commits: --as, else $ACCOMP_USER, else None (git's own setting)."""
    return as_option or os.environ.get(USER_ENV) or None


def after_write(store: Store, no_commit: bool) -> None:
    """Tell once per store that there is no audit trail when the store is not in git."""
    if no_commit or store.repo is not None:
        return
    marker = store.root / DERIVED_DIR / "no-git-notice"
    if marker.exists():
        return
    typer.echo(
        "accomp: note: this store is not in a git repository, so changes have no audit trail "
        "(run `git init` in the store to start one)",
        err=True,
    )
    try:
        marker.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
