"""The checks a schema cannot express: dates in order, references, eligibility.

`case_problems` takes a case file that already passed its schema (plain data,
dates as ISO strings) and the store's settings, and returns Problems.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from typing import Any

from accomp.domain.corrections import is_voided
from accomp.domain.dates import add_months, age_on
from accomp.domain.eligibility import eligibility_reasons
from accomp.domain.entries import entry_lists
from accomp.domain.outcomes import followup_situations, needs_months
from accomp.domain.phases import phase_problems
from accomp.domain.problems import Problem, error, warning
from accomp.domain.settings import Settings

# A person followed by these programmes is at least this old and at most that.
PLAUSIBLE_AGE = (14, 100)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def case_problems(case: dict[str, Any], settings: Settings, today: dt.date) -> list[Problem]:
    """Domain problems of one schema-valid case file (errors and warnings)."""
    problems: list[Problem] = []
    problems += _enrolment_problems(case, settings, today)
    problems += _plan_problems(case)
    problems += _entry_problems(case, settings)
    problems += _exit_problems(case, settings)
    problems += phase_problems(case)
    problems += _future_problems(case, today)
    limit = past_max_duration(case, settings, today)
    if limit:
        message = f"the support lasts past the programme's maximum of {limit} months"
        problems.append(warning(("enrolment", "start"), message))
    return sorted(set(problems))


def _future_problems(case: dict[str, Any], today: dt.date) -> list[Problem]:
    """What has happened cannot be dated after today (a typing mistake, most often)."""
    iso = today.isoformat()
    dated: list[tuple[tuple[str | int, ...], str]] = [
        ((section, index, "date"), entry["date"])
        for section in ("contacts", "allowances", "followups")
        for index, entry in enumerate(case[section])
        if not is_voided(entry)
    ]
    dated += [
        (("activities", index, "date"), activity["date"])
        for index, activity in enumerate(case["activities"])
        if activity["status"] == "done" and not is_voided(activity)
    ]
    if case.get("exit"):
        dated.append((("exit", "date"), case["exit"]["date"]))
    problems = [warning(path, f"{day} is in the future") for path, day in dated if day > iso]
    return problems


def birth_date_problem(birth: dt.date, start: dt.date, today: dt.date) -> str | None:
    """Why a birth date cannot be right (in the future, implausible age at the start), or None."""
    if birth > today:
        return "is in the future"
    age = age_on(birth, start)
    low, high = PLAUSIBLE_AGE
    if not low <= age <= high:
        return f"gives an age of {age} at the start (expected {low}-{high})"
    return None


def _enrolment_problems(case: dict[str, Any], settings: Settings, today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    enrolment = case["enrolment"]
    start = _date(enrolment["start"])
    assert start is not None  # required by the schema
    birth = _date(case["identity"]["birth_date"])
    assert birth is not None

    implausible = birth_date_problem(birth, start, today)
    if implausible:
        problems.append(error(("identity", "birth_date"), implausible))

    for name in ("planned_end", "contract_signed"):
        value = _date(enrolment.get(name))
        if value is None:
            continue
        if name == "planned_end" and value < start:
            problems.append(error(("enrolment", name), f"{value} is before the start {start}"))
        if name == "contract_signed" and value > start + dt.timedelta(days=92):
            problems.append(
                warning(
                    ("enrolment", name), f"{value} is more than 3 months after the start {start}"
                )
            )

    programme = settings.programme(enrolment["programme"])
    if programme is None:
        known = ", ".join(sorted(settings.programmes))
        problems.append(
            error(
                ("enrolment", "programme"),
                f"unknown programme {enrolment['programme']!r} (known: {known})",
            )
        )
    else:
        reasons = eligibility_reasons(
            programme, birth, start, case["situation"].get("disability_recognition")
        )
        if reasons and not enrolment.get("eligibility_override"):
            problems.append(error(("enrolment", "programme"), "; ".join(reasons)))
        planned_end = _date(enrolment.get("planned_end"))
        limit = programme.get("max_duration_months")
        if planned_end and limit and planned_end > add_months(start, limit):
            problems.append(
                warning(
                    ("enrolment", "planned_end"),
                    f"{planned_end} is past the programme's maximum of {limit} months",
                )
            )

    referents = settings.referent_ids
    if referents and enrolment["referent"] not in referents:
        # A warning: the cases made before the referents were listed must stay writable;
        # enrol and import refuse an unknown referent.
        problems.append(
            warning(
                ("enrolment", "referent"),
                f"unknown referent {enrolment['referent']!r} (not in accomp.yaml's referents)",
            )
        )
    return problems


def _plan_problems(case: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    plan = case["plan"]
    objective_ids = [o["id"] for o in plan["objectives"]]
    problems += _duplicates(objective_ids, ("plan", "objectives"))
    problems += _duplicates([a["id"] for a in plan["actions"]], ("plan", "actions"))
    for name, entries in entry_lists(case):
        problems += _duplicates((e.get("id") for e in entries), (name,))
    for index, action in enumerate(plan["actions"]):
        where = ("plan", "actions", index)
        if action.get("objective") and action["objective"] not in objective_ids:
            problems.append(error((*where, "objective"), f"no objective {action['objective']}"))
        end = _date(action.get("end"))
        if end and end < _date(action["start"]):  # type: ignore[operator]
            problems.append(
                error((*where, "end"), f"{end} is before the action's start {action['start']}")
            )
        if action.get("hours_per_week") and action.get("hours"):
            problems.append(error((*where, "hours"), "give hours_per_week or hours, not both"))
        for number, slot in enumerate(action.get("schedule") or []):
            if slot["end"] <= slot["start"]:
                problems.append(
                    error((*where, "schedule", number, "end"),
                          f"{slot['end']} is not after the slot's start {slot['start']}")
                )  # fmt: skip
    return problems


def _duplicates(ids: Iterable[str | None], where: tuple[str, ...]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, ident in enumerate(ids):
        if ident is None:  # an entry added by hand: it gets its id on the next write
            continue
        if ident in seen:
            problems.append(error((*where, index, "id"), f"id {ident} is used twice"))
        seen.add(ident)
    return problems


def _entry_problems(case: dict[str, Any], settings: Settings) -> list[Problem]:
    """Contacts, activities, absences, target changes, allowances: dates and references."""
    problems: list[Problem] = []
    start = case["enrolment"]["start"]
    action_ids = {a["id"] for a in case["plan"]["actions"]}
    for section in ("contacts", "activities", "allowances"):
        for index, entry in enumerate(case[section]):
            if entry["date"] < start:
                problems.append(
                    error(
                        (section, index, "date"),
                        f"{entry['date']} is before the enrolment start {start}",
                    )
                )
    for index, activity in enumerate(case["activities"]):
        if is_voided(activity):  # it counts nowhere: what it refers to no longer matters
            continue
        if activity["kind"] not in settings.activity_kinds:
            problems.append(
                error(("activities", index, "kind"), f"unknown activity kind {activity['kind']!r}")
            )
        if activity.get("action") and activity["action"] not in action_ids:
            problems.append(
                error(("activities", index, "action"), f"no action {activity['action']}")
            )
    for index, action in enumerate(case["plan"]["actions"]):
        if action["kind"] not in settings.activity_kinds:
            problems.append(
                error(
                    ("plan", "actions", index, "kind"), f"unknown activity kind {action['kind']!r}"
                )
            )
    problems += _allowance_cap_problems(case, settings)
    for index, absence in enumerate(case["absences"]):
        if absence["to"] < absence["from"]:
            problems.append(
                error(("absences", index, "to"), f"{absence['to']} is before {absence['from']}")
            )
    for index, change in enumerate(case["target_changes"]):
        if change["hours"] == 0 and not change.get("requested_on"):
            problems.append(
                error(
                    ("target_changes", index, "requested_on"),
                    "a target of 0 needs the date of the person's request",
                )
            )
    return problems


def _allowance_cap_problems(case: dict[str, Any], settings: Settings) -> list[Problem]:
    """A year's allowances over the programme's cap need a forced reason (`allowance add
    --force --reason`); without one they are an error (two clones' payments merged, a hand
    edit), at the payment that crossed the cap."""
    programme = settings.programme(case["enrolment"]["programme"]) or {}
    cap = programme.get("allowance_yearly_cap")
    if cap is None:
        return []
    problems = []
    paid: dict[str, float] = {}
    forced: set[str] = set()
    ordered = sorted(
        ((i, a) for i, a in enumerate(case["allowances"]) if not is_voided(a)),
        key=lambda pair: pair[1]["date"],
    )
    for index, allowance in ordered:
        year = allowance["date"][:4]
        paid[year] = paid.get(year, 0.0) + float(allowance["amount"])
        if allowance.get("forced_reason"):
            forced.add(year)
        if paid[year] > cap + 1e-9 and year not in forced:
            message = f"{paid[year]:g} EUR paid in {year}, over the yearly cap of {cap:g} EUR"
            problems.append(error(("allowances", index, "amount"), message))
            forced.add(year)  # one problem per year
    return problems


def _exit_problems(case: dict[str, Any], settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    exit_ = case.get("exit")
    if exit_:
        if exit_["date"] < case["enrolment"]["start"]:
            problems.append(
                error(
                    ("exit", "date"),
                    f"{exit_['date']} is before the enrolment start {case['enrolment']['start']}",
                )
            )
        if exit_["outcome"] not in settings.outcomes:
            problems.append(error(("exit", "outcome"), f"unknown outcome {exit_['outcome']!r}"))
        elif needs_months(exit_["outcome"], settings) and exit_.get("contract_months") is None:
            message = f"a {exit_['outcome']} exit needs the contract's months"
            problems.append(warning(("exit", "contract_months"), message))
    elif case["followups"]:
        problems.append(error(("followups",), "a follow-up needs an exit"))
    situations = followup_situations(settings)
    for index, followup in enumerate(case["followups"]):
        where = ("followups", index)
        if exit_ and followup["date"] < exit_["date"]:
            problems.append(error((*where, "date"), f"{followup['date']} is before the exit"))
        if followup["situation"] not in situations:
            message = f"unknown situation {followup['situation']!r}"
            problems.append(error((*where, "situation"), message))
    return problems


def past_max_duration(case: dict[str, Any], settings: Settings, day: dt.date) -> int | None:
    """The programme's maximum in months, if the support lasts past it on `day` (or at its exit)."""
    programme = settings.programme(case["enrolment"]["programme"]) or {}
    limit = programme.get("max_duration_months")
    if not limit:
        return None
    start = dt.date.fromisoformat(case["enrolment"]["start"])
    exit_ = case.get("exit")
    last = min(day, dt.date.fromisoformat(exit_["date"])) if exit_ else day
    return int(limit) if last > add_months(start, int(limit)) else None


def _day_bound_dates(case: dict[str, Any]) -> Iterable[str]:
    """The dates of a case that the checks and the cohort figures compare with today.

    What happened (contacts, allowances, follow-ups, done activities, the exit:
    dated after today they are warnings, and done ones are realised hours), the
    birth date, and what sets the weekly targets (start, planned end, target
    changes, absences). Not the plan's dates: they may lie ahead without
    changing anything computed on today.
    """
    for section in ("contacts", "allowances", "followups"):
        for entry in case.get(section) or []:
            yield entry["date"]
    for activity in case.get("activities") or []:
        if activity["status"] == "done":
            yield activity["date"]
    if case.get("exit"):
        yield case["exit"]["date"]
    yield case["identity"]["birth_date"]
    enrolment = case["enrolment"]
    yield enrolment["start"]
    if enrolment.get("planned_end"):
        yield enrolment["planned_end"]
    for change in case.get("target_changes") or []:
        yield change["from"]
    for absence in case.get("absences") or []:
        yield absence["from"]
        yield absence["to"]


def stable_until(case: dict[str, Any], settings: Settings, today: dt.date) -> dt.date:
    """The last day on which what was computed on `today` still holds for this case.

    The checks and the cohort figures depend on the day only by comparing it with
    some of the case's own dates (_day_bound_dates) and with the end of the
    programme's maximum duration. So they stay the same
    from `today` until a week before the first such date after `today` (a week:
    the weekly figures look at whole weeks). Computed on `today`, they hold on
    `today` itself in any case.
    """
    iso = today.isoformat()
    after = [day for day in _day_bound_dates(case) if day > iso]
    programme = settings.programme(case["enrolment"]["programme"]) or {}
    limit = programme.get("max_duration_months")
    if limit:
        start = dt.date.fromisoformat(case["enrolment"]["start"])
        with contextlib.suppress(OverflowError, ValueError):  # past the year 9999: never reached
            # The first day past the maximum: once it is behind, it changes nothing again
            # (a case past its maximum stays past it), so only one ahead bounds the checks.
            past = (add_months(start, int(limit)) + dt.timedelta(days=1)).isoformat()
            if past > iso:
                after.append(past)
    days = []
    for day in after:
        try:
            days.append(dt.date.fromisoformat(day))
        except ValueError:
            continue  # text shaped like a day (a note), compared with nothing
    if not days:
        return dt.date.max
    return max(today, min(days) - dt.timedelta(days=7))
