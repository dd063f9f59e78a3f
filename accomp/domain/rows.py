"""The row of a case in `accomp list` and `accomp export cases`: flat, one per case.

Computed once per case file and kept in the cohort cache (the `row` view), so
that listing or exporting a large store reads no case file.
"""

from __future__ import annotations

from typing import Any

from accomp.domain.corrections import counted
from accomp.domain.outcomes import exit_category
from accomp.domain.settings import Settings

CASE_COLUMNS = [
    "case_id", "given_name", "family_name", "birth_date", "sex", "phone", "email", "address_line",
    "postcode", "city", "france_travail_id", "department_id", "nir",
    "qualification_level", "qpv", "qpv_code", "labour_market_status", "unemployment_months",
    "disability_recognition", "housing", "nationality_group", "rural", "benefits", "barriers",
    "programme", "modality", "prescriber", "referent", "start", "planned_end", "contract_signed",
    "weekly_target_hours", "contacts", "activity_hours_done", "allowances_total",
    "exit_date", "exit_outcome", "exit_category", "contract_months", "employer",
]  # fmt: skip
SITUATION_FIELDS = (
    "qualification_level", "qpv", "qpv_code", "labour_market_status", "unemployment_months",
    "disability_recognition", "housing", "nationality_group", "rural",
)  # fmt: skip
ENROLMENT_FIELDS = (
    "programme", "modality", "prescriber", "referent", "start", "planned_end", "contract_signed",
    "weekly_target_hours",
)  # fmt: skip


def case_row(case: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """One flat row for a case."""
    case = counted(case)  # voided entries count nowhere
    identity, situation, enrolment = case["identity"], case["situation"], case["enrolment"]
    address = identity.get("address") or {}
    external = identity.get("external_ids") or {}
    exit_ = case.get("exit") or {}
    return {
        "case_id": case["case_id"],
        "given_name": identity["given_name"],
        "family_name": identity["family_name"],
        "birth_date": identity["birth_date"],
        "sex": identity["sex"],
        "phone": identity.get("phone"),
        "email": identity.get("email"),
        "address_line": address.get("line"),
        "postcode": address.get("postcode"),
        "city": address.get("city"),
        "france_travail_id": external.get("france_travail"),
        "department_id": external.get("department"),
        "nir": external.get("nir"),
        **{name: situation.get(name) for name in SITUATION_FIELDS},
        "benefits": ";".join(situation.get("benefits") or []),
        "barriers": ";".join(b["theme"] for b in case["diagnostic"].get("barriers", [])),
        **{name: enrolment.get(name) for name in ENROLMENT_FIELDS},
        "contacts": len(case["contacts"]),
        "activity_hours_done": round(
            sum(a["hours"] for a in case["activities"] if a["status"] == "done"), 2
        ),
        "allowances_total": round(sum(a["amount"] for a in case["allowances"]), 2),
        "exit_date": exit_.get("date"),
        "exit_outcome": exit_.get("outcome"),
        "exit_category": exit_category(exit_, settings, enrolment["programme"]) if exit_ else None,
        "contract_months": exit_.get("contract_months"),
        "employer": exit_.get("employer"),
    }


LIST_COLUMNS = [
    "case_id",
    "given_name",
    "family_name",
    "programme",
    "modality",
    "referent",
    "start",
    "planned_end",
    "status",
    "exit_date",
]


def list_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row of `accomp list`, from the case's row (case_row)."""
    listed = {key: row[key] for key in LIST_COLUMNS if key in row}
    listed["status"] = "exited" if row["exit_date"] else "active"
    return {key: listed[key] for key in LIST_COLUMNS}
