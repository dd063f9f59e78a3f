"""The pathway's phases, each from a day, and the consent to follow a person into their job.

Seed 001 starts with an outreach and remobilisation phase before any contract; the
pathway proper is the contract; seeds 000 and 003 follow people into their job after
the exit, which needs their consent. So a case moves forward through

    outreach → diagnostic → pathway → follow-up → closed

each transition dated (`phases`, an entry list). A case with no transition is in its
pathway from its enrolment start. After its exit, a case is closed, unless it was moved
into follow-up, which needs the exit and the person's recorded consent, given by that
day and not withdrawn. The first phase written begins on the enrolment start (the day
the structure took the person on), so that every day of a case has one phase.
"""

from __future__ import annotations

from typing import Any

from accomp.domain.problems import Problem, error

PHASES = ("outreach", "diagnostic", "pathway", "follow-up", "closed")
BEFORE_EXIT = frozenset({"outreach", "diagnostic", "pathway"})


def transitions(case: dict[str, Any]) -> list[tuple[str, str]]:
    """The case's phase transitions as (from, phase), in date order (then as written)."""
    listed = case.get("phases") or []
    ordered = sorted(range(len(listed)), key=lambda i: (listed[i]["from"], i))
    return [(listed[i]["from"], listed[i]["phase"]) for i in ordered]


def phase_on(
    steps: list[tuple[str, str]], start: str, exit_date: str | None, day: str
) -> str | None:
    """The phase of a case on `day` (ISO), from its transitions, enrolment start and exit
    date; None before the case began."""
    if day < (steps[0][0] if steps else start):
        return None
    current = "pathway"
    for begins, phase in steps:
        if begins > day:
            break
        current = phase
    if exit_date is not None and exit_date <= day and current in BEFORE_EXIT:
        return "closed"  # exited, and not moved into follow-up
    return current


def current_phase(case: dict[str, Any], day: str) -> str | None:
    """The phase of a case document on `day` (ISO)."""
    exit_ = case.get("exit")
    start = case["enrolment"]["start"]
    return phase_on(transitions(case), start, exit_["date"] if exit_ else None, day)


def consent_on(case: dict[str, Any], day: str) -> bool:
    """Whether the person's consent to follow-up holds on `day`."""
    consent = case.get("followup_consent")
    if not consent or consent["given_on"] > day:
        return False
    withdrawn = consent.get("withdrawn_on")
    return withdrawn is None or withdrawn > day


def transition_refusal(case: dict[str, Any], phase: str, day: str) -> str | None:
    """Why the case cannot move into `phase` on `day`, or None (the rules of phase_problems,
    asked before writing, so that the counsellor gets the reason in words)."""
    steps = transitions(case)
    start = case["enrolment"]["start"]
    if not steps:  # the first phase written replaces the implied pathway from the start
        if day != start:
            return (
                f"the first phase begins on the enrolment start {start} "
                f"(then move on: accomp phase set ID {phase} --date {day})"
            )
        return _exit_rule(case, phase, day)
    # The phase last written (the closed an exit implies does not bar follow-up).
    current = [phase for begins, phase in steps if begins <= day][-1]
    if day < steps[-1][0]:
        return f"the case moved into {steps[-1][1]} on {steps[-1][0]}: a phase goes after it"
    if current == phase:
        return f"the case is already in {phase} on {day}"
    if PHASES.index(phase) < PHASES.index(current):
        return f"the case is in {current} on {day}: phases only move forward"
    return _exit_rule(case, phase, day)


def _exit_rule(case: dict[str, Any], phase: str, day: str) -> str | None:
    exit_ = case.get("exit")
    if phase in BEFORE_EXIT and exit_ and exit_["date"] < day:
        return f"the case exited on {exit_['date']}: {phase} must begin by then"
    if phase in ("follow-up", "closed") and not (exit_ and exit_["date"] <= day):
        return f"{phase} begins after the exit (record the exit first)"
    if phase == "follow-up" and not consent_on(case, day):
        return (
            f"follow-up in employment needs the person's consent, given by {day} "
            "(accomp consent ID --given-on D)"
        )
    return None


def phase_problems(case: dict[str, Any]) -> list[Problem]:
    """The domain problems of a case's phases (dated before the start, backward moves,
    a phase on the wrong side of the exit, follow-up without consent)."""
    listed = case.get("phases") or []
    start = case["enrolment"]["start"]
    problems = []
    highest = -1
    ordered = sorted(range(len(listed)), key=lambda i: (listed[i]["from"], i))
    for index in ordered:
        step = listed[index]
        where = ("phases", index)
        if index == ordered[0] and step["from"] != start:
            message = f"the first phase begins on the enrolment start {start}"
            problems.append(error((*where, "from"), message))
        rank = PHASES.index(step["phase"])
        if rank <= highest:
            message = f"{step['phase']} after {PHASES[highest]}: phases only move forward"
            problems.append(error((*where, "phase"), message))
        highest = max(highest, rank)
        refusal = _exit_rule(case, step["phase"], step["from"])
        if refusal:
            problems.append(error((*where, "phase"), refusal))
    consent = case.get("followup_consent")
    withdrawn = consent.get("withdrawn_on") if consent else None
    if consent and withdrawn and withdrawn < consent["given_on"]:
        problems.append(
            error(
                ("followup_consent", "withdrawn_on"),
                f"is before it was given ({consent['given_on']})",
            )
        )
    return problems


def phase_counts(views: list[dict[str, Any]], day: str) -> dict[str, int]:
    """How many cases are in each phase on `day`, from their cohort views (all phases shown)."""
    counts = dict.fromkeys(PHASES, 0)
    for view in views:
        phase = phase_on(
            [tuple(step) for step in view["phases"]],  # type: ignore[misc]
            view["enrolment"]["start"],
            view["exit"]["date"] if view.get("exit") else None,
            day,
        )
        if phase is not None:
            counts[phase] += 1
    return counts
