"""Working as a team: sync with the shared remote, list and settle conflicts, migrate.

The store's sync and merge modules are imported inside the commands: other
commands do not pay for them at start-up.
"""

from __future__ import annotations

from pathlib import Path

import typer

from accomp.cli import app
from accomp.cli.common import AS_OPTION, author, open_store, today
from accomp.errors import EXIT_CHECK_FAILED


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    remote: str | None = typer.Argument(
        None, metavar="[REMOTE]", help="The shared remote (default: the branch's, else origin)."
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Share your work: commit hand edits, fetch, merge (case files as data), push.

    Run it at the start and at the end of the day. Offline, it says so and your
    work stays in this clone. Exits 1 when the merge stopped on conflicts (see
    `accomp conflicts`) or when what came in does not validate.
    """
    from accomp.store import sync

    store = open_store(ctx)
    report = sync.sync(store, remote, author(as_))
    where = f"{report.remote}/{report.branch}"
    if report.reencrypted:
        typer.echo(f"encrypted {report.reencrypted} file(s) again with the store's current key "
                   "before sending them")  # fmt: skip
    for key in report.keys_taken:
        typer.echo(f"took the store's new encryption key {key} (given to your GPG key)")
    if report.hand_edits:
        typer.echo(f"committed hand edits of {len(report.hand_edits)} case file(s) first")
    if report.conflicted:
        files = ", ".join(Path(p).name for p in report.conflicted)
        typer.echo(
            f"accomp: the merge with {where} stopped on conflicts in {files}: list them with "
            "`accomp conflicts`, settle each with `accomp resolve`, then `accomp sync` again",
            err=True,
        )
        raise typer.Exit(EXIT_CHECK_FAILED)
    received = f"{len(report.received)} case file(s) received" if report.received else "up to date"
    typer.echo(f"synced with {where}: {received}, your commits pushed")
    for line in report.invalid:
        typer.echo(f"accomp: received an invalid case file: {line}", err=True)
    if report.invalid:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("conflicts")
def conflicts_command(
    ctx: typer.Context,
    case_id: str | None = typer.Argument(
        None, metavar="[ID]", help="Only this case, with both values in full."
    ),
) -> None:
    """The conflicts of the unfinished merge, one line per field (exit 1 while any is left).

    Each line gives the case id, the field, and each side's value with the author
    and date of the last change on that side. Values that are personal data or
    free text are shown only for one case (`accomp conflicts ID`).
    """
    from accomp.store import sync

    store = open_store(ctx)
    lines = sync.conflicts(store, today())
    wanted = case_id.upper() if case_id else None
    shown = [line for line in lines if wanted is None or line.case_id == wanted]
    for line in shown:
        conflict = line.conflict
        sides = []
        for side, by in (("ours", line.ours_by), ("theirs", line.theirs_by)):
            who = f" ({by[0]}, {by[1]})" if by else ""
            sides.append(f"{side}{who}: {sync.shown_value(conflict, side, wanted is not None)}")
        typer.echo(f"{line.case_id}  {conflict.field}  {conflict.reason}; " + "; ".join(sides))
    others = sync.unsettled_files(store)
    for path in others:
        typer.echo(f"{path}  (not a case file: settle it with git, then `git add {path}`)")
    if not shown and not others:
        typer.echo("no conflicts")
        return
    if shown:
        typer.echo("settle each with `accomp resolve ID FIELD --take ours|theirs|VALUE`", err=True)
    raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., metavar="ID", help="The case id (or accomp.yaml)."),
    field: str = typer.Argument(
        ..., metavar="FIELD", help="The field, as `accomp conflicts` names it."
    ),
    take: str = typer.Option(
        ..., "--take", metavar="ours|theirs|VALUE", help="Which value to keep, or a new YAML value."
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Settle one conflict; the last one finishes the merge commit."""
    from accomp.store import sync

    store = open_store(ctx)
    left, finished = sync.resolve(store, case_id, field, take, author(as_))
    if finished:
        typer.echo("merge finished: every conflict is settled; `accomp sync` to share it")
    else:
        typer.echo(f"settled {field}; {left} conflict(s) left (`accomp conflicts`)")


@app.command("migrate")
def migrate_command(ctx: typer.Context, as_: str | None = AS_OPTION) -> None:
    """Bring every case file to the current schema version (entry ids), in one commit."""
    from accomp.store import sync

    store = open_store(ctx)
    upgraded, invalid = sync.migrate(store, author(as_))
    typer.echo(f"upgraded {upgraded} case file(s) to schema version 2")
    for line in invalid:
        typer.echo(f"accomp: not upgraded (fix it first): {line}", err=True)
    if invalid:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("merge-driver", hidden=True)
def merge_driver_command(
    ancestor: Path = typer.Argument(...),
    ours: Path = typer.Argument(...),
    theirs: Path = typer.Argument(...),
    pathname: str = typer.Argument(...),
) -> None:
    """Called by git (merge.accomp.driver): merge a case file's three versions as data."""
    from accomp.store import merge_driver

    raise typer.Exit(merge_driver.run(ancestor, ours, theirs, pathname, today()))
