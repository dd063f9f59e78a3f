"""The summary's pre-aggregated view gives the figures the rules define (properties).

The cohort view keeps contacts as sorted day ordinals per channel and the
days of the contacts that came late for the cadence, so that the summary costs a few
bisections per case. Here the same figures are computed the plain way, from
the whole case, straight from the rules' wording, and must agree on generated
cases, periods, days, exits and cadences.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.domain.followup import cadence_days
from accomp.domain.summary import (
    Tally,
    cadence_respected,
    cohort_view,
    contact_days,
    figures_of,
    late_contacts,
    merge_tallies,
    summarise,
    tallies_of_plain,
    tallies_to_plain,
    tally_views,
)
from tests.test_rules_cached_views import SETTINGS, generated_case

DAYS = st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2027, 6, 30))
CADENCES = st.lists(
    st.fixed_dictionaries(
        {"every_days": st.integers(1, 60)}, optional={"until_month": st.integers(1, 12)}
    ),
    max_size=3,
)


def respected_by_definition(
    case: dict[str, Any], cadence: list[dict[str, Any]], first: dt.date, on: dt.date
) -> bool | None:
    """The cadence rule as the summary's documentation words it, on the whole case."""
    if not cadence:
        return None
    start = dt.date.fromisoformat(case["enrolment"]["start"])
    exit_ = case.get("exit")
    end = min(on, dt.date.fromisoformat(exit_["date"])) if exit_ else on
    if end < max(start, first):
        return None
    contacts = sorted(dt.date.fromisoformat(k["date"]) for k in case["contacts"])
    points = [start, *(day for day in contacts if start <= day <= end)]
    for here, following in zip(points, [*points[1:], end], strict=True):
        allowed = cadence_days(cadence, start, here)
        if following >= first and allowed is not None and (following - here).days > allowed:
            return False
    return True


def cadence_view(case: dict[str, Any], cadence: list[dict[str, Any]]) -> dict[str, Any]:
    """What cadence_respected reads of a cohort view, for this cadence."""
    return {
        "enrolment": case["enrolment"],
        "exit": case.get("exit"),
        "contacts": contact_days(case),
        "late_contacts": late_contacts(case, cadence),
    }


def with_exit(case: dict[str, Any], exit_day: dt.date | None) -> dict[str, Any]:
    """The case, exited on that day (or not exited)."""
    case = {**case}
    case.pop("exit", None)
    if exit_day is not None:
        case["exit"] = {"date": exit_day.isoformat(), "outcome": "cdi"}
    return case


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**6),
    CADENCES,
    DAYS,
    DAYS,
    st.none() | DAYS,
    st.none() | st.integers(0, 100),
)
def test_the_cadence_track_answers_as_the_rule_says(
    seed: int,
    cadence: list[dict[str, Any]],
    first: dt.date,
    on: dt.date,
    exit_day: dt.date | None,
    contact: int | None,
) -> None:
    case = with_exit(generated_case(seed), exit_day)
    if contact is not None and case["contacts"]:  # a period that starts on a contact's day
        first = dt.date.fromisoformat(case["contacts"][contact % len(case["contacts"])]["date"])
    view = cadence_view(case, cadence)
    assert cadence_respected(view, cadence, first, on) == respected_by_definition(
        case, cadence, first, on
    )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**6), DAYS, st.integers(0, 400), st.none() | DAYS)
def test_the_summary_counts_the_contacts_the_case_has(
    seed: int, first: dt.date, length: int, exit_day: dt.date | None
) -> None:
    case = with_exit(generated_case(seed), exit_day)
    last = first + dt.timedelta(days=length)
    today = last + dt.timedelta(days=3)
    figures = summarise([cohort_view(case, SETTINGS, today)], SETTINGS, first, last, today)
    in_period = [k for k in case["contacts"] if first.isoformat() <= k["date"] <= last.isoformat()]
    if figures["cases"] == 0:
        return  # not in scope: nothing counted
    assert figures["contacts"]["total"] == len(in_period)
    assert figures["contacts"]["by_channel"] == dict(
        sorted(Counter(k["channel"] for k in in_period).items())
    )
    programme = SETTINGS.programme(case["enrolment"]["programme"]) or {}
    expected = respected_by_definition(
        case, programme.get("contact_cadence") or [], first, min(today, last)
    )
    assert figures["contacts"]["cadence_respected"] == (
        0.0 if expected is None else float(expected)
    )


def test_contacts_outside_the_support_do_not_count_for_the_cadence() -> None:
    case = with_exit(generated_case(3), dt.date(2026, 3, 31))
    case["enrolment"] = {**case["enrolment"], "start": "2026-01-05"}
    cadence = [{"every_days": 14}]
    case["contacts"] = [
        {"date": "2025-12-20", "channel": "sms"},  # before the start: not a point
        {"date": "2026-01-15", "channel": "phone"},
        {"date": "2026-01-15", "channel": "email"},  # same day twice: a gap of 0
        {"date": "2026-01-29", "channel": "phone"},
        {"date": "2026-02-20", "channel": "video"},  # 22 days: late
        {"date": "2026-04-10", "channel": "phone"},  # after the exit: not a point
    ]
    view = cadence_view(case, cadence)
    january = dt.date(2026, 1, 1)
    assert (
        cadence_respected(view, cadence, january, dt.date(2026, 2, 12)) is True
    )  # 14 days to the end
    assert cadence_respected(view, cadence, january, dt.date(2026, 2, 13)) is False  # 15 days
    # The late gap ends on the first day of the period: it counts in it, not in the one before.
    assert cadence_respected(view, cadence, dt.date(2026, 2, 20), dt.date(2026, 3, 6)) is False
    assert cadence_respected(view, cadence, dt.date(2026, 2, 21), dt.date(2026, 3, 6)) is True
    assert cadence_respected(view, cadence, dt.date(2026, 2, 21), dt.date(2026, 3, 7)) is False
    assert (
        cadence_respected(view, cadence, dt.date(2026, 4, 1), dt.date(2026, 6, 1)) is None
    )  # exited
    assert cadence_respected(view, cadence, january, dt.date(2026, 1, 4)) is None  # not started
    # Before the first contact, the gap runs from the start, not from the contact before it.
    assert cadence_respected(view, cadence, january, dt.date(2026, 1, 12)) is True
    for first in (january, dt.date(2026, 2, 20), dt.date(2026, 2, 21)):
        for day in (dt.date(2026, 2, 12), dt.date(2026, 2, 13), dt.date(2026, 3, 6)):
            assert cadence_respected(view, cadence, first, day) == respected_by_definition(
                case, cadence, first, day
            )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=12),
    st.lists(st.integers(0, 3), min_size=12, max_size=12),
    DAYS,
    st.integers(0, 700),
    st.sampled_from([None, "referent", "sex"]),
)
def test_tallies_kept_as_json_and_merged_give_the_figures_of_one_count(
    seeds: list[int], parts: list[int], first: dt.date, length: int, by: str | None
) -> None:
    """What the cache keeps of a shard (its tallies as JSON) and the merge of the shards'
    tallies give the figures of the same cases counted at once, byte for byte."""
    last = first + dt.timedelta(days=length)
    today = last + dt.timedelta(days=10)
    views = [cohort_view(generated_case(seed), SETTINGS, today) for seed in seeds]
    at_once = merge_tallies([tally_views(views, SETTINGS, first, last, today, {}, by)])
    kept = []
    for part in range(4):  # the cases dealt out to shards as the parts say
        mine = [view for view, at in zip(views, parts, strict=False) if at == part]
        plain = tallies_to_plain(tally_views(mine, SETTINGS, first, last, today, {}, by))
        kept.append(tallies_of_plain(orjson.loads(orjson.dumps(plain))))
    merged = merge_tallies(kept)
    assert sorted(merged) == sorted(at_once)
    for key in at_once:
        assert orjson.dumps(figures_of(merged[key], SETTINGS, first, last, today)) == orjson.dumps(
            figures_of(at_once[key], SETTINGS, first, last, today)
        )


def test_data_that_is_not_a_tally_is_refused() -> None:
    plain = Tally().to_plain()
    for broken in ({**plain, "cases": "many"}, {"cases": 1}, {**plain, "extra": 0}, []):
        with pytest.raises(ValueError):
            Tally.of_plain(broken)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tallies_of_plain({"": {"plie": "nonsense"}})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        tallies_of_plain("nonsense")  # type: ignore[arg-type]
