"""The cohort summary: the figures coordinators report to funders, computed the same way every time.

`summarise` takes the cohort views of the cases (`cohort_view`: the part of a
case document the figures need, with its weekly hours already judged and its
contacts pre-aggregated), the settings, a period and the reference day, and
returns plain data whose keys are the documented ones. Each case costs a few
bisections, whatever the length of its history: a 10,000-case summary is
computed from the cache in a fraction of a second.
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
import functools
import itertools
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from accomp.domain.checks import past_max_duration
from accomp.domain.corrections import counted
from accomp.domain.dates import age_on
from accomp.domain.followup import cadence_days
from accomp.domain.hours import contract_window, judged_in_period, judged_weeks
from accomp.domain.outcomes import (
    CATEGORIES,
    POSITIVE,
    definition_label,
    exit_category,
    rate_base,
)
from accomp.domain.phases import phase_counts, transitions
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
# The contact channels, as in the case-file schema: a view keeps a contact's channel as
# its index here (a small number, cheap to load and to count).
CONTACT_CHANNELS = ("in-person", "phone", "email", "video", "sms", "letter")
DAYS_PER_MONTH = 365.25 / 12
GROUPINGS = (
    "programme",
    "referent",
    "modality",
    "prescriber",
    "sex",
    "qpv",
    "disability",
    "labour-market-status",
    "unemployment-duration",
    "barrier",
    "age-band",
    "qualification",
    "qualification-group",
    "outcome-category",
    "exit-outcome",
    "entry-month",
    "entry-quarter",
)
# Age at entry: the bands funders report (FSE+ and CEJ cut at 26 and 30).
AGE_BANDS = ((26, "under-26"), (30, "26-29"), (45, "30-44"), (200, "45-and-over"))
# Months of unemployment at entry: long-term from 12, very long-term from 24 (FSE+, DARES).
UNEMPLOYMENT_BANDS = ((12, "under-12-months"), (24, "12-23-months"), (10**6, "24-months-and-over"))
# Groupings in which a case may count several times (one group per barrier theme).
MULTI_VALUED = frozenset({"barrier"})
# Qualification levels 1-2 are "infra V" (no qualification), 3 and above "V and above".
INFRA_V_MAX_LEVEL = 2
# The enrolment fields the figures read (the groupings among them).
VIEW_ENROLMENT = ("programme", "modality", "prescriber", "referent", "start", "planned_end")


def cohort_view(case: dict[str, Any], settings: Settings, on: dt.date) -> dict[str, Any]:
    """What the summary and the FSE+ indicators read of a case, computed on day `on`.

    A fraction of the document (no names, notes, plan or activity entries), so
    that the cohort cache stays small: the weekly hours come judged (see
    hours.judged_weeks), the contacts as sorted days with their channels, and
    the days a contact came later than the cadence allowed (`late_contacts`).
    It holds for later days as long as checks.stable_until says.
    """
    case = counted(case)  # voided entries count nowhere
    exit_ = case.get("exit")
    return {
        "case_id": case["case_id"],
        "identity": {
            "sex": case["identity"]["sex"],
            "birth_date": case["identity"]["birth_date"],
        },
        "enrolment": {k: v for k, v in case["enrolment"].items() if k in VIEW_ENROLMENT},
        "situation": case["situation"],
        # The distinct barrier themes of the diagnostic, and the age at entry.
        "barrier_themes": sorted({b["theme"] for b in case["diagnostic"].get("barriers", [])}),
        "age_at_start": age_on(
            _day(case["identity"]["birth_date"]), _day(case["enrolment"]["start"])
        ),
        "contacts": contact_days(case),
        "late_contacts": late_contacts(case, _cadence(settings, case["enrolment"]["programme"])),
        "allowances": [{"date": a["date"], "amount": a["amount"]} for a in case["allowances"]],
        "followups": case["followups"],
        # The appointments' days and outcomes (planned, done, missed, missed-excused, cancelled).
        "appointments": sorted(
            [a["date"], a["status"] + ("-excused" if a.get("excused") else "")]
            for a in case.get("appointments") or []
        ),
        **({"exit": exit_} if exit_ else {}),
        "hours": judged_weeks(case, settings, on),
        "phases": [list(step) for step in transitions(case)],
    }


def contact_days(case: dict[str, Any]) -> dict[str, list[int]]:
    """A case's contacts in day order: `days` (ordinals, sorted) and, in parallel,
    `channels` (indexes in CONTACT_CHANNELS).

    Those of a period are a slice found by two bisections.
    """
    contacts = sorted(
        (_day(k["date"]).toordinal(), CONTACT_CHANNELS.index(k["channel"]))
        for k in case["contacts"]
    )
    return {"days": [day for day, _ in contacts], "channels": [c for _, c in contacts]}


def late_contacts(case: dict[str, Any], cadence: list[dict[str, Any]]) -> list[int] | None:
    """The days (ordinals, sorted) of the contacts that came later than the cadence allowed
    after the one before (or after the start); None when the programme sets no cadence.

    Only contacts from the start to the exit count. cadence_respected needs no more
    than this and the contacts' days, for any period and day.
    """
    if not cadence:
        return None
    start, _ = contract_window(case)
    exit_ = case.get("exit")
    stop = _day(exit_["date"]) if exit_ else dt.date.max
    contacts = (_day(k["date"]) for k in case["contacts"])
    points = [start, *sorted(day for day in contacts if start <= day <= stop)]
    return [
        following.toordinal()
        for here, following in itertools.pairwise(points)
        if (allowed := cadence_days(cadence, start, here)) is not None
        and (following - here).days > allowed
    ]


# Dates are read many times per case and repeat across cases: parsed once each.
_day = functools.lru_cache(maxsize=65536)(dt.date.fromisoformat)


def ratio(part: float, whole: float, digits: int = 4) -> float:
    """part / whole rounded, 0 when whole is 0."""
    return round(part / whole, digits) if whole else 0.0


def in_scope(case: dict[str, Any], first: dt.date, last: dt.date) -> bool:
    """Whether a case was enrolled at some time between first and last."""
    start = _day(case["enrolment"]["start"])
    exit_ = case.get("exit")
    return start <= last and (not exit_ or _day(exit_["date"]) >= first)


def group_keys(case: dict[str, Any], by: str, settings: Settings) -> list[str]:
    """The groups of a case (its cohort view) for `accomp summary --by`: one, except for the
    groupings of MULTI_VALUED (a case counts in each of its barrier themes, or in `none`)."""
    if by == "barrier":
        return list(case["barrier_themes"]) or ["none"]
    return [group_key(case, by, settings)]


def group_key(case: dict[str, Any], by: str, settings: Settings) -> str:
    """The value of a case for a single-valued grouping; "unknown" when the case does not
    say (and "no-exit" for the exit groupings of a case still active)."""
    situation, exit_ = case["situation"], case.get("exit")
    if by == "sex":
        return str(case["identity"]["sex"])
    if by in ("qpv", "disability"):
        value = situation.get("qpv" if by == "qpv" else "disability_recognition")
        return "unknown" if value is None else (by if value else f"not-{by}")
    if by == "labour-market-status":
        return str(situation.get("labour_market_status") or "unknown")
    if by == "unemployment-duration":
        months = situation.get("unemployment_months")
        if months is None:
            return "unknown"
        return next(label for limit, label in UNEMPLOYMENT_BANDS if months < limit)
    if by == "age-band":
        age = case["age_at_start"]
        return next(label for limit, label in AGE_BANDS if age < limit)
    if by in ("qualification", "qualification-group"):
        level = situation.get("qualification_level")
        if level is None:
            return "unknown"
        if by == "qualification":
            return f"level-{level}"
        return "infra-V" if level <= INFRA_V_MAX_LEVEL else "V-and-above"
    if by in ("outcome-category", "exit-outcome"):
        if not exit_:
            return "no-exit"
        if by == "exit-outcome":
            return str(exit_["outcome"])
        return exit_category(exit_, settings, case["enrolment"]["programme"])
    if by in ("entry-month", "entry-quarter"):
        start = case["enrolment"]["start"]
        if by == "entry-month":
            return start[:7]
        return f"{start[:4]}-Q{(int(start[5:7]) - 1) // 3 + 1}"
    return str(case["enrolment"].get(by) or "unknown")


def cross_table(
    cases: Iterable[dict[str, Any]],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    rows_by: str,
    columns_by: str,
) -> dict[str, Any]:
    """The people accompanied in the period, counted by two groupings (group_keys): `counts`
    and `shares` (of everyone accompanied) per row and column, with a `total` row and
    column; every value either grouping takes in scope is a row or a column. With a
    multi-valued grouping (barrier), a person counts in each of their groups, and the
    totals count people once."""
    scope = [c for c in cases if in_scope(c, first, last)]
    keys = [(group_keys(c, rows_by, settings), group_keys(c, columns_by, settings)) for c in scope]
    pairs = Counter((row, column) for rows_of, columns_of in keys
                    for row in rows_of for column in columns_of)  # fmt: skip
    row_totals = Counter(row for rows_of, _ in keys for row in rows_of)
    column_totals = Counter(column for _, columns_of in keys for column in columns_of)
    rows, columns = sorted(row_totals), sorted(column_totals)
    counts: dict[str, dict[str, int]] = {
        row: {**{column: pairs[row, column] for column in columns}, "total": row_totals[row]}
        for row in rows
    }
    counts["total"] = {**{column: column_totals[column] for column in columns}, "total": len(scope)}
    total = len(scope)
    return {
        "by": [rows_by, columns_by],
        "counts": counts,
        "shares": {
            row: {column: ratio(n, total) for column, n in counted.items()}
            for row, counted in counts.items()
        },
    }


def summarise(
    cases: Iterable[dict[str, Any]],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    programme_objectives: bool = True,
) -> dict[str, Any]:
    """The summary of the cases in scope for the period first..last (see the module's rules).

    `programme_objectives`: also compare each programme's own objectives with the
    figures of its cases alone (`objectives_by_programme`).
    """
    scope = sorted((c for c in cases if in_scope(c, first, last)), key=lambda c: c["case_id"])
    on = min(today, last)
    n = len(scope)
    exits = [c for c in scope if c.get("exit") and first <= _day(c["exit"]["date"]) <= last]
    categories = Counter(_category(c, settings) for c in exits)
    active = [c for c in scope if not c.get("exit") or _day(c["exit"]["date"]) > last]
    entries = [c for c in scope if first <= _day(c["enrolment"]["start"]) <= last]
    rates = _rates(scope, entries, exits, settings)
    # The headline rates: by each case's programme's definition, over the base of the one
    # programme in scope (over the exits when programmes with other bases are mixed).
    headline = next(iter(rates.values())) if len(rates) == 1 else None

    summary: dict[str, Any] = {
        "cases": n,
        "entries": len(entries),
        "active": len(active),
        "cohorts": {
            "accompanied": n,
            "entered": len(entries),
            "exited": len(exits),
            "active_at_end": len(active),
        },
        "exits": {
            "total": len(exits),
            "by_outcome": dict(sorted(Counter(c["exit"]["outcome"] for c in exits).items())),
            "by_category": {category: categories.get(category, 0) for category in CATEGORIES},
        },
        "by_programme": _count(scope, lambda c: c["enrolment"]["programme"]),
        "by_modality": _count(scope, lambda c: c["enrolment"]["modality"]),
        "by_referent": _count(scope, lambda c: c["enrolment"]["referent"]),
        "shares": _shares(scope),
        "durable_employment_rate": headline["durable_employment"]["rate"]
        if headline
        else ratio(categories["durable-employment"], len(exits)),
        "positive_exit_rate": headline["positive_exit"]["rate"]
        if headline
        else ratio(sum(categories[c] for c in POSITIVE), len(exits)),
        "rate_bases": {
            "durable_employment_rate": headline["durable_employment"]["base"]
            if headline
            else "exits",
            "positive_exit_rate": headline["positive_exit"]["base"] if headline else "exits",
        },
        "rates_by_programme": rates,
        "hours": _hours(scope, first, last, on),
        "contacts": _contacts(scope, settings, first, last, on),
        "allowances": _allowances(scope, first, last),
        "appointments": _appointments(scope, first, last),
        "durations": {
            "median_months": round(
                _median(_months(c["enrolment"]["start"], c["exit"]["date"]) for c in exits),
                1,
            )
            if exits
            else 0.0,
            "past_max_duration": sum(1 for c in scope if past_max_duration(c, settings, on)),
        },
        "caseload": caseload(active, settings),
        # Where the people accompanied stand on the period's last day (outreach … closed).
        "phases_at_end": phase_counts(scope, last.isoformat()),
    }
    summary["objectives"] = _objectives(summary, settings.objectives)
    if programme_objectives:
        by_programme = {}
        for name in sorted({c["enrolment"]["programme"] for c in scope}):
            targets = (settings.programme(name) or {}).get("objectives") or {}
            if targets:
                own = [c for c in scope if c["enrolment"]["programme"] == name]
                figures = summarise(own, settings, first, last, today, programme_objectives=False)
                by_programme[name] = _objectives(figures, targets)
        summary["objectives_by_programme"] = by_programme
    return summary


def _category(case: dict[str, Any], settings: Settings) -> str:
    return exit_category(case["exit"], settings, case["enrolment"]["programme"])


def _rates(
    scope: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    exits: list[dict[str, Any]],
    settings: Settings,
) -> dict[str, dict[str, Any]]:
    """Per programme in scope: the definition its figures follow, and its durable-employment
    and positive-exit rates, each over its own base (exits, entries or accompanied)."""
    result = {}
    for programme in sorted({c["enrolment"]["programme"] for c in scope}):
        mine = [c for c in exits if c["enrolment"]["programme"] == programme]
        bases = {
            "exits": len(mine),
            "entries": sum(1 for c in entries if c["enrolment"]["programme"] == programme),
            "accompanied": sum(1 for c in scope if c["enrolment"]["programme"] == programme),
        }
        categories = Counter(_category(c, settings) for c in mine)
        counted = {
            "durable_employment": categories["durable-employment"],
            "positive_exit": sum(categories[c] for c in POSITIVE),
        }
        figures: dict[str, Any] = {"definition": definition_label(settings, programme)}
        for rate, count in counted.items():
            base = rate_base(settings, programme, rate)
            figures[rate] = {
                "count": count,
                "base": base,
                "of": bases[base],
                "rate": ratio(count, bases[base]),
            }
        result[programme] = figures
    return result


def _median(values: Iterable[float]) -> float:
    # statistics imports fractions and decimal: 5 ms of every command's start, for two medians.
    import statistics

    return statistics.median(values)


def _count(cases: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, int]:
    return dict(sorted(Counter(key(c) for c in cases).items()))


def _months(start: str, end: str) -> float:
    return (_day(end) - _day(start)).days / DAYS_PER_MONTH


def _shares(scope: list[dict[str, Any]]) -> dict[str, float]:
    n = len(scope)
    ages = [c["age_at_start"] for c in scope]
    themes = [c["barrier_themes"] for c in scope]
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
    per_theme = Counter(theme for case_themes in themes for theme in case_themes)
    for theme in BARRIER_THEMES:
        shares[f"barrier_{theme.replace('-', '_')}"] = ratio(per_theme[theme], n)
    return shares


def _hours(
    scope: list[dict[str, Any]], first: dt.date, last: dt.date, on: dt.date
) -> dict[str, Any]:
    weeks = met = 0
    realised: list[float] = []
    for case in scope:
        case_weeks, case_met, case_realised = judged_in_period(case["hours"], first, last, on)
        weeks += case_weeks
        met += case_met
        realised += case_realised
    return {
        "weeks_judged": weeks,
        "weeks_met": met,
        "compliance_rate": ratio(met, weeks),
        "median_realised_hours": round(_median(realised), 2) if realised else 0.0,
    }


def _support_days(case: dict[str, Any], first: dt.date, last: dt.date) -> int:
    start = _day(case["enrolment"]["start"])
    exit_ = case.get("exit")
    end = min(last, _day(exit_["date"])) if exit_ else last
    return max(0, (end - max(start, first)).days + 1)


def _contacts(
    scope: list[dict[str, Any]], settings: Settings, first: dt.date, last: dt.date, on: dt.date
) -> dict[str, Any]:
    low, high = first.toordinal(), last.toordinal()
    channels: list[int] = []
    for case in scope:
        days = case["contacts"]["days"]
        begin, end = bisect_left(days, low), bisect_right(days, high)
        if end > begin:
            channels += case["contacts"]["channels"][begin:end]
    by_channel = {CONTACT_CHANNELS[index]: n for index, n in Counter(channels).items()}
    total = len(channels)
    months = sum(_support_days(c, first, last) for c in scope) / DAYS_PER_MONTH
    cadences = {name: _cadence(settings, name) for name in settings.programmes}
    judged = []
    for c in scope:
        cadence = cadences.get(c["enrolment"]["programme"], [])
        if (respected := cadence_respected(c, cadence, first, on)) is not None:
            judged.append(respected)
    return {
        "total": total,
        "by_channel": dict(sorted(by_channel.items())),
        "per_case_per_month": round(total / months, 2) if months else 0.0,
        "cadence_respected": ratio(sum(judged), len(judged)),
    }


def _cadence(settings: Settings, programme: str) -> list[dict[str, Any]]:
    """The contact cadence of a programme ([] when it sets none, or is unknown)."""
    return (settings.programme(programme) or {}).get("contact_cadence") or []


def cadence_respected(
    view: dict[str, Any], cadence: list[dict[str, Any]], first: dt.date, on: dt.date
) -> bool | None:
    """Whether no gap between contacts, from `first` to `on` (or the exit), exceeded the cadence.

    The gaps are those from the start to the first contact, between contacts,
    and from the last contact to the end (`on`, or the exit if earlier); a gap
    counts when it ends in the period. None when the programme sets no cadence
    or the case was not followed in that time. A few bisections in the view.
    """
    late = view["late_contacts"]
    if late is None or not cadence:
        return None
    start = _day(view["enrolment"]["start"])
    exit_ = view.get("exit")
    end = min(on, _day(exit_["date"])) if exit_ else on
    if end < max(start, first):
        return None
    if bisect_right(late, end.toordinal()) > bisect_left(late, first.toordinal()):
        return False  # a contact in the period came late
    # The last contact on or before the end (contacts before the start count as the start).
    days = view["contacts"]["days"]
    index = bisect_right(days, end.toordinal())
    here = max(start, dt.date.fromordinal(days[index - 1])) if index else start
    allowed = cadence_days(cadence, start, here)
    return allowed is None or (end - here).days <= allowed


def _appointments(scope: list[dict[str, Any]], first: dt.date, last: dt.date) -> dict[str, Any]:
    """The appointments dated in the period by outcome; `missed_rate`: missed (excused or not)
    among those that took place or should have (done + missed)."""
    low, high = first.isoformat(), last.isoformat()
    statuses = Counter(
        status for c in scope for day, status in c["appointments"] if low <= day <= high
    )
    missed = statuses["missed"] + statuses["missed-excused"]
    return {
        "total": sum(statuses.values()),
        "planned": statuses["planned"],
        "done": statuses["done"],
        "missed": missed,
        "missed_excused": statuses["missed-excused"],
        "cancelled": statuses["cancelled"],
        "missed_rate": ratio(missed, statuses["done"] + missed),
    }


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


def caseload(active: list[dict[str, Any]], settings: Settings) -> dict[str, dict[str, Any]]:
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


def _objectives(summary: dict[str, Any], targets: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each objective's figure achieved, its target, the gap (achieved - target) and whether
    it is reached (achieved >= target)."""
    result = {}
    for path, target in sorted(targets.items()):
        value: Any = summary
        for part in path.split("."):
            value = value[part]
        result[path] = {
            "achieved": value,
            "target": target,
            "gap": round(value - target, 4),
            "reached": value >= target,
        }
    return result
