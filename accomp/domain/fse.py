"""European Social Fund+ participant indicators (Regulation (EU) 2021/1057, annex I).

Counted by sex (F, M, X) with a total, and an explicit **unknown** column: a
participant whose case lacks a field an indicator needs is counted there and
listed (`--show-missing`), never silently dropped.

* At entry, the participants who entered in the period: labour-market status
  (unemployed, of whom long-term: 12 months and more; inactive; employed), age
  at entry (below 18, 18-29, 55 and over), education (ISCED 0-2, 3-4, 5-8 from
  the qualification level: 1-2, 3-4, 5-8), disability, third-country nationals
  (nationality group non-EU), homeless or in emergency shelter, rural.
  Foreign background and minorities are not collected (CNIL framework), so not reported.
* At exit (the exits of the period, situation within 4 weeks): in employment
  (durable or transition outcome), in education or training (qualifying or
  other training), job searching (a follow-up "job-search" within 4 weeks).
* Six months after the exit: in employment, from the first follow-up dated 5
  months or more after the exit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from accomp.domain.dates import add_months, age_on
from accomp.domain.outcomes import EMPLOYMENT, exit_category, outcome_category
from accomp.domain.settings import Settings

SEXES = ("F", "M", "X")
COLUMNS = (*SEXES, "total", "unknown")
TRAINING_OUTCOMES = frozenset({"qualifying-training", "other-training"})

# An indicator answers True, False, or None (unknown) for a case, and names the
# field it needs (for the list of missing data).
Rule = tuple[str, Callable[[dict[str, Any]], bool | None]]


def _situation(case: dict[str, Any], name: str) -> Any:
    return case["situation"].get(name)


def _status_is(wanted: str) -> Callable[[dict[str, Any]], bool | None]:
    def rule(case: dict[str, Any]) -> bool | None:
        status = _situation(case, "labour_market_status")
        return None if status is None else status == wanted

    return rule


def _long_term(case: dict[str, Any]) -> bool | None:
    status = _situation(case, "labour_market_status")
    if status is None:
        return None
    if status != "unemployed":
        return False
    months = _situation(case, "unemployment_months")
    return None if months is None else months >= 12


def _age(case: dict[str, Any]) -> int:
    return age_on(
        dt.date.fromisoformat(case["identity"]["birth_date"]),
        dt.date.fromisoformat(case["enrolment"]["start"]),
    )


def _level_between(low: int, high: int) -> Callable[[dict[str, Any]], bool | None]:
    def rule(case: dict[str, Any]) -> bool | None:
        level = _situation(case, "qualification_level")
        return None if level is None else low <= level <= high

    return rule


def _flag(name: str) -> Callable[[dict[str, Any]], bool | None]:
    def rule(case: dict[str, Any]) -> bool | None:
        value = _situation(case, name)
        return None if value is None else bool(value)

    return rule


def _third_country(case: dict[str, Any]) -> bool | None:
    group = _situation(case, "nationality_group")
    return None if group is None else group == "non-EU"


def _homeless(case: dict[str, Any]) -> bool | None:
    housing = _situation(case, "housing")
    return None if housing is None else housing in ("homeless", "emergency-shelter")


ENTRY_RULES: dict[str, Rule] = {
    "unemployed": ("situation.labour_market_status", _status_is("unemployed")),
    "long_term_unemployed": ("situation.unemployment_months", _long_term),
    "inactive": ("situation.labour_market_status", _status_is("inactive")),
    "employed": ("situation.labour_market_status", _status_is("employed")),
    "below_18": ("identity.birth_date", lambda c: _age(c) < 18),
    "age_18_29": ("identity.birth_date", lambda c: 18 <= _age(c) <= 29),
    "age_55_plus": ("identity.birth_date", lambda c: _age(c) >= 55),
    "isced_0_2": ("situation.qualification_level", _level_between(1, 2)),
    "isced_3_4": ("situation.qualification_level", _level_between(3, 4)),
    "isced_5_8": ("situation.qualification_level", _level_between(5, 8)),
    "disability": ("situation.disability_recognition", _flag("disability_recognition")),
    "third_country_nationals": ("situation.nationality_group", _third_country),
    "homeless": ("situation.housing", _homeless),
    "rural": ("situation.rural", _flag("rural")),
}


def _followups_within(
    case: dict[str, Any], low: dt.date, high: dt.date | None
) -> list[dict[str, Any]]:
    return sorted(
        (
            f
            for f in case["followups"]
            if low <= dt.date.fromisoformat(f["date"])
            and (high is None or dt.date.fromisoformat(f["date"]) <= high)
        ),
        key=lambda f: f["date"],
    )


def _exit_rules(settings: Settings) -> dict[str, Rule]:
    def employed(case: dict[str, Any]) -> bool:
        return exit_category(case["exit"], settings, case["enrolment"]["programme"]) in EMPLOYMENT

    def training(case: dict[str, Any]) -> bool:
        return case["exit"]["outcome"] in TRAINING_OUTCOMES

    def job_searching(case: dict[str, Any]) -> bool | None:
        if employed(case) or training(case):
            return False
        exit_day = dt.date.fromisoformat(case["exit"]["date"])
        within = _followups_within(case, exit_day, exit_day + dt.timedelta(weeks=4))
        return None if not within else any(f["situation"] == "job-search" for f in within)

    return {
        "in_employment": ("exit.outcome", employed),
        "in_education_or_training": ("exit.outcome", training),
        "job_searching": ("followups (within 4 weeks of the exit)", job_searching),
    }


def _six_month_rules(settings: Settings) -> dict[str, Rule]:
    def employed_later(case: dict[str, Any]) -> bool | None:
        exit_day = dt.date.fromisoformat(case["exit"]["date"])
        later = _followups_within(case, add_months(exit_day, 5), None)
        if not later:
            return None
        situation = later[0]["situation"]
        return (
            situation in settings.outcomes
            and outcome_category(situation, None, settings) in EMPLOYMENT
        )

    return {"in_employment": ("followups (6 months after the exit)", employed_later)}


def _table(
    cases: list[dict[str, Any]], rules: dict[str, Rule], missing: list[dict[str, str]]
) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {"participants": _row(cases, lambda c: True)}
    for name, (field, rule) in rules.items():
        row = dict.fromkeys(COLUMNS, 0)
        for case in cases:
            answer = rule(case)
            if answer is None:
                row["unknown"] += 1
                missing.append({"case_id": case["case_id"], "indicator": name, "field": field})
            elif answer:
                row[case["identity"]["sex"]] += 1
                row["total"] += 1
        table[name] = row
    return table


def _row(cases: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> dict[str, int]:
    row = dict.fromkeys(COLUMNS, 0)
    for case in cases:
        if keep(case):
            row[case["identity"]["sex"]] += 1
            row["total"] += 1
    return row


def fse_indicators(
    cases: list[dict[str, Any]], settings: Settings, first: dt.date, last: dt.date, today: dt.date
) -> dict[str, Any]:
    """The FSE+ indicators of the period: `entry`, `exit`, `six_months`, and the `missing` data."""
    entered = [c for c in cases if first <= dt.date.fromisoformat(c["enrolment"]["start"]) <= last]
    exited = [
        c
        for c in cases
        if c.get("exit") and first <= dt.date.fromisoformat(c["exit"]["date"]) <= last
    ]
    # Six months after: the exits of the period whose six months have passed by today.
    matured = [
        c for c in exited if add_months(dt.date.fromisoformat(c["exit"]["date"]), 6) <= today
    ]
    missing: list[dict[str, str]] = []
    result = {
        "entry": _table(sorted(entered, key=_id), ENTRY_RULES, missing),
        "exit": _table(sorted(exited, key=_id), _exit_rules(settings), missing),
        "six_months": _table(sorted(matured, key=_id), _six_month_rules(settings), missing),
    }
    result["missing"] = missing
    return result


def _id(case: dict[str, Any]) -> str:
    return str(case["case_id"])
