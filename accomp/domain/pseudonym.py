"""Keyed pseudonyms for statistical extracts.

A pseudonym is an HMAC-SHA256 of the case id under a secret key that lives in
the store's git-ignored `.accomp/` folder: the same case always gets the same
pseudonym in that store (extracts of different months can be joined), and
nobody without the key can go back from a pseudonym to a case.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

PREFIX = "P-"


def pseudonym(key: bytes, case_id: str) -> str:
    """The pseudonym of a case id under `key`."""
    return PREFIX + hmac.new(key, case_id.encode(), hashlib.sha256).hexdigest()[:16]


# Columns of the case export that identify a person, and what replaces them.
IDENTIFYING = frozenset(
    {
        "given_name", "family_name", "birth_date", "phone", "email", "address_line", "postcode",
        "city", "france_travail_id", "department_id", "nir", "qpv_code", "employer", "note",
    }
)  # fmt: skip


def pseudonymise_row(row: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A row without identifying columns: the case id becomes a pseudonym, the birth date a year."""
    out: dict[str, Any] = {"pseudonym": pseudonym(key, row["case_id"])}
    for column, value in row.items():
        if column == "case_id" or column in IDENTIFYING:
            if column == "birth_date":
                out["birth_year"] = int(value[:4]) if value else None
            continue
        out[column] = value
    return out
