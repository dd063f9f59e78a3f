"""Personal data over time: `accomp retention` and `accomp anonymise`."""

from __future__ import annotations

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    FORMAT_OPTION,
    NO_COMMIT_OPTION,
    editing,
    open_store,
    valid_cases,
)
from accomp.domain.retention import (
    DEFAULT_RETENTION_MONTHS,
    anonymised,
    last_activity,
    past_retention,
)
from accomp.errors import UsageError
from accomp.render import Format, render_rows

MONTHS_OPTION = typer.Option(
    DEFAULT_RETENTION_MONTHS, "--months", min=1, max=600, help="The retention period in months."
)


@app.command()
def retention(ctx: typer.Context, months: int = MONTHS_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Cases whose last contact or exit is older than the retention period (CNIL: 2 years).

    They are to be archived with restricted access, deleted, or anonymised
    (`accomp anonymise ID`). Cases already anonymised are not listed.
    """
    store = open_store(ctx)
    rows = [
        {
            "case_id": view["case_id"],
            "referent": view["referent"],
            "programme": view["programme"],
            "last_contact_or_exit": view["last_activity"],
        }
        for view in valid_cases(store, strict=False, read="followup", ordered=False)
        if not view["anonymised"] and past_retention(view["last_activity"], store.today, months)
    ]
    rows.sort(key=lambda r: (r["last_contact_or_exit"], r["case_id"]))
    columns = ["case_id", "referent", "programme", "last_contact_or_exit"]
    typer.echo(render_rows(rows, columns, fmt), nl=False)


@app.command()
def anonymise(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    months: int = MONTHS_OPTION,
    force: bool = typer.Option(
        False, "--force", help="Anonymise a case still inside the retention period."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Remove the identifying data and free text of a case past its retention period.

    Names, birth day and month, contact details, external ids, notes, titles
    and the file's comments go; dates, hours, kinds, outcomes and the situation
    at entry stay for the statistics. Git history still holds the old versions:
    see "Erasing a person from the history" in the README.
    """
    with editing(ctx, case_id, as_, no_commit) as edit:
        case = edit.before
        if case.get("anonymised"):
            raise UsageError(f"case {edit.case_id} was anonymised on {case['anonymised']['date']}")
        if not force and not past_retention(last_activity(case), edit.store.today, months):
            raise UsageError(
                f"case {edit.case_id} is inside the {months}-month retention period "
                f"(last contact or exit {last_activity(case)}); use --force to anonymise it anyway"
            )
        edit.replace(anonymised(case, edit.store.today))
        edit.message = f"anonymise {edit.case_id}: identifying data and free text removed"
