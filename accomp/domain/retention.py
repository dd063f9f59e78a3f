"""Retention and anonymisation (CNIL reference framework for social support, 2021).

A case is kept active 2 years after its last contact or its exit; then it is
archived with restricted access, or deleted, or anonymised. `anonymised`
returns the same case without what identifies the person (names, birth day
and month, contact details, external ids) and without free text (notes,
titles, employers, partners: they may name people), and keeps what the
statistics need (dates, hours, kinds, outcomes, programme, situation at entry).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from accomp.domain.corrections import counted
from accomp.domain.dates import add_months

DEFAULT_RETENTION_MONTHS = 24
REMOVED = "(anonymised)"


def last_activity(case: dict[str, Any]) -> str:
    """The last day something happened in a case: its last contact, or its exit, or its start."""
    case = counted(case)  # voided entries count nowhere
    days = [c["date"] for c in case["contacts"]]
    if case.get("exit"):
        days.append(case["exit"]["date"])
    return max(days, default=case["enrolment"]["start"])


def past_retention(last_activity_day: str, today: dt.date, months: int) -> bool:
    """Whether a case whose last contact or exit was on `last_activity_day` (ISO) is past
    the retention period of `months` on `today`."""
    return add_months(dt.date.fromisoformat(last_activity_day), months) < today


def anonymised(case: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A copy of the case without identifying data and free text (see the module's doc)."""
    result = copy.deepcopy(case)
    identity = result["identity"]
    birth_year = identity["birth_date"][:4]
    result["identity"] = {
        "given_name": REMOVED,
        "family_name": REMOVED,
        "birth_date": f"{birth_year}-07-01",  # the year stays, for age groups
        "sex": identity["sex"],
        "phone": None,
        "email": None,
        "address": None,
        "external_ids": {},
    }
    situation = result["situation"]
    situation.pop("qpv_code", None)
    diagnostic = result["diagnostic"]
    diagnostic["note"] = None
    diagnostic["strengths"] = []
    for barrier in diagnostic.get("barriers", []):
        barrier["note"] = None
    for objective in result["plan"]["objectives"]:
        objective["text"] = REMOVED
    for action in result["plan"]["actions"]:
        action["title"] = REMOVED
        action["partner"] = None
    for section in ("contacts", "activities", "absences", "followups"):
        for entry in result[section]:
            entry.pop("note", None)
    if result.get("exit"):
        result["exit"]["employer"] = None
        result["exit"]["note"] = None
    if result["enrolment"].get("eligibility_override"):
        result["enrolment"]["eligibility_override"]["reason"] = REMOVED
    for reopening in result.get("reopenings", []):
        reopening["reason"] = REMOVED
        reopening["exit"] = {
            "date": reopening["exit"].get("date"),
            "outcome": reopening["exit"].get("outcome"),
        }
    for allowance in result["allowances"]:
        if allowance.get("forced_reason"):
            allowance["forced_reason"] = REMOVED
    result["anonymised"] = {"date": today.isoformat()}
    return result
