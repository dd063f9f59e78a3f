"""The counsellor's week: contacts, plan, activity, absences, target changes, allowances."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import typer

from accomp.cli import app
from accomp.cli.common import (
    AS_OPTION,
    CASE_ARGUMENT,
    FORMAT_OPTION,
    NO_COMMIT_OPTION,
    date_option,
    editing,
    open_store,
    partner_option,
    required_date,
    sub_app,
    valid_cases,
    with_note,
)
from accomp.domain.dates import parse_iso_week
from accomp.domain.followup import (
    activity_refusal,
    allowance_cap_check,
    next_contact_of_view,
    target_change_refusal,
)
from accomp.domain.hours import ZERO_TARGET_REASONS, action_hours_on, contract_window, week_target
from accomp.errors import UsageError
from accomp.render import Format, render_rows, to_json
from accomp.resources import schema_choices
from accomp.store import yamlio


def _choices(*path: str) -> Any:
    return Literal[tuple(schema_choices("casefile", *path))]  # type: ignore[valid-type]


Channel = _choices("contacts", "[]", "channel")
ContactMode = _choices("contacts", "[]", "mode")
ObjectiveKind = _choices("plan", "objectives", "[]", "kind")
ActionStatus = _choices("plan", "actions", "[]", "status")
ActivityStatus = _choices("activities", "[]", "status")
AbsenceReason = _choices("absences", "[]", "reason")

DATE = "YYYY-MM-DD"


def _finite(option: str, value: float) -> float:
    if math.isnan(value) or math.isinf(value):
        raise UsageError(f"{option}: must be a number")
    return value


def _check_kind(kinds: dict[str, Any], kind: str) -> None:
    if kind not in kinds:
        raise UsageError(f"--kind: unknown activity kind {kind!r} (known: {', '.join(kinds)})")


def check_planned_hours(hours_per_week: float | None, hours: float | None) -> None:
    """An action plans its hours one way: each week, or once; within bounds."""
    if hours_per_week is not None and hours is not None:
        raise UsageError("give --hours-per-week or --hours, not both")
    for option, value, limit in (
        ("--hours-per-week", hours_per_week, 60),
        ("--hours", hours, 2000),
    ):
        if value is not None and not 0 < _finite(option, value) <= limit:
            raise UsageError(f"{option}: must be more than 0 and at most {limit}")


def action_index(case: dict[str, Any], case_id: str, typed: str) -> tuple[str, int]:
    """(the action's id, its index in the plan) for `typed` (a1 or A1), or a usage error."""
    ident = typed.upper()
    actions = case["plan"]["actions"]
    index = next((i for i, a in enumerate(actions) if a["id"] == ident), None)
    if index is None:
        raise UsageError(f"no action {typed} in case {case_id} (see `accomp plan show {case_id}`)")
    return ident, index


def _next_id(prefix: str, entries: list[dict[str, Any]]) -> str:
    numbers = [int(e["id"][1:]) for e in entries if str(e.get("id", "")).startswith(prefix)]
    return f"{prefix}{max(numbers, default=0) + 1}"


# contact ---------------------------------------------------------------------

contact_app = sub_app("Contacts with the person: log them, list them, see who is due.")
app.add_typer(contact_app, name="contact")


@contact_app.command("log")
def contact_log(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    date: str = typer.Option(..., "--date", metavar=DATE, help="Day of the contact."),
    channel: Channel = typer.Option(..., help="How the contact happened."),
    minutes: int = typer.Option(..., min=0, max=720, help="Length in minutes."),
    mode: ContactMode = typer.Option("individual", help="individual or collective."),
    by: str | None = typer.Option(None, help="Referent who had the contact (default: the case's)."),
    note: str | None = typer.Option(
        None, help="A short note (kept in the case, never in the commit)."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record a contact with the person."""
    day = required_date("--date", date)
    with editing(ctx, case_id, as_, no_commit) as edit:
        edit.check_date("--date", day, past_only=True)
        entry = {
            "date": day,
            "channel": channel,
            "minutes": minutes,
            "mode": mode,
            "by": by or edit.before["enrolment"]["referent"],
        }
        edit.append("contacts", with_note(entry, note))
        edit.message = f"contact {edit.case_id}: {channel}, {minutes} min on {day}"


@contact_app.command("due")
def contact_due(
    ctx: typer.Context,
    referent: str | None = typer.Option(None, help="Only this referent's cases."),
    on: str | None = typer.Option(None, metavar=DATE, help="As of this day (default: today)."),
    within: int = typer.Option(
        0,
        "--within",
        min=0,
        max=366,
        metavar="DAYS",
        help="Also the contacts due in the next DAYS days (plan the week: --within 7).",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The worklist: active cases whose next contact is due or overdue, oldest first.

    A case is due once its programme's cadence has passed since its last contact (or
    its start, before any contact): a new case of a programme with a monthly cadence is
    due a month after its start. --within shows the contacts coming up as well.
    """
    store = open_store(ctx)
    day = date_option("--on", on) or store.today
    settings = store.settings
    rows = []
    for view in valid_cases(store, strict=False, read="followup", ordered=False):
        if referent and view["referent"] != referent:
            continue
        programme = settings.programme(view["programme"]) or {}
        due = next_contact_of_view(view, programme.get("contact_cadence") or [], day)
        if due is not None and due.days_overdue >= -within:
            rows.append(due.__dict__)
    rows.sort(key=lambda r: (r["due"], r["case_id"]))
    columns = [
        "case_id",
        "referent",
        "programme",
        "last_contact",
        "every_days",
        "due",
        "days_overdue",
        "absent",
    ]
    typer.echo(render_rows(rows, columns, fmt), nl=False)


# plan ------------------------------------------------------------------------

plan_app = sub_app("The action plan: objectives, and actions under them.")
objective_app = sub_app("Objectives of the action plan.")
action_app = sub_app("Actions of the action plan.")
app.add_typer(plan_app, name="plan")
plan_app.add_typer(objective_app, name="objective")
plan_app.add_typer(action_app, name="action")


@objective_app.command("add")
def objective_add(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    text: str = typer.Option(..., help="The objective, in the person's words if possible."),
    kind: ObjectiveKind = typer.Option("professional", help="professional or social."),
    target_date: str | None = typer.Option(None, metavar=DATE, help="When it should be reached."),
    agreed_on: str | None = typer.Option(
        None, metavar=DATE, help="Day the person agreed to it (objectives of the contract)."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Add an objective; prints its id (O1, O2, …)."""
    target = date_option("--target-date", target_date)
    agreed = date_option("--agreed-on", agreed_on)
    if not text.strip():
        raise UsageError("--text: must not be empty")
    with editing(ctx, case_id, as_, no_commit) as edit:
        if agreed:
            edit.check_date("--agreed-on", agreed)
        objectives = edit.document["plan"]["objectives"]
        ident = _next_id("O", edit.before["plan"]["objectives"])
        yamlio.append(
            objectives,
            {"id": ident, "text": text.strip(), "kind": kind, "target_date": target,
             "status": "open", "agreed_on": agreed},
        )  # fmt: skip
        edit.message = f"plan {edit.case_id}: objective {ident} added ({kind})"
    typer.echo(ident)


@action_app.command("add")
def action_add(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    kind: str = typer.Option(..., help="Activity kind from accomp.yaml (training, immersion, …)."),
    title: str = typer.Option(..., help="What the action is."),
    start: str = typer.Option(..., metavar=DATE, help="First day."),
    end: str | None = typer.Option(None, metavar=DATE, help="Last day (default: open)."),
    hours_per_week: float | None = typer.Option(None, help="Planned hours each week."),
    hours: float | None = typer.Option(
        None, help="Planned hours of a one-off action (on its start day)."
    ),
    objective: str | None = typer.Option(None, help="The objective it serves (O1, …)."),
    partner: str | None = typer.Option(None, help="Training provider, employer, association…"),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Add an action to the plan; prints its id (A1, A2, …)."""
    first = required_date("--start", start)
    last = date_option("--end", end)
    check_planned_hours(hours_per_week, hours)
    if last and last < first:
        raise UsageError(f"--end: {last} is before --start {first}")
    if not title.strip():
        raise UsageError("--title: must not be empty")
    with editing(ctx, case_id, as_, no_commit) as edit:
        _check_kind(edit.store.settings.activity_kinds, kind)
        edit.check_date("--start", first)
        objective_ids = [o["id"] for o in edit.before["plan"]["objectives"]]
        if objective and objective.upper() not in objective_ids:
            raise UsageError(f"--objective: no objective {objective} in case {edit.case_id}")
        ident = _next_id("A", edit.before["plan"]["actions"])
        entry: dict[str, Any] = {"id": ident, "kind": kind, "title": title.strip(), "start": first}
        if last:
            entry["end"] = last
        if hours_per_week is not None:
            entry["hours_per_week"] = hours_per_week
        if hours is not None:
            entry["hours"] = hours
        if objective:
            entry["objective"] = objective.upper()
        if partner:
            entry["partner"] = partner_option(edit.store, "--partner", partner)
        entry["status"] = "planned"
        entry["status_history"] = [{"status": "planned", "date": edit.store.today}]
        yamlio.append(edit.document["plan"]["actions"], entry)
        edit.message = f"plan {edit.case_id}: action {ident} added ({kind})"
    typer.echo(ident)


@action_app.command("status")
def action_status(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    action: str = typer.Argument(..., metavar="ACTION", help="The action id (A1, …)."),
    set_: ActionStatus = typer.Option(..., "--set", help="The new status."),
    date: str | None = typer.Option(None, metavar=DATE, help="Day of the change (default: today)."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Change the status of an action (the change is kept in its status history)."""
    with editing(ctx, case_id, as_, no_commit) as edit:
        day = date_option("--date", date) or edit.store.today
        edit.check_date("--date", day, past_only=True)
        ident, index = action_index(edit.before, edit.case_id, action)
        target = edit.document["plan"]["actions"][index]
        if target["status"] == set_:
            raise UsageError(f"action {ident} is already {set_}")
        target["status"] = set_
        if "status_history" not in target:
            yamlio.set_key(target, "status_history", [])
        yamlio.append(target["status_history"], {"status": set_, "date": day})
        edit.message = f"plan {edit.case_id}: action {ident} {set_}"


@plan_app.command("show")
def plan_show(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    week: str | None = typer.Option(
        None, metavar="YYYY-Www", help="The programme of one week, day by day."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The action plan, or what is planned day by day in one week."""
    store = open_store(ctx)
    case = store.read_case(store.resolve_id(case_id))
    plan = case["plan"]
    if week is None:
        if fmt is Format.json:
            typer.echo(to_json(plan), nl=False)
            return
        objective_columns = ["id", "kind", "text", "status", "target_date", "agreed_on"]
        action_columns = ["id", "objective", "kind", "title", "start", "end", "hours_per_week",
                          "hours", "status", "partner"]  # fmt: skip
        actions = render_rows(plan["actions"], action_columns, fmt)
        if fmt is Format.csv:  # one CSV, one table: the actions (they carry their objective)
            typer.echo(actions, nl=False)
            return
        objectives = render_rows(plan["objectives"], objective_columns, fmt)
        typer.echo(f"Objectives\n{objectives}\nActions\n{actions}", nl=False)
        return
    try:
        monday, _ = parse_iso_week(week)
    except ValueError as exc:
        raise UsageError(f"--week: {exc}") from None
    rows = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        for action in plan["actions"]:
            if action["status"] in ("cancelled", "abandoned"):
                continue
            hours = action_hours_on(action, day)
            if hours:
                rows.append(
                    {"date": day.isoformat(), "day": day.strftime("%a"), "action": action["id"],
                     "kind": action["kind"], "title": action["title"], "hours": round(hours, 2)}
                )  # fmt: skip
    target = round(week_target(case, monday), 2)
    planned = round(sum(r["hours"] for r in rows), 2)
    if fmt is Format.json:
        summary = {"case_id": case["case_id"], "week": week.upper(), "target_hours": target,
                   "planned_hours": planned, "days": rows}  # fmt: skip
        typer.echo(to_json(summary), nl=False)
        return
    typer.echo(
        render_rows(rows, ["date", "day", "action", "kind", "title", "hours"], fmt), nl=False
    )
    if fmt is not Format.csv:
        start, end = contract_window(case)
        contract = f"contract {start} to {end or 'open'}"
        typer.echo(f"\nplanned {planned:g} h, target {target:g} h for {week.upper()} ({contract})")


# activity, absence, contract, allowance --------------------------------------

activity_app = sub_app("Realised activity: what the person did, hour by hour.")
app.add_typer(activity_app, name="activity")


@activity_app.command("log")
def activity_log(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    date: str = typer.Option(..., metavar=DATE, help="Day of the activity."),
    hours: float = typer.Option(..., help="Hours (more than 0, at most 12 in one entry)."),
    kind: str = typer.Option(..., help="Activity kind from accomp.yaml."),
    action: str | None = typer.Option(None, help="The action of the plan it belongs to (A1, …)."),
    status: ActivityStatus = typer.Option(
        "done", help="done, absent-justified or absent-unjustified."
    ),
    note: str | None = typer.Option(None, help="A short note."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record realised activity (or an absence from a planned one)."""
    day = required_date("--date", date)
    hours = _finite("--hours", hours)
    with editing(ctx, case_id, as_, no_commit) as edit:
        _check_kind(edit.store.settings.activity_kinds, kind)
        edit.check_date("--date", day, past_only=True)
        refusal = activity_refusal(edit.before, day, hours)
        if refusal:
            raise UsageError(refusal)
        entry: dict[str, Any] = {"date": day, "hours": hours, "kind": kind}
        if action:
            ident = action.upper()
            if ident not in {a["id"] for a in edit.before["plan"]["actions"]}:
                raise UsageError(f"--action: no action {action} in case {edit.case_id}")
            entry["action"] = ident
        entry["status"] = status
        edit.append("activities", with_note(entry, note))
        edit.message = f"activity {edit.case_id}: {hours:g} h {kind} on {day} ({status})"


absence_app = sub_app("Justified absences: periods that lower the weekly target.")
app.add_typer(absence_app, name="absence")


@absence_app.command("add")
def absence_add(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    from_: str = typer.Option(..., "--from", metavar=DATE, help="First day."),
    to: str = typer.Option(..., metavar=DATE, help="Last day."),
    reason: AbsenceReason = typer.Option(..., help="Why."),
    note: str | None = typer.Option(None, help="A short note."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record a justified absence (sick leave, holiday agreed in the contract, …)."""
    first, last = required_date("--from", from_), required_date("--to", to)
    if last < first:
        raise UsageError(f"--to: {last} is before --from {first}")
    with editing(ctx, case_id, as_, no_commit) as edit:
        edit.check_date("--from", first)
        overlap = [
            a
            for a in edit.before["absences"]
            if a["from"] <= last.isoformat() and first.isoformat() <= a["to"]
        ]
        if overlap:
            raise UsageError(f"overlaps the absence {overlap[0]['from']} to {overlap[0]['to']}")
        entry: dict[str, Any] = {"from": first, "to": last, "reason": reason}
        edit.append("absences", with_note(entry, note))
        edit.message = f"absence {edit.case_id}: {reason} {first} to {last}"


contract_app = sub_app("The contract: weekly target hours.")
app.add_typer(contract_app, name="contract")


@contract_app.command("hours")
def contract_hours(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    from_: str = typer.Option(..., "--from", metavar=DATE, help="From this day."),
    hours: float = typer.Option(..., help="The new weekly target (0 to 35)."),
    reason: str | None = typer.Option(
        None, help=f"Why (required to lower; for 0: {', '.join(ZERO_TARGET_REASONS)})."
    ),
    requested_on: str | None = typer.Option(
        None, metavar=DATE, help="Day the person asked for it (required for a target of 0)."
    ),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Change the weekly target hours from a day."""
    first = required_date("--from", from_)
    requested = date_option("--requested-on", requested_on)
    hours = _finite("--hours", hours)
    with editing(ctx, case_id, as_, no_commit) as edit:
        refusal = target_change_refusal(edit.before, first, hours, reason, requested)
        if refusal:
            raise UsageError(refusal)
        entry: dict[str, Any] = {
            "from": first,
            "hours": hours,
            "reason": (reason or "").strip() or None,
        }
        if requested:
            entry["requested_on"] = requested
        edit.append("target_changes", entry)
        edit.message = f"contract {edit.case_id}: weekly target {hours:g} h from {first}"


allowance_app = sub_app("Allowances paid to the person.")
app.add_typer(allowance_app, name="allowance")


@allowance_app.command("add")
def allowance_add(
    ctx: typer.Context,
    case_id: str = CASE_ARGUMENT,
    date: str = typer.Option(..., metavar=DATE, help="Day of the payment."),
    amount: float = typer.Option(..., help="Amount in euros."),
    kind: str | None = typer.Option(None, help="Kind of allowance (e.g. cej-allowance)."),
    force: bool = typer.Option(False, "--force", help="Pay over the programme's yearly cap."),
    reason: str | None = typer.Option(None, help="Why --force is used (recorded)."),
    as_: str | None = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record an allowance payment; refused over the programme's yearly cap unless forced."""
    day = required_date("--date", date)
    amount = _finite("--amount", amount)
    if not 0 < amount <= 100000:
        raise UsageError("--amount: must be more than 0 and at most 100000")
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason TEXT (it is recorded in the case)")
    with editing(ctx, case_id, as_, no_commit) as edit:
        edit.check_date("--date", day, past_only=True)
        programme = edit.store.settings.programme(edit.before["enrolment"]["programme"]) or {}
        check = allowance_cap_check(edit.before, day, amount, programme.get("allowance_yearly_cap"))
        if check.exceeded and not force:
            raise UsageError(
                f"refused: {check.describe()} (use --force --reason TEXT to pay anyway)"
            )
        entry: dict[str, Any] = {"date": day, "amount": amount}
        if kind:
            entry["kind"] = kind
        if check.exceeded:
            entry["forced_reason"] = reason.strip()  # type: ignore[union-attr]
        edit.append("allowances", entry)
        edit.message = f"allowance {edit.case_id}: {amount:g} EUR on {day}"
