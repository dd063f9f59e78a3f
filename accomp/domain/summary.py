"""The cohort summary: the figures coordinators report to funders, computed the same way every time.

`summarise` takes the cohort views of the cases (`cohort_view`: the part of a
case document the figures need, with its weekly hours already judged), the
settings, a period and the reference day, and returns plain data whose keys
are the documented ones.
Rules of counting:

* the **cases** in scope are those enrolled at any time in the period: started
  on or before its last day, and not exited before its first day;
* **entries** started in the period; **active** cases are enrolled on its last day;
* **exits** are those dated in the period;
* **shares** are fractions of the cases in scope (0 to 1, 4 decimals); a value
  that is not known (null) counts as "no" here (the FSE+ indicators count
  unknowns apart);
* **hours** come from the weekly hours check, for weeks wholly inside the
  period and not after the reference day; exempt weeks are not judged;
* a case's **cadence is respected** when, within the period, no gap between
  its start, its contacts and the end of the period (or its exit) is longer
  than its programme's cadence allows.

An empty scope gives zeros, never an error.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from accomp.domain.checks import past_max_duration
from accomp.domain.dates import age_on
from accomp.domain.followup import cadence_days
from accomp.domain.hours import contract_window, judged_week_figures, judged_weeks
from accomp.domain.outcomes import CATEGORIES, POSITIVE, exit_category
from accomp.domain.settings import Settings

# The barrier themes (freins périphériques) of the diagnostic, as in the case-file schema.
BARRIER_THEMES = (
    "mobility",
    "housing",
    "health",
    "family",
    "language",
    "digital",
    "money",
    "administrative",
    "basic-skills",
)
DAYS_PER_MONTH = 365.25 / 12
GROUPINGS = ("programme", "referent", "modality", "sex", "qpv", "prescriber")


def cohort_view(case: dict[str, Any], settings: Settings, on: dt.date) -> dict[str, Any]:
    """What the summary and the FSE+ indicators read of a case, computed on day `on`.

    A fraction of the document (no names, notes, plan or activity entries), so
    that the cohort cache stays small; the weekly hours come judged (see
    hours.judged_weeks). It holds for later days as long as checks.stable_until says.
    """
    exit_ = case.get("exit")
    return {
        "case_id": case["case_id"],
        "identity": {
            "sex": case["identity"]["sex"],
            "birth_date": case["identity"]["birth_date"],
        },
        "enrolment": case["enrolment"],
        "situation": case["situation"],
        "diagnostic": {
            "barriers": [{"theme": b["theme"]} for b in case["diagnostic"].get("barriers", [])]
        },
        "contacts": [{"date": k["date"], "channel": k["channel"]} for k in case["contacts"]],
        "allowances": [{"date": a["date"], "amount": a["amount"]} for a in case["allowances"]],
        "followups": case["followups"],
        **({"exit": exit_} if exit_ else {}),
        "hours": judged_weeks(case, settings, on),
    }


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def ratio(part: float, whole: float, digits: int = 4) -> float:
    """part / whole rounded, 0 when whole is 0."""
    return round(part / whole, digits) if whole else 0.0


def in_scope(case: dict[str, Any], first: dt.date, last: dt.date) -> bool:
    """Whether a case was enrolled at some time between first and last."""
    start = _day(case["enrolment"]["start"])
    exit_ = case.get("exit")
    return start <= last and (not exit_ or _day(exit_["date"]) >= first)


def group_key(case: dict[str, Any], by: str) -> str:
    """The value of a case for `accomp summary --by`."""
    if by == "sex":
        return str(case["identity"]["sex"])
    if by == "qpv":
        value = case["situation"].get("qpv")
        return "unknown" if value is None else ("qpv" if value else "not-qpv")
    return str(case["enrolment"].get(by) or "unknown")


def summarise(
    cases: Iterable[dict[str, Any]],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    today: dt.date,
) -> dict[str, Any]:
    """The summary of the cases in scope for the period first..last (see the module's rules)."""
    scope = sorted((c for c in cases if in_scope(c, first, last)), key=lambda c: c["case_id"])
    on = min(today, last)
    n = len(scope)
    exits = [c for c in scope if c.get("exit") and first <= _day(c["exit"]["date"]) <= last]
    categories = Counter(exit_category(c["exit"], settings) for c in exits)
    active = [c for c in scope if not c.get("exit") or _day(c["exit"]["date"]) > last]

    summary: dict[str, Any] = {
        "cases": n,
        "entries": sum(1 for c in scope if first <= _day(c["enrolment"]["start"]) <= last),
        "active": len(active),
        "exits": {
            "total": len(exits),
            "by_outcome": dict(sorted(Counter(c["exit"]["outcome"] for c in exits).items())),
            "by_category": {category: categories.get(category, 0) for category in CATEGORIES},
        },
        "by_programme": _count(scope, lambda c: c["enrolment"]["programme"]),
        "by_modality": _count(scope, lambda c: c["enrolment"]["modality"]),
        "by_referent": _count(scope, lambda c: c["enrolment"]["referent"]),
        "shares": _shares(scope),
        "durable_employment_rate": ratio(categories["durable-employment"], len(exits)),
        "positive_exit_rate": ratio(sum(categories[c] for c in POSITIVE), len(exits)),
        "hours": _hours(scope, first, last, on),
        "contacts": _contacts(scope, settings, first, last, on),
        "allowances": _allowances(scope, first, last),
        "durations": {
            "median_months": round(
                statistics.median(
                    _months(c["enrolment"]["start"], c["exit"]["date"]) for c in exits
                ),
                1,
            )
            if exits
            else 0.0,
            "past_max_duration": sum(1 for c in scope if past_max_duration(c, settings, on)),
        },
        "caseload": _caseload(active, settings),
    }
    summary["objectives"] = _objectives(summary, settings)
    return summary


def _count(cases: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, int]:
    return dict(sorted(Counter(key(c) for c in cases).items()))


def _months(start: str, end: str) -> float:
    return (_day(end) - _day(start)).days / DAYS_PER_MONTH


def _shares(scope: list[dict[str, Any]]) -> dict[str, float]:
    n = len(scope)
    ages = [age_on(_day(c["identity"]["birth_date"]), _day(c["enrolment"]["start"])) for c in scope]
    themes = [{b["theme"] for b in c["diagnostic"].get("barriers", [])} for c in scope]
    shares = {
        "qpv": ratio(sum(1 for c in scope if c["situation"].get("qpv") is True), n),
        "no_qualification": ratio(
            sum(1 for c in scope if (c["situation"].get("qualification_level") or 99) <= 2), n
        ),
        "women": ratio(sum(1 for c in scope if c["identity"]["sex"] == "F"), n),
        "under_26": ratio(sum(1 for age in ages if age < 26), n),
        "age_26_29": ratio(sum(1 for age in ages if 26 <= age <= 29), n),
        "age_30_plus": ratio(sum(1 for age in ages if age >= 30), n),
        "with_barrier": ratio(sum(1 for t in themes if t), n),
    }
    for theme in BARRIER_THEMES:
        shares[f"barrier_{theme.replace('-', '_')}"] = ratio(
            sum(1 for t in themes if theme in t), n
        )
    return shares


def _hours(
    scope: list[dict[str, Any]], first: dt.date, last: dt.date, on: dt.date
) -> dict[str, Any]:
    judged = [row for case in scope for row in judged_week_figures(case["hours"], first, last, on)]
    met = sum(1 for is_met, _ in judged if is_met)
    return {
        "weeks_judged": len(judged),
        "weeks_met": met,
        "compliance_rate": ratio(met, len(judged)),
        "median_realised_hours": round(statistics.median(hours for _, hours in judged), 2)
        if judged
        else 0.0,
    }


def _support_days(case: dict[str, Any], first: dt.date, last: dt.date) -> int:
    start, _ = contract_window(case)
    exit_ = case.get("exit")
    end = min(last, _day(exit_["date"])) if exit_ else last
    return max(0, (end - max(start, first)).days + 1)


def _contacts(
    scope: list[dict[str, Any]], settings: Settings, first: dt.date, last: dt.date, on: dt.date
) -> dict[str, Any]:
    low, high = first.isoformat(), last.isoformat()
    contacts = [k for c in scope for k in c["contacts"] if low <= k["date"] <= high]
    months = sum(_support_days(c, first, last) for c in scope) / DAYS_PER_MONTH
    judged = [
        respected
        for c in scope
        if (respected := cadence_respected(c, _cadence(c, settings), first, on)) is not None
    ]
    return {
        "total": len(contacts),
        "by_channel": _count(contacts, lambda k: k["channel"]),
        "per_case_per_month": round(len(contacts) / months, 2) if months else 0.0,
        "cadence_respected": ratio(sum(judged), len(judged)),
    }


def _cadence(case: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    programme = settings.programme(case["enrolment"]["programme"]) or {}
    return programme.get("contact_cadence") or []


def cadence_respected(
    case: dict[str, Any], cadence: list[dict[str, Any]], first: dt.date, on: dt.date
) -> bool | None:
    """Whether no gap between contacts, from `first` to `on` (or the exit), exceeded the cadence.

    None when the programme sets no cadence or the case was not followed in that time.
    """
    if not cadence:
        return None
    start, _ = contract_window(case)
    exit_ = case.get("exit")
    end = min(on, _day(exit_["date"])) if exit_ else on
    if end < max(start, first):
        return None
    points = [
        start,
        *sorted(_day(k["date"]) for k in case["contacts"] if start <= _day(k["date"]) <= end),
    ]
    for here, following in zip(points, [*points[1:], end], strict=True):
        allowed = cadence_days(cadence, start, here)
        if following >= first and allowed is not None and (following - here).days > allowed:
            return False
    return True


def _allowances(scope: list[dict[str, Any]], first: dt.date, last: dt.date) -> dict[str, Any]:
    low, high = first.isoformat(), last.isoformat()
    paid = {
        c["case_id"]: sum(a["amount"] for a in c["allowances"] if low <= a["date"] <= high)
        for c in scope
    }
    return {
        "total": round(sum(paid.values()), 2),
        "beneficiaries": sum(1 for amount in paid.values() if amount > 0),
    }


def _caseload(active: list[dict[str, Any]], settings: Settings) -> dict[str, dict[str, Any]]:
    """Active cases per referent at the end of the period, against the limit that applies."""
    own_limits = {r["id"]: r.get("caseload_limit") for r in settings.referents}
    result = {}
    for referent, cases in sorted(_by(active, lambda c: c["enrolment"]["referent"]).items()):
        limits = [
            (settings.programme(c["enrolment"]["programme"]) or {}).get("caseload_limit")
            for c in cases
        ]
        limit = own_limits.get(referent) or min((x for x in limits if x), default=None)
        result[referent] = {
            "cases": len(cases),
            "limit": limit,
            "over_limit": limit is not None and len(cases) > limit,
        }
    return result


def _by(
    cases: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]
) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return groups


def _objectives(summary: dict[str, Any], settings: Settings) -> dict[str, dict[str, Any]]:
    result = {}
    for path, target in sorted(settings.objectives.items()):
        value: Any = summary
        for part in path.split("."):
            value = value[part]
        result[path] = {"achieved": value, "target": target, "reached": value >= target}
    return result
