"""Listing, fixing and voiding the entries of a case: contacts, activities, absences,
allowances, target changes.

`accomp contact list ID` numbers the entries (from 1 in date order) and shows
their ids; `accomp contact fix ID N --minutes 50` corrects one; `accomp activity
void ID N --reason "entered twice"` voids one: it stays in the file, marked, and
counts nowhere (domain/corrections.py). N may also be the entry's id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    FORMAT_OPTION,
    NO_COMMIT_OPTION,
    CaseEdit,
    clean_note,
    editing,
    open_store,
    partner_option,
    required_date,
)
from accomp.cli.followup import (
    DATE,
    AbsenceReason,
    ActivityStatus,
    Channel,
    ContactMode,
    _check_kind,
    _finite,
    absence_app,
    action_app,
    action_index,
    activity_app,
    allowance_app,
    check_planned_hours,
    contact_app,
    contract_app,
)
from accomp.domain import corrections
from accomp.domain.followup import activity_refusal
from accomp.errors import UsageError
from accomp.render import Format, render_rows
from accomp.store import yamlio

ENTRY_ARGUMENT = typer.Argument(
    ...,
    metavar="N",
    help="The entry's number as the list command shows it (from 1 in date order), or its id.",
)
REASON_OPTION = typer.Option(
    ..., "--reason", help="Why it is voided (kept in the case, never in the commit)."
)

# What each list shows, after its number.
COLUMNS = {
    "contacts": ["date", "channel", "minutes", "mode", "by", "note"],
    "activities": ["date", "hours", "kind", "action", "status", "note"],
    "absences": ["from", "to", "reason", "note"],
    "allowances": ["date", "amount", "kind", "forced_reason"],
    "target_changes": ["from", "hours", "reason", "requested_on"],
}
LIST_COMMAND = {
    "contacts": "contact list",
    "activities": "activity list",
    "absences": "absence list",
    "allowances": "allowance list",
    "target_changes": "contract list",
}


def list_entries(ctx: typer.Context, case_id: str, list_name: str, fmt: Format) -> None:
    """Print one list of a case, numbered, voided entries marked."""
    store = open_store(ctx)
    case = store.read_case(store.resolve_id(case_id))
    rows = []
    for entry in corrections.numbered(case, list_name):
        voided = entry.get("voided")
        rows.append({**entry, "voided": f"{voided['on']}: {voided['reason']}" if voided else None})
    columns = ["number", *COLUMNS[list_name], "id", "voided"]
    typer.echo(render_rows(rows, columns, fmt), nl=False)


def _entry(edit: CaseEdit, list_name: str, reference: str) -> tuple[int, dict[str, Any], str]:
    """(index in the file, entry, its name in messages: "contact 3 (VNZQXN)"), or a usage error."""
    index = corrections.find_entry(edit.before, list_name, reference)
    word = corrections.CORRECTABLE[list_name]
    if index is None:
        listing = f"accomp {LIST_COMMAND[list_name]} {edit.case_id}"
        raise UsageError(f"no {word} {reference} in case {edit.case_id} (see `{listing}`)")
    entry = edit.before[list_name][index]
    number = next(
        row["number"]
        for row in corrections.numbered(edit.before, list_name)
        if row.get("id") == entry.get("id")
    )
    return index, entry, f"{word} {number} ({entry.get('id')})"


def fix_entry(
    ctx: typer.Context,
    case_id: str,
    list_name: str,
    reference: str,
    changes: dict[str, Any],
    as_: str | None,
    no_commit: bool,
) -> None:
    """Correct the fields `changes` of one entry (None values are left alone)."""
    changes = {field: value for field, value in changes.items() if value is not None}
    with editing(ctx, case_id, as_, no_commit) as edit:
        index, entry, name = _entry(edit, list_name, reference)
        refusal = corrections.correction_refusal(entry, changes)
        if refusal:
            raise UsageError(f"{name} of case {edit.case_id}: {refusal}")
        for option, field in (("--date", "date"), ("--from", "from")):
            if isinstance(changes.get(field), dt.date):
                edit.check_date(option, changes[field], past_only=list_name != "absences")
        if list_name == "activities":
            _check_activity(edit, index, entry, changes)
        if list_name == "absences":
            first = changes.get("from") or dt.date.fromisoformat(entry["from"])
            last = changes.get("to") or dt.date.fromisoformat(entry["to"])
            if last < first:
                raise UsageError(f"--to: {last} is before --from {first}")
        fields = corrections.changed_fields(entry, changes)
        target = edit.document[list_name][index]
        for field in fields:
            yamlio.set_key(target, field, changes[field])
        edit.message = f"fix {edit.case_id}: {name}: {', '.join(fields)}"
        edit.recorded = ""


def _check_activity(
    edit: CaseEdit, index: int, entry: dict[str, Any], changes: dict[str, Any]
) -> None:
    if "kind" in changes:
        _check_kind(edit.store.settings.activity_kinds, changes["kind"])
    if "action" in changes:
        changes["action"] = changes["action"].upper()
        if changes["action"] not in {a["id"] for a in edit.before["plan"]["actions"]}:
            raise UsageError(f"--action: no action {changes['action']} in case {edit.case_id}")
    if "date" in changes or "hours" in changes:
        others = dict(edit.before)  # the day's other activities, without this one
        others["activities"] = [a for i, a in enumerate(edit.before["activities"]) if i != index]
        day = changes.get("date") or dt.date.fromisoformat(entry["date"])
        refusal = activity_refusal(others, day, float(changes.get("hours", entry["hours"])))
        if refusal:
            raise UsageError(refusal)


def void_entry(
    ctx: typer.Context,
    case_id: str,
    list_name: str,
    reference: str,
    reason: str,
    as_: str | None,
    no_commit: bool,
) -> None:
    """Mark one entry voided, with today's date and the reason; it then counts nowhere."""
    why = clean_note(reason)
    if not why:
        raise UsageError("--reason: say why the entry is voided")
    if len(why) > 200:
        raise UsageError("--reason: at most 200 characters")
    with editing(ctx, case_id, as_, no_commit) as edit:
        index, entry, name = _entry(edit, list_name, reference)
        refusal = corrections.void_refusal(entry)
        if refusal:
            raise UsageError(f"{name} of case {edit.case_id}: {refusal}")
        target = edit.document[list_name][index]
        yamlio.set_key(target, "voided", corrections.void_record(edit.store.today, why))
        edit.message = f"void {edit.case_id}: {name}"
        edit.recorded = ""


def _date(option: str, value: str | None) -> dt.date | None:
    return None if value is None else required_date(option, value)


# contact ---------------------------------------------------------------------


@contact_app.command("fix")
def contact_fix(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    entry: str = ENTRY_ARGUMENT,
    date: str | None = typer.Option(None, metavar=DATE, help="The right day."),
    channel: Channel | None = typer.Option(None, help="The right channel."),
    minutes: int | None = typer.Option(None, min=0, max=720, help="The right length."),
    mode: ContactMode | None = typer.Option(None, help="individual or collective."),
    by: str | None = typer.Option(None, help="The referent who had it."),
    note: str | None = typer.Option(None, help="The note, rewritten."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Correct a contact (what it was stays in the git history)."""
    changes = {"date": _date("--date", date), "channel": channel, "minutes": minutes,
               "mode": mode, "by": by, "note": clean_note(note)}  # fmt: skip
    fix_entry(ctx, case_id, "contacts", entry, changes, as_, no_commit)


# activity --------------------------------------------------------------------


@activity_app.command("fix")
def activity_fix(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    entry: str = ENTRY_ARGUMENT,
    date: str | None = typer.Option(None, metavar=DATE, help="The right day."),
    hours: float | None = typer.Option(None, help="The right hours (more than 0, at most 12)."),
    kind: str | None = typer.Option(None, help="The right activity kind."),
    action: str | None = typer.Option(None, help="The action of the plan it belongs to."),
    status: ActivityStatus | None = typer.Option(None, help="done or an absence."),
    note: str | None = typer.Option(None, help="The note, rewritten."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Correct an activity entry (the weekly hours follow)."""
    if hours is not None and not 0 < _finite("--hours", hours) <= 12:
        raise UsageError("--hours: must be more than 0 and at most 12")
    changes = {"date": _date("--date", date), "hours": hours, "kind": kind, "action": action,
               "status": status, "note": clean_note(note)}  # fmt: skip
    fix_entry(ctx, case_id, "activities", entry, changes, as_, no_commit)


# absence ---------------------------------------------------------------------


@absence_app.command("fix")
def absence_fix(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    entry: str = ENTRY_ARGUMENT,
    from_: str | None = typer.Option(None, "--from", metavar=DATE, help="The right first day."),
    to: str | None = typer.Option(None, metavar=DATE, help="The right last day."),
    reason: AbsenceReason | None = typer.Option(None, help="The right reason."),
    note: str | None = typer.Option(None, help="The note, rewritten."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Correct a justified absence (the weekly targets follow)."""
    changes = {"from": _date("--from", from_), "to": _date("--to", to), "reason": reason,
               "note": clean_note(note)}  # fmt: skip
    fix_entry(ctx, case_id, "absences", entry, changes, as_, no_commit)


# allowance -------------------------------------------------------------------


@allowance_app.command("fix")
def allowance_fix(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    entry: str = ENTRY_ARGUMENT,
    date: str | None = typer.Option(None, metavar=DATE, help="The right day."),
    amount: float | None = typer.Option(None, help="The right amount in euros."),
    kind: str | None = typer.Option(None, help="The right kind."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Correct an allowance payment (the yearly cap is checked again)."""
    if amount is not None and not 0 < _finite("--amount", amount) <= 100000:
        raise UsageError("--amount: must be more than 0 and at most 100000")
    changes = {"date": _date("--date", date), "amount": amount, "kind": kind}
    fix_entry(ctx, case_id, "allowances", entry, changes, as_, no_commit)


# target changes --------------------------------------------------------------


# plan actions ----------------------------------------------------------------
# An action is not voided: a plan keeps what was agreed, and `plan action status --set
# cancelled` says it will not happen (with its history). What was mistyped is fixed.


@action_app.command("fix")
def action_fix(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    action: str = typer.Argument(..., metavar="ACTION", help="The action id (A1, …)."),
    title: str | None = typer.Option(None, help="The right title."),
    kind: str | None = typer.Option(None, help="The right activity kind."),
    start: str | None = typer.Option(None, metavar=DATE, help="The right first day."),
    end: str | None = typer.Option(None, metavar=DATE, help="The right last day."),
    hours_per_week: float | None = typer.Option(None, help="Planned hours each week."),
    hours: float | None = typer.Option(None, help="Planned hours of a one-off action."),
    objective: str | None = typer.Option(None, help="The objective it serves (O1, …)."),
    partner: str | None = typer.Option(None, help="The partner (an id once the store lists them)."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Correct an action of the plan (its status changes go through `plan action status`)."""
    check_planned_hours(hours_per_week, hours)
    if title is not None and not title.strip():
        raise UsageError("--title: must not be empty")
    with editing(ctx, case_id, as_, no_commit) as edit:
        ident, index = action_index(edit.before, edit.case_id, action)
        before = edit.before["plan"]["actions"][index]
        if kind is not None:
            _check_kind(edit.store.settings.activity_kinds, kind)
        if objective is not None and objective.upper() not in {
            o["id"] for o in edit.before["plan"]["objectives"]
        }:
            raise UsageError(f"--objective: no objective {objective} in case {edit.case_id}")
        changes: dict[str, Any] = {
            "title": title.strip() if title else None,
            "kind": kind,
            "start": _date("--start", start),
            "end": _date("--end", end),
            "hours_per_week": hours_per_week,
            "hours": hours,
            "objective": objective.upper() if objective else None,
            "partner": partner_option(edit.store, "--partner", partner),
        }
        changes = {field: value for field, value in changes.items() if value is not None}
        refusal = corrections.correction_refusal(before, changes)
        if refusal:
            raise UsageError(f"action {ident} of case {edit.case_id}: {refusal}")
        if "start" in changes:
            edit.check_date("--start", changes["start"])
        first = changes.get("start") or dt.date.fromisoformat(before["start"])
        last = changes.get("end") or (before.get("end") and dt.date.fromisoformat(before["end"]))
        if last and last < first:
            raise UsageError(f"--end: {last} is before --start {first}")
        fields = corrections.changed_fields(before, changes)
        target = edit.document["plan"]["actions"][index]
        for field in fields:
            yamlio.set_key(target, field, changes[field])
        # An action plans hours one way: weekly, or once.
        if "hours_per_week" in changes and "hours" in target:
            del target["hours"]
        if "hours" in changes and "hours_per_week" in target:
            del target["hours_per_week"]
        edit.message = f"fix {edit.case_id}: action {ident}: {', '.join(fields)}"
        edit.recorded = ""


# list and void: the same for every list ---------------------------------------------

LIST_HELP = {
    "contacts": "The contacts of one case",
    "activities": "The realised activity of one case",
    "absences": "The justified absences of one case",
    "allowances": "The allowances paid in one case",
    "target_changes": "The changes of the weekly target of one case",
}
VOID_HELP = {
    "contacts": "Void a contact recorded by mistake: it stays in the file, marked, and counts "
    "nowhere.",
    "activities": "Void an activity entry (entered twice, wrong person): its hours count nowhere.",
    "absences": "Void an absence recorded by mistake: the weeks it covered count again.",
    "allowances": "Void an allowance recorded by mistake: it counts in no total and no cap.",
    "target_changes": "Void a change of the weekly target recorded by mistake (record the "
    "right one with `accomp contract hours`).",
}


def _register_list_and_void(group: typer.Typer, list_name: str) -> None:
    """`accomp <group> list ID` and `accomp <group> void ID N --reason T` for one list."""

    def list_command(
        ctx: typer.Context, case_id: str = CASE_ARGUMENT, fmt: Format = FORMAT_OPTION
    ) -> None:
        list_entries(ctx, case_id, list_name, fmt)

    def void_command(
        ctx: typer.Context,
        case_id: str = CASE_ARGUMENT,
        entry: str = ENTRY_ARGUMENT,
        reason: str = REASON_OPTION,
        as_: str | None = AS_OPTION,
        no_commit: bool = NO_COMMIT_OPTION,
    ) -> None:
        void_entry(ctx, case_id, list_name, entry, reason, as_, no_commit)

    list_command.__doc__ = (
        f"{LIST_HELP[list_name]}, numbered from 1 in date order, voided ones marked."
    )
    void_command.__doc__ = VOID_HELP[list_name]
    group.command("list")(list_command)
    group.command("void")(void_command)


for _group, _list_name in (
    (contact_app, "contacts"),
    (activity_app, "activities"),
    (absence_app, "absences"),
    (allowance_app, "allowances"),
    (contract_app, "target_changes"),
):
    _register_list_and_void(_group, _list_name)
