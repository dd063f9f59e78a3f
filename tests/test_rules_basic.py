"""Unit tests of the basic rules: dates, ages, case ids, eligibility, settings."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accomp.domain.dates import add_months, age_on, iso_week_label, parse_date, parse_iso_week
from accomp.domain.eligibility import eligibility_reasons
from accomp.domain.ids import ALPHABET, CASE_ID, new_case_id, normalise_case_id
from accomp.domain.settings import Settings
from accomp.store.checking import default_settings

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))


@given(DATES, DATES)
def test_age_is_the_number_of_birthdays_passed(birth: dt.date, day: dt.date) -> None:
    age = age_on(birth, day)
    birthdays = sum(
        1
        for year in range(birth.year + 1, day.year + 1)
        if (day.month, day.day) >= (birth.month, birth.day) or year < day.year
    )
    if day >= birth:
        assert age == birthdays
    assert age_on(birth, birth) == 0


@given(DATES, st.integers(min_value=0, max_value=240))
def test_add_months_lands_in_the_right_month_and_never_overflows(day: dt.date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, result.day)
    assert result.day <= day.day


@given(DATES)
def test_iso_week_round_trip(day: dt.date) -> None:
    monday, sunday = parse_iso_week(iso_week_label(day))
    assert monday <= day <= sunday
    assert monday.weekday() == 0 and (sunday - monday).days == 6


def test_iso_weeks_of_a_53_week_year() -> None:
    assert parse_iso_week("2026-W53") == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    with pytest.raises(ValueError, match="has no week 53"):
        parse_iso_week("2025-W53")


@pytest.mark.parametrize(
    "text", ["2026-02-30", "0000-01-01", "9999-12-31", "26-1-1", "", "2026-1-07"]
)
def test_parse_date_refuses_impossible_or_absurd_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=0))
def test_new_ids_match_the_pattern_and_avoid_taken_ones(year: int, seed: int) -> None:
    rng = random.Random(seed)
    taken: set[str] = set()
    for _ in range(20):
        ident = new_case_id(year, taken.__contains__, rng)
        assert CASE_ID.match(ident) and ident.startswith(f"{year}-")
        assert ident not in taken
        taken.add(ident)


@given(st.text(alphabet=ALPHABET, min_size=5, max_size=5))
def test_typed_ids_are_normalised(suffix: str) -> None:
    assert normalise_case_id(f" 2026-{suffix.lower()} ") == f"2026-{suffix}"


@pytest.mark.parametrize(
    "text", ["../2026-AAAAA", "/etc/passwd", "2026-AAAA", "2026-AAAAU", "", "2026-AAAA\x00"]
)
def test_anything_else_is_not_a_case_id(text: str) -> None:
    with pytest.raises(ValueError, match="is not a case id"):
        normalise_case_id(text)


def test_confusable_letters_are_read_as_digits() -> None:
    assert normalise_case_id("2026-k7f3o") == "2026-K7F30"
    assert normalise_case_id("2026-IL000") == "2026-11000"


CEJ = Settings.merged({}, default_settings()).programme("cej")


@pytest.mark.parametrize(
    ("birth", "disability", "eligible"),
    [
        ("2010-09-07", False, True),  # 16 on the day
        ("2010-09-08", False, False),  # 15, one day short
        ("2000-09-08", False, True),  # 25
        ("2000-09-07", False, False),  # 26 on the day
        ("2000-09-07", True, True),  # 26 with a disability: up to 29
        ("1996-09-08", True, True),  # 29
        ("1996-09-07", True, False),  # 30
    ],
)
def test_cej_age_limits(birth: str, disability: bool, eligible: bool) -> None:
    assert CEJ is not None
    reasons = eligibility_reasons(
        CEJ, dt.date.fromisoformat(birth), dt.date(2026, 9, 7), disability
    )
    assert (reasons == []) is eligible


def test_settings_sections_default_and_programme_fields_are_completed() -> None:
    settings = Settings.merged(
        {
            "schema_version": 1,
            "programmes": {"local": {"label": "Local", "weekly_target_hours": 12}},
        },
        default_settings(),
    )
    assert list(settings.programmes) == ["local"]
    local = settings.programme("local")
    assert local is not None
    assert local["contacts_count_as_activity"] is True
    assert local["age"] == {"min": None, "max": None, "max_with_disability": None}
    assert "training" in settings.activity_kinds  # a section left out takes the defaults
    assert settings.fingerprint() != Settings.merged({}, default_settings()).fingerprint()


def test_the_summary_knows_every_contact_channel_of_the_schema() -> None:
    from accomp.domain.summary import CONTACT_CHANNELS
    from accomp.resources import schema_choices

    assert list(CONTACT_CHANNELS) == schema_choices("casefile", "contacts", "[]", "channel")


def test_the_summary_knows_every_barrier_theme_of_the_schema() -> None:
    from accomp.domain.summary import BARRIER_THEMES
    from accomp.resources import schema_choices

    assert list(BARRIER_THEMES) == schema_choices(
        "casefile", "diagnostic", "barriers", "[]", "theme"
    )
