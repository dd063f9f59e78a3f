"""`accomp programmes`: the programmes this store's accomp.yaml defines, as users type them."""

from __future__ import annotations

import typer

from accomp.cli import app
from accomp.cli.common import FORMAT_OPTION, open_store
from accomp.domain.outcomes import definition_label
from accomp.render import Format, render_rows


@app.command("programmes")
def programmes(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The store's programmes: id, label, what users may type, the rules that apply.

    `--programme` takes the id, one of its aliases, or an unambiguous prefix.
    """
    settings = open_store(ctx).settings
    rows = [
        {
            "id": key,
            "label": programme.get("label"),
            "aliases": ", ".join(programme.get("aliases") or []),
            "weekly_target_hours": programme.get("weekly_target_hours"),
            "max_duration_months": programme.get("max_duration_months"),
            "contact_every_days": ", ".join(
                str(rule["every_days"]) for rule in programme.get("contact_cadence") or []
            ),
            "caseload_limit": programme.get("caseload_limit"),
            "outcomes": definition_label(settings, key),
        }
        for key, programme in sorted(settings.programmes.items())
    ]
    columns = ["id", "label", "aliases", "weekly_target_hours", "max_duration_months",
               "contact_every_days", "caseload_limit", "outcomes"]  # fmt: skip
    typer.echo(render_rows(rows, columns, fmt), nl=False)


@app.command("partners")
def partners(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The structure's partners (accomp.yaml `partners`): once any is listed, `rdv add --with`,
    `plan action add --partner` and `session add --partner` take their ids."""
    rows = sorted(open_store(ctx).settings.partners, key=lambda p: p["id"])
    typer.echo(render_rows(rows, ["id", "name", "kind", "contact"], fmt), nl=False)
