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
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from accomp.domain.checks import past_max_duration
from accomp.domain.corrections import counted
from accomp.domain.dates import age_on
from accomp.domain.followup import cadence_days
from accomp.domain.hours import contract_window, hours_view, judged_in_period, judged_weeks
from accomp.domain.outcomes import (
    CATEGORIES,
    POSITIVE,
    definition_label,
    exit_category,
    rate_base,
)
from accomp.domain.packed import pack_ints, unpack
from accomp.domain.phases import PHASES, phase_on, transitions
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


def cohort_view(
    case: dict[str, Any], settings: Settings, on: dt.date, hours: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the summary and the FSE+ indicators read of a case, computed on day `on`.

    A fraction of the document (no names, notes, plan or activity entries), so
    that the cohort cache stays small: the weekly hours come judged (see
    hours.judged_weeks), the contacts as sorted days with their channels, and
    the days a contact came later than the cadence allowed (`late_contacts`).
    It holds for later days as long as checks.stable_until says. `hours`: the case's
    hours view, when the caller has it (read_views computes every view at once).
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
        "hours": judged_weeks(hours if hours is not None else hours_view(case, settings), on),
        "phases": [list(step) for step in transitions(case)],
    }


def contact_days(case: dict[str, Any]) -> dict[str, str]:
    """A case's contacts in day order: `days` (days since `base`, the start's ordinal,
    sorted) and, in parallel, `channels` (indexes in CONTACT_CHANNELS), both packed
    (domain/packed.py).

    Those of a period are a slice found by two bisections.
    """
    base = _day(case["enrolment"]["start"]).toordinal()
    contacts = sorted(
        (_day(k["date"]).toordinal() - base, CONTACT_CHANNELS.index(k["channel"]))
        for k in case["contacts"]
    )
    return {
        "base": base,
        "days": pack_ints([day for day, _ in contacts]),
        "channels": pack_ints([c for _, c in contacts]),
    }


def late_contacts(case: dict[str, Any], cadence: list[dict[str, Any]]) -> str | None:
    """The days (since the start, sorted, packed) of the contacts that came later than the
    cadence allowed after the one before (or after the start); None when the programme sets
    no cadence.

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
    base = start.toordinal()
    return pack_ints(
        [
            following.toordinal() - base
            for here, following in itertools.pairwise(points)
            if (allowed := cadence_days(cadence, start, here)) is not None
            and (following - here).days > allowed
        ]
    )


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
    by_programme = tally_views(cases, settings, first, last, today, {}).get("", {})
    return figures_of(by_programme, settings, first, last, today, programme_objectives)


def tally_views(
    views: Iterable[dict[str, Any]],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    only: dict[str, str],
    by: str | None = None,
) -> dict[str, dict[str, Tally]]:
    """The tallies of the cases in scope for first..last whose enrolment has the values of
    `only` (programme, referent, modality), per group of `by` (group_keys; one group ""
    without) and per programme: a task for store.map_views, whose results merge_tallies
    puts together."""
    period = Period(first, last, today, settings)
    groups: dict[str, dict[str, Tally]] = {}
    for case in views:
        if not (enrolled_as(case, only) and period.in_scope(case)):
            continue
        programme = case["enrolment"]["programme"]
        for key in group_keys(case, by, settings) if by else ("",):
            tallies = groups.setdefault(key, {})
            tally = tallies.get(programme)
            if tally is None:
                tally = tallies[programme] = Tally()
            tally.add(case, period)
    return groups


def tallies_to_plain(groups: dict[str, dict[str, Tally]]) -> dict[str, dict[str, Any]]:
    """tally_views' result as JSON data (Tally.to_plain)."""
    return {
        key: {programme: tally.to_plain() for programme, tally in tallies.items()}
        for key, tallies in groups.items()
    }


def tallies_of_plain(plain: dict[str, dict[str, Any]]) -> dict[str, dict[str, Tally]]:
    """tally_views' result back from tallies_to_plain; ValueError when it is not one."""
    try:
        return {
            key: {programme: Tally.of_plain(tally) for programme, tally in tallies.items()}
            for key, tallies in plain.items()
        }
    except (AttributeError, TypeError) as error:
        raise ValueError(f"not tallies: {error}") from None


def enrolled_as(case: dict[str, Any], only: dict[str, str]) -> bool:
    """Whether a case's enrolment has these values (programme, referent, modality: the
    options that narrow a summary to some of the cases)."""
    enrolment = case["enrolment"]
    return all(enrolment.get(field) == value for field, value in only.items())


def merge_tallies(parts: Iterable[dict[str, dict[str, Tally]]]) -> dict[str, dict[str, Tally]]:
    """The tallies of tally_views over several parts of a store, as one."""
    collected: dict[str, dict[str, list[Tally]]] = {}
    for part in parts:
        for key, tallies in part.items():
            for programme, tally in tallies.items():
                collected.setdefault(key, {}).setdefault(programme, []).append(tally)
    return {
        key: {name: Tally.merged(found) for name, found in sorted(tallies.items())}
        for key, tallies in sorted(collected.items())
    }


def figures_of(
    by_programme: dict[str, Tally],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    programme_objectives: bool = True,
) -> dict[str, Any]:
    """The summary's figures from the tallies of its programmes (tally_views)."""
    total = Tally.merged(by_programme.values())
    summary = total.figures(by_programme, settings)
    summary["objectives"] = _objectives(summary, settings.objectives)
    if programme_objectives:
        own_objectives = {}
        for name in sorted(by_programme):
            targets = (settings.programme(name) or {}).get("objectives") or {}
            if targets:
                own = by_programme[name].figures({name: by_programme[name]}, settings)
                own_objectives[name] = _objectives(own, targets)
        summary["objectives_by_programme"] = own_objectives
    return summary


class Period:
    """A summary's period and reference day, read once for every case."""

    def __init__(self, first: dt.date, last: dt.date, today: dt.date, settings: Settings) -> None:
        self.first, self.last, self.on = first, last, min(today, last)
        self.low, self.high = first.isoformat(), last.isoformat()
        self.first_ordinal, self.last_ordinal = first.toordinal(), last.toordinal()
        self.settings = settings
        self.cadences = {name: _cadence(settings, name) for name in settings.programmes}
        self.categories: dict[tuple[str, str, Any], str] = {}
        self.limits = {
            name: (settings.programme(name) or {}).get("caseload_limit")
            for name in settings.programmes
        }

    def in_scope(self, case: dict[str, Any]) -> bool:
        """Enrolled at some time in the period (ISO dates compare as days)."""
        exit_ = case.get("exit")
        return case["enrolment"]["start"] <= self.high and (not exit_ or exit_["date"] >= self.low)

    def category(self, case: dict[str, Any]) -> str:
        """The category of a case's exit, by its programme's definition (memoised: few
        outcomes, few programmes)."""
        exit_, programme = case["exit"], case["enrolment"]["programme"]
        key = (programme, exit_["outcome"], exit_.get("contract_months"))
        category = self.categories.get(key)
        if category is None:
            category = self.categories[key] = exit_category(exit_, self.settings, programme)
        return category


class Tally:
    """What the summary counts of some cases in one period, case by case.

    Tallies merge: the tally of two sets of cases is the merge of their tallies,
    so that a summary can be counted per programme (their own objectives and
    rates), and the store's figures be those of the programmes together. Sums
    of money use math.fsum and medians are taken from counts of values, so that
    the order in which cases come changes no figure.
    """

    def __init__(self) -> None:
        self.cases = self.entries = self.active = 0
        self.exit_outcomes: Counter[str] = Counter()
        self.exit_categories: Counter[str] = Counter()
        self.modalities: Counter[str] = Counter()
        self.referents: Counter[str] = Counter()
        self.qpv = self.no_qualification = self.women = 0
        self.under_26 = self.age_26_29 = self.age_30_plus = self.with_barrier = 0
        self.themes: Counter[str] = Counter()
        self.weeks = self.weeks_met = 0
        self.realised: Counter[int] = Counter()  # judged weeks by realised hundredths of hours
        self.channels: Counter[int] = Counter()  # contacts by channel
        self.support_days = 0
        self.cadence_judged = self.cadence_kept = 0
        self.paid: list[float] = []  # each case's allowances in the period (fsum'd at the end)
        self.beneficiaries = 0
        self.appointments: Counter[str] = Counter()
        self.months: Counter[float] = Counter()  # months of support of each exit
        self.past_max_duration = 0
        # Active at the end, per referent: [cases, the smallest caseload limit of their
        # programmes (None: none sets one)].
        self.caseloads: dict[str, list[Any]] = {}
        self.phases: Counter[str] = Counter()

    def add(self, case: dict[str, Any], period: Period) -> None:
        """Count one case in scope."""
        enrolment, situation = case["enrolment"], case["situation"]
        start, programme = enrolment["start"], enrolment["programme"]
        exit_ = case.get("exit")
        exit_date = exit_["date"] if exit_ else None
        low, high = period.low, period.high
        self.cases += 1
        if low <= start <= high:
            self.entries += 1
        if exit_date is not None and exit_date <= high:  # in scope: not before the period
            self.exit_outcomes[exit_["outcome"]] += 1
            self.exit_categories[period.category(case)] += 1
            self.months[_months(start, exit_date)] += 1
        else:
            self.active += 1
            referent = enrolment["referent"]
            limit = period.limits.get(programme)
            load = self.caseloads.get(referent)
            if load is None:
                self.caseloads[referent] = [1, limit or None]
            else:
                load[0] += 1
                if limit and (load[1] is None or limit < load[1]):
                    load[1] = limit
        self.modalities[enrolment["modality"]] += 1
        self.referents[enrolment["referent"]] += 1
        # Shares of the cohort.
        if situation.get("qpv") is True:
            self.qpv += 1
        if (situation.get("qualification_level") or 99) <= INFRA_V_MAX_LEVEL:
            self.no_qualification += 1
        if case["identity"]["sex"] == "F":
            self.women += 1
        age = case["age_at_start"]
        if age < 26:
            self.under_26 += 1
        elif age <= 29:
            self.age_26_29 += 1
        else:
            self.age_30_plus += 1
        themes = case["barrier_themes"]
        if themes:
            self.with_barrier += 1
            counted_themes = self.themes
            for theme in themes:  # a few: Counter.update costs more than the counting
                counted_themes[theme] += 1
        # Weekly hours.
        weeks, met, realised = judged_in_period(case["hours"], period.first, period.last, period.on)
        if weeks:
            self.weeks += weeks
            self.weeks_met += met
            self.realised.update(realised)
        # Contacts, and the days of support they are counted against.
        contacts = case["contacts"]
        days, base = unpack(contacts["days"]), contacts["base"]
        begin = bisect_left(days, period.first_ordinal - base)
        end = bisect_right(days, period.last_ordinal - base)
        if end > begin:
            self.channels.update(unpack(contacts["channels"])[begin:end])
        support_end = min(high, exit_date) if exit_date else high
        support_start = max(start, low)
        if support_end >= support_start:
            self.support_days += (_day(support_end) - _day(support_start)).days + 1
        cadence = period.cadences.get(programme, [])
        respected = cadence_respected(case, cadence, period.first, period.on, days)
        if respected is not None:
            self.cadence_judged += 1
            self.cadence_kept += respected
        # Allowances and appointments dated in the period.
        paid = sum(a["amount"] for a in case["allowances"] if low <= a["date"] <= high)
        self.paid.append(paid)
        if paid > 0:
            self.beneficiaries += 1
        for day, status in case["appointments"]:
            if low <= day <= high:
                self.appointments[status] += 1
        if past_max_duration(case, period.settings, period.on):
            self.past_max_duration += 1
        phase = phase_on(case["phases"], start, exit_date, high)  # [begins, phase] pairs
        if phase is not None:
            self.phases[phase] += 1

    def to_plain(self) -> dict[str, Any]:
        """The tally as JSON data (the cache keeps a shard's tallies): each counter as its
        (value, count) pairs, so that its values keep their type (int, float, str)."""
        return {
            name: sorted(value.items()) if isinstance(value, Counter) else value
            for name, value in vars(self).items()
        }

    @classmethod
    def of_plain(cls, plain: dict[str, Any]) -> Tally:
        """A tally back from to_plain; ValueError when the data is not one."""
        tally = cls()
        fields = vars(tally)
        if not isinstance(plain, dict) or set(plain) != set(fields):
            raise ValueError("not a tally")
        for name, value in plain.items():
            if isinstance(fields[name], Counter):
                fields[name] = Counter(dict((key, count) for key, count in value))
            elif type(value) is not type(fields[name]):
                raise ValueError(f"tally field {name}: {type(value).__name__}")
            else:
                fields[name] = value
        return tally

    @classmethod
    def merged(cls, tallies: Iterable[Tally]) -> Tally:
        """One tally of the cases of several (of disjoint sets of cases)."""
        total = cls()
        for tally in tallies:
            for name, value in vars(tally).items():
                mine = getattr(total, name)
                if name == "caseloads":
                    for referent, (count, limit) in value.items():
                        load = mine.setdefault(referent, [0, None])
                        load[0] += count
                        if limit is not None and (load[1] is None or limit < load[1]):
                            load[1] = limit
                elif isinstance(mine, Counter | list):
                    mine.update(value) if isinstance(mine, Counter) else mine.extend(value)
                else:
                    setattr(total, name, mine + value)
        return total

    def figures(self, programmes: dict[str, Tally], settings: Settings) -> dict[str, Any]:
        """The summary's figures of these cases (`programmes`: their tallies per programme,
        for the rates by each programme's definition)."""
        n, exits = self.cases, sum(self.exit_categories.values())
        categories = self.exit_categories
        rates = {name: _rates_of(name, programmes[name], settings) for name in sorted(programmes)}
        # The headline rates: by each case's programme's definition, over the base of the one
        # programme in scope (over the exits when programmes with other bases are mixed).
        headline = next(iter(rates.values())) if len(rates) == 1 else None
        return {
            "cases": n,
            "entries": self.entries,
            "active": self.active,
            "cohorts": {
                "accompanied": n,
                "entered": self.entries,
                "exited": exits,
                "active_at_end": self.active,
            },
            "exits": {
                "total": exits,
                "by_outcome": dict(sorted(self.exit_outcomes.items())),
                "by_category": {category: categories.get(category, 0) for category in CATEGORIES},
            },
            "by_programme": {name: programmes[name].cases for name in sorted(programmes)},
            "by_modality": dict(sorted(self.modalities.items())),
            "by_referent": dict(sorted(self.referents.items())),
            "shares": self._shares(),
            "durable_employment_rate": headline["durable_employment"]["rate"]
            if headline
            else ratio(categories["durable-employment"], exits),
            "positive_exit_rate": headline["positive_exit"]["rate"]
            if headline
            else ratio(sum(categories[c] for c in POSITIVE), exits),
            "rate_bases": {
                "durable_employment_rate": headline["durable_employment"]["base"]
                if headline
                else "exits",
                "positive_exit_rate": headline["positive_exit"]["base"] if headline else "exits",
            },
            "rates_by_programme": rates,
            "hours": {
                "weeks_judged": self.weeks,
                "weeks_met": self.weeks_met,
                "compliance_rate": ratio(self.weeks_met, self.weeks),
                "median_realised_hours": round(_median_of(self.realised, 100), 2)
                if self.realised
                else 0.0,
            },
            "contacts": self._contacts(),
            "allowances": {
                "total": round(_exact_sum(self.paid), 2),
                "beneficiaries": self.beneficiaries,
            },
            "appointments": self._appointments(),
            "durations": {
                "median_months": round(_median_of(self.months), 1) if self.months else 0.0,
                "past_max_duration": self.past_max_duration,
            },
            "caseload": self._caseload(settings),
            # Where the people accompanied stand on the period's last day (outreach … closed).
            "phases_at_end": {phase: self.phases.get(phase, 0) for phase in PHASES},
        }

    def _shares(self) -> dict[str, float]:
        n = self.cases
        shares = {
            "qpv": ratio(self.qpv, n),
            "no_qualification": ratio(self.no_qualification, n),
            "women": ratio(self.women, n),
            "under_26": ratio(self.under_26, n),
            "age_26_29": ratio(self.age_26_29, n),
            "age_30_plus": ratio(self.age_30_plus, n),
            "with_barrier": ratio(self.with_barrier, n),
        }
        for theme in BARRIER_THEMES:
            shares[f"barrier_{theme.replace('-', '_')}"] = ratio(self.themes[theme], n)
        return shares

    def _contacts(self) -> dict[str, Any]:
        by_channel = {CONTACT_CHANNELS[index]: n for index, n in self.channels.items()}
        total = sum(by_channel.values())
        months = self.support_days / DAYS_PER_MONTH
        return {
            "total": total,
            "by_channel": dict(sorted(by_channel.items())),
            "per_case_per_month": round(total / months, 2) if months else 0.0,
            "cadence_respected": ratio(self.cadence_kept, self.cadence_judged),
        }

    def _appointments(self) -> dict[str, Any]:
        """The appointments dated in the period by outcome; `missed_rate`: missed (excused or
        not) among those that took place or should have (done + missed)."""
        statuses = self.appointments
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

    def _caseload(self, settings: Settings) -> dict[str, dict[str, Any]]:
        """Active cases per referent at the end of the period, against the limit that applies."""
        own_limits = {r["id"]: r.get("caseload_limit") for r in settings.referents}
        result = {}
        for referent, (count, programme_limit) in sorted(self.caseloads.items()):
            limit = own_limits.get(referent) or programme_limit
            result[referent] = {
                "cases": count,
                "limit": limit,
                "over_limit": limit is not None and count > limit,
            }
        return result


def _rates_of(programme: str, tally: Tally, settings: Settings) -> dict[str, Any]:
    """A programme's definition, and its durable-employment and positive-exit rates, each
    over its own base (exits, entries or accompanied)."""
    categories = tally.exit_categories
    bases = {
        "exits": sum(categories.values()),
        "entries": tally.entries,
        "accompanied": tally.cases,
    }
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
    return figures


def _exact_sum(amounts: list[float]) -> float:
    """A sum of money that does not depend on the order of its terms: whole when they all
    are (amounts are often written `100`), else correctly rounded (math.fsum)."""
    if all(type(amount) is int for amount in amounts):
        return sum(amounts)
    return math.fsum(amounts)


def _median_of(counts: Counter[Any], unit: int = 1) -> float:
    """The median of a multiset of values given as counts (as statistics.median computes it
    on the values themselves: the middle one, or the mean of the two middle ones); `unit`:
    the values are in 1/unit (hundredths of an hour: 100)."""
    n = sum(counts.values())
    wanted = (n - 1) // 2, n // 2  # the positions of the middle values, in sorted order
    found: list[float] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while len(found) < 2 and seen > wanted[len(found)]:
            found.append(value / unit if unit != 1 else value)
        if len(found) == 2:
            break
    return found[0] if n % 2 else (found[0] + found[1]) / 2


def _months(start: str, end: str) -> float:
    return (_day(end) - _day(start)).days / DAYS_PER_MONTH


def _cadence(settings: Settings, programme: str) -> list[dict[str, Any]]:
    """The contact cadence of a programme ([] when it sets none, or is unknown)."""
    return (settings.programme(programme) or {}).get("contact_cadence") or []


def cadence_respected(
    view: dict[str, Any],
    cadence: list[dict[str, Any]],
    first: dt.date,
    on: dt.date,
    days: Sequence[int] | None = None,
) -> bool | None:
    """Whether no gap between contacts, from `first` to `on` (or the exit), exceeded the cadence.

    The gaps are those from the start to the first contact, between contacts,
    and from the last contact to the end (`on`, or the exit if earlier); a gap
    counts when it ends in the period. None when the programme sets no cadence
    or the case was not followed in that time. A few bisections in the view
    (`days`: its contacts' days, when already unpacked).
    """
    if view["late_contacts"] is None or not cadence:
        return None
    start = _day(view["enrolment"]["start"])
    exit_ = view.get("exit")
    end = min(on, _day(exit_["date"])) if exit_ else on
    if end < max(start, first):
        return None
    base = view["contacts"]["base"]  # the start's ordinal: the packed days count from it
    late = unpack(view["late_contacts"])
    if bisect_right(late, end.toordinal() - base) > bisect_left(late, first.toordinal() - base):
        return False  # a contact in the period came late
    # The last contact on or before the end (contacts before the start count as the start).
    if days is None:
        days = unpack(view["contacts"]["days"])
    index = bisect_right(days, end.toordinal() - base)
    here = max(start, dt.date.fromordinal(days[index - 1] + base)) if index else start
    allowed = cadence_days(cadence, start, here)
    return allowed is None or (end - here).days <= allowed


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
