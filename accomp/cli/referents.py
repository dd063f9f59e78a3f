"""The referents a store knows: add them, list them."""

from __future__ import annotations

import re

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    FORMAT_OPTION,
    author,
    open_store,
    programme_option,
    sub_app,
)
from accomp.errors import UsageError
from accomp.render import Format, render_rows
from accomp.store import yamlio

referent_app = sub_app("The structure's referents: once any is listed, cases must name one.")
app.add_typer(referent_app, name="referent")

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


@referent_app.command("add")
def referent_add(
    ctx: typer.Context,
    ident: str = typer.Argument(..., metavar="ID", help="A short id, e.g. jdupont."),
    name: str = typer.Option(..., help="The name shown on documents for the person."),
    email: str | None = typer.Option(None, help="Work e-mail."),
    programme: list[str] = typer.Option(
        [], "--programme", help="A programme this referent follows (repeat; default: any)."
    ),
    caseload_limit: int | None = typer.Option(None, min=1, help="Own caseload limit."),
    as_: str | None = AS_OPTION,
) -> None:
    """Add a referent to accomp.yaml (committed)."""
    if not KEY.match(ident):
        raise UsageError(f"{ident!r}: a referent id is lower case letters, digits, . _ -")
    store = open_store(ctx)
    settings = store.settings
    if ident in settings.referent_ids:
        raise UsageError(f"referent {ident} is already in accomp.yaml")
    keys = []
    for typed in programme:
        keys.append(programme_option(store, typed))
    entry: dict = {"id": ident, "name": name.strip()}
    if email:
        entry["email"] = email.strip()
    if keys:
        entry["programmes"] = keys
    if caseload_limit:
        entry["caseload_limit"] = caseload_limit
    with store.settings_edit(f"settings: referent {ident} added", author(as_)) as document:
        if document.get("referents") is None:
            document["referents"] = yamlio.to_round_trip([])
        yamlio.append(document["referents"], entry)
    typer.echo(f"referent {ident} added: enrol and import now accept only listed referents")


@referent_app.command("list")
def referent_list(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The referents accomp.yaml lists."""
    rows = [
        {**r, "programmes": ", ".join(r.get("programmes") or [])}
        for r in open_store(ctx).settings.referents
    ]
    columns = ["id", "name", "email", "programmes", "caseload_limit"]
    typer.echo(render_rows(rows, columns, fmt), nl=False)
