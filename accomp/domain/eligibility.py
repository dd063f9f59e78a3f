"""Programme eligibility: the rules a programme sets on who may enter it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accomp.domain.dates import age_on


def eligibility_reasons(
    programme: dict[str, Any],
    birth_date: dt.date,
    start: dt.date,
    disability_recognition: bool | None,
) -> list[str]:
    """Why a person may not enter `programme` at `start` (empty when eligible).

    The age bounds are whole years at the start of the contract, both included;
    `max_with_disability` raises the upper bound for a recognised disability
    (CEJ: 25, or 29 with a disability).
    """
    reasons: list[str] = []
    age = age_on(birth_date, start)
    bounds = programme.get("age") or {}
    low, high = bounds.get("min"), bounds.get("max")
    if disability_recognition and bounds.get("max_with_disability") is not None:
        high = bounds["max_with_disability"]
    label = programme.get("label", "the programme")
    if low is not None and age < low:
        reasons.append(f"age {age} at the start is under {label}'s minimum of {low}")
    if high is not None and age > high:
        extra = ""
        if bounds.get("max_with_disability") is not None and not disability_recognition:
            extra = f" ({bounds['max_with_disability']} with a recognised disability)"
        reasons.append(f"age {age} at the start is over {label}'s maximum of {high}{extra}")
    return reasons
