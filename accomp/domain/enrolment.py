"""Enrolment: building a new case from what the counsellor gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from accomp.domain.eligibility import eligibility_reasons
from accomp.domain.settings import Settings

EXTERNAL_ID_KINDS = {"france-travail": "france_travail", "department": "department", "nir": "nir"}


@dataclass
class NewCase:
    """What `accomp enrol` collects. Dates are `datetime.date`."""

    given_name: str
    family_name: str
    birth_date: dt.date
    sex: str
    programme: str
    start: dt.date
    referent: str
    modality: str = "individual"
    prescriber: str | None = None
    planned_end: dt.date | None = None
    contract_signed: dt.date | None = None
    weekly_target_hours: float | None = None
    phone: str | None = None
    email: str | None = None
    address_line: str | None = None
    postcode: str | None = None
    city: str | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    qualification_level: int | None = None
    qpv: bool | None = None
    labour_market_status: str | None = None
    unemployment_months: int | None = None
    disability_recognition: bool | None = None
    housing: str | None = None
    nationality_group: str | None = None
    override_reason: str | None = None


class NotEligible(ValueError):
    """The person does not meet the programme's rules (and no override was given)."""


def build_case(new: NewCase, settings: Settings, today: dt.date) -> dict[str, Any]:
    """The document of a new case (without schema_version and case_id).

    Raises KeyError for an unknown programme and NotEligible when the
    programme's rules refuse the person and no override reason is given.
    """
    programme = settings.programme(new.programme)
    if programme is None:
        raise KeyError(new.programme)
    reasons = eligibility_reasons(programme, new.birth_date, new.start, new.disability_recognition)
    if reasons and not new.override_reason:
        raise NotEligible("; ".join(reasons))
    target = new.weekly_target_hours
    if target is None:
        target = programme["weekly_target_hours"]
    external = {EXTERNAL_ID_KINDS[k]: v for k, v in sorted(new.external_ids.items())}
    address = None
    if new.address_line or new.postcode or new.city:
        address = {"line": new.address_line, "postcode": new.postcode, "city": new.city}
    return {
        "identity": {
            "given_name": new.given_name,
            "family_name": new.family_name,
            "birth_date": new.birth_date,
            "sex": new.sex,
            "phone": new.phone,
            "email": new.email,
            "address": address,
            "external_ids": external,
        },
        "situation": {
            "qualification_level": new.qualification_level,
            "qpv": new.qpv,
            "labour_market_status": new.labour_market_status,
            "unemployment_months": new.unemployment_months,
            "disability_recognition": new.disability_recognition,
            "housing": new.housing,
            "nationality_group": new.nationality_group,
        },
        "diagnostic": {"date": None, "barriers": [], "strengths": [], "note": None},
        "enrolment": {
            "programme": new.programme,
            "modality": new.modality,
            "prescriber": new.prescriber,
            "referent": new.referent,
            "start": new.start,
            "planned_end": new.planned_end,
            "contract_signed": new.contract_signed,
            "weekly_target_hours": target,
            "eligibility_override": (
                {"reason": new.override_reason, "recorded_on": today} if reasons else None
            ),
        },
        "plan": {"objectives": [], "actions": []},
        "contacts": [],
        "activities": [],
        "absences": [],
        "target_changes": [],
        "allowances": [],
        "exit": None,
        "followups": [],
    }
