"""Exports for spreadsheets and BI tools: one row per case, per case-week, or per contact.

Rows are built from plain case data; `--pseudonymise` takes out what
identifies a person (see accomp.domain.pseudonym). Cells a spreadsheet would
run as a formula are neutralised in CSV and XLSX.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from accomp.domain.hours import WEEK_KEYS, weekly_figures
from accomp.domain.outcomes import exit_category
from accomp.domain.pseudonym import pseudonymise_row
from accomp.domain.settings import Settings
from accomp.render import neutralise_formula

CASE_COLUMNS = [
    "case_id", "given_name", "family_name", "birth_date", "sex", "phone", "email", "address_line",
    "postcode", "city", "france_travail_id", "department_id", "nir",
    "qualification_level", "qpv", "qpv_code", "labour_market_status", "unemployment_months",
    "disability_recognition", "housing", "nationality_group", "rural", "benefits", "barriers",
    "programme", "modality", "prescriber", "referent", "start", "planned_end", "contract_signed",
    "weekly_target_hours", "contacts", "activity_hours_done", "allowances_total",
    "exit_date", "exit_outcome", "exit_category", "contract_months", "employer",
]  # fmt: skip
CONTACT_COLUMNS = ["case_id", "date", "channel", "minutes", "mode", "by", "note"]
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
        "exit_category": exit_category(exit_, settings) if exit_ else None,
        "contract_months": exit_.get("contract_months"),
        "employer": exit_.get("employer"),
    }


def export_rows(
    what: str,
    cases: list[dict[str, Any]],
    settings: Settings,
    today: dt.date,
    key: bytes | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows and columns of an export (cases, weeks or contacts), pseudonymised given a key."""
    cases = sorted(cases, key=lambda c: c["case_id"])
    if what == "cases":
        rows, columns = [case_row(c, settings) for c in cases], list(CASE_COLUMNS)
    elif what == "weeks":
        last = today + dt.timedelta(days=6 - today.weekday())
        rows = [
            row.as_dict()
            for case in cases
            for row in weekly_figures(case, settings, dt.date(1900, 1, 1), last, today)
        ]
        columns = list(WEEK_KEYS)
    elif what == "contacts":
        rows = [
            {"case_id": case["case_id"], **{c: contact.get(c) for c in CONTACT_COLUMNS[1:]}}
            for case in cases
            for contact in sorted(case["contacts"], key=lambda k: k["date"])
        ]
        columns = list(CONTACT_COLUMNS)
    else:
        raise ValueError(what)
    if key is not None:
        rows = [pseudonymise_row(row, key) for row in rows]
        columns = _pseudonymised_columns(columns)
    return rows, columns


def _pseudonymised_columns(columns: list[str]) -> list[str]:
    """The columns a pseudonymised row has (the same rule as for the rows themselves)."""
    return list(pseudonymise_row(dict.fromkeys(columns, None) | {"case_id": ""}, b"k"))


def xlsx_bytes(rows: list[dict[str, Any]], columns: list[str], title: str) -> bytes:
    """An xlsx workbook of one sheet; text cells that look like formulas are neutralised."""
    from openpyxl import Workbook  # heavy: only for xlsx exports

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(columns)
    for row in rows:
        sheet.append([neutralise_formula(row.get(c)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
