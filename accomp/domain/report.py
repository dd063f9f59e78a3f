"""The steering-committee report as plain data (`accomp report`), rendered to HTML at the edge.

Counts and rates only: no name, birth date or note ever enters it, only case
counts, referent ids and programme ids. With `small_cells`, a count of 1 to 4
people is shown as "< 5" (as statistical offices do) and left out of the
charts, so that nobody can be recognised in a small group.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from accomp.domain.fse import fse_indicators
from accomp.domain.hours import BANDS, band, judged_week_hours
from accomp.domain.outcomes import CATEGORIES
from accomp.domain.settings import Settings
from accomp.domain.summary import group_keys, in_scope, summarise

SMALL_CELL = 5
HIDDEN = f"< {SMALL_CELL}"
# The cohort's profile: the groupings shown, in this order.
PROFILE = (
    "sex",
    "age-band",
    "qualification-group",
    "qpv",
    "labour-market-status",
    "unemployment-duration",
    "barrier",
)


def months_of(first: dt.date, last: dt.date) -> list[str]:
    """The months (YYYY-MM) the period touches, in order."""
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def report_data(
    cases: list[dict[str, Any]],
    settings: Settings,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    programme: str | None,
    small_cells: bool,
) -> dict[str, Any]:
    """Everything the report shows, from the cohort views of the cases (already filtered to
    the programme when one is asked for)."""
    summary = summarise(cases, settings, first, last, today)
    scope = [c for c in cases if in_scope(c, first, last)]
    on = min(today, last)
    months = months_of(first, last)
    entries = Counter(c["enrolment"]["start"][:7] for c in scope)
    exits = Counter(
        c["exit"]["date"][:7]
        for c in scope
        if c.get("exit") and first.isoformat() <= c["exit"]["date"] <= last.isoformat()
    )
    per_week: dict[int, Counter[str]] = {}
    for case in scope:
        for monday, realised in judged_week_hours(case["hours"], first, last, on):
            per_week.setdefault(monday, Counter())[band(realised)] += 1
    bands = [label for _, label in BANDS]
    profile = {
        dimension: dict(
            sorted(Counter(k for c in scope for k in group_keys(c, dimension, settings)).items())
        )
        for dimension in PROFILE
    }
    mask = _masker(small_cells)
    return {
        "title": settings.data["structure"].get("name") or "accomp",
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "programme": programme,
        "made_on": today.isoformat(),
        "small_cells": small_cells,
        "cohorts": {k: mask(v) for k, v in summary["cohorts"].items()},
        "rates": {
            "durable_employment": {
                "rate": summary["durable_employment_rate"],
                "base": summary["rate_bases"]["durable_employment_rate"],
            },
            "positive_exit": {
                "rate": summary["positive_exit_rate"],
                "base": summary["rate_bases"]["positive_exit_rate"],
            },
            "weeks_met": summary["hours"]["compliance_rate"],
            "cadence_respected": summary["contacts"]["cadence_respected"],
        },
        "definitions": {
            name: figures["definition"] for name, figures in summary["rates_by_programme"].items()
        },
        "rates_by_programme": {
            name: {
                rate: {
                    **figures[rate],
                    "count": mask(figures[rate]["count"]),
                    "of": mask(figures[rate]["of"]),
                }
                for rate in ("durable_employment", "positive_exit")
            }
            for name, figures in summary["rates_by_programme"].items()
        },
        # The store's objectives, then each programme's own (with its cases alone).
        "objectives": {
            scope: targets
            for scope, targets in {
                "all programmes": summary["objectives"],
                **summary["objectives_by_programme"],
            }.items()
            if targets
        },
        "exit_categories": {k: mask(summary["exits"]["by_category"][k]) for k in CATEGORIES},
        "per_month": [
            {"month": month, "entries": mask(entries[month]), "exits": mask(exits[month])}
            for month in months
        ],
        "weekly_hours": {
            "bands": bands,
            "weeks": [
                {
                    "week": dt.date.fromordinal(monday).isoformat(),
                    **{label: mask(per_week[monday][label]) for label in bands},
                }
                for monday in sorted(per_week)
            ],
        },
        "caseload": [
            {
                "referent": referent,
                "cases": mask(load["cases"]),
                "limit": load["limit"],
                "over_limit": load["over_limit"],
            }
            for referent, load in summary["caseload"].items()
        ],
        "profile": {
            dimension: {value: mask(n) for value, n in counts.items()}
            for dimension, counts in profile.items()
        },
        "fse": {
            part: {
                indicator: {k: mask(v) for k, v in row.items()} for indicator, row in table.items()
            }
            for part, table in fse_indicators(scope, settings, first, last, today).items()
            if part != "missing"
        },
    }


def _masker(small_cells: bool):  # type: ignore[no-untyped-def]
    def mask(count: int) -> int | str:
        return HIDDEN if small_cells and 0 < count < SMALL_CELL else count

    return mask
