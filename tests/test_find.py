"""`accomp find`: a case by what the counsellor knows of the person."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accomp.domain.search import folded, matches
from tests.conftest import Invoke


@pytest.fixture
def people(enrol) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "zoe": enrol(),  # Zoé Quenouille, 2003-05-01
        "noel": enrol(
            "--given-name",
            "Noël",
            "--family-name",
            "Müller-Ébrard",
            "--birth-date",
            "2002-12-15",
            "--phone",
            "06 12 34 56 78",
            "--external-id",
            "france-travail=1234567A",
        ),
    }


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("zoe", ["zoe"]),
        ("QUENOUILLE zoé", ["zoe"]),
        ("muller ebrard", ["noel"]),
        ("noel 15/12/2002", ["noel"]),
        ("2002-12-15", ["noel"]),
        ("0612345678", ["noel"]),
        ("1234567a", ["noel"]),
        ("e", ["noel", "zoe"]),
    ],
)
def test_find_is_accent_and_case_insensitive(
    in_store: Invoke, people: dict[str, str], typed: str, who: list[str]
) -> None:
    result = in_store("find", *typed.split(), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [row["case_id"] for row in json.loads(result.stdout)] == sorted(people[w] for w in who)


def test_find_says_when_nothing_matches(in_store: Invoke, people: dict[str, str]) -> None:
    result = in_store("find", "zoé", "müller")  # every word must match one case
    assert result.exit_code == 1


@given(st.text(min_size=1, max_size=12), st.sampled_from([str.lower, str.casefold, str.strip]))
def test_a_name_is_found_by_itself_and_by_its_lower_case(name: str, change) -> None:  # type: ignore[no-untyped-def]
    """Whatever the characters, a name typed as it is written (or lower-cased) finds it."""
    typed = change(name)
    if not typed.split():
        return
    row = {"given_name": name, "family_name": "X"}
    assert matches(row, name if change is str.strip else typed) or folded(typed) != folded(name)
