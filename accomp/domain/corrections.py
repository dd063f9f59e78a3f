"""Correcting and voiding the entries of a case: a mistake is mended in the open.

A counsellor who typed 15 minutes for 50, or logged the same activity twice,
fixes the entry or voids it. Nothing is deleted: a fixed entry keeps its id
(git holds what it was), and a voided entry stays in the file, marked with the
day and the reason (the commit says who), and counts nowhere (`counted` is the one
place that leaves them out, called by every rule that adds entries up).

An entry is named by its number, as the list commands show it (from 1 in date
order; entries of the same day in the order they were written), or by its id,
which never changes (for scripts, and after a back-dated entry renumbers a list).
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from accomp.domain.entries import ENTRY_ID, date_order

# The lists whose entries can be fixed and voided, with the word users see.
CORRECTABLE = {
    "contacts": "contact",
    "activities": "activity",
    "absences": "absence",
    "allowances": "allowance",
    "target_changes": "target change",
}


def is_voided(entry: Any) -> bool:
    return isinstance(entry, dict) and bool(entry.get("voided"))


_VOIDED_OF = operator.methodcaller("get", "voided")


def counted(case: dict[str, Any]) -> dict[str, Any]:
    """The case as every figure and rule sees it: its voided entries left out.

    The same object when nothing is voided (the common case costs a scan);
    otherwise a shallow copy whose lists hold only the entries that count.
    """
    lists = {}
    for name in CORRECTABLE:
        entries = case.get(name)
        if not isinstance(entries, list) or not entries:
            continue
        # Every rule that adds entries up calls this, several times per case when the
        # cache is cold: the scan runs in C (map), with no Python call per entry.
        try:
            voided = any(map(_VOIDED_OF, entries))
        except (AttributeError, TypeError):  # an entry that is not a mapping
            voided = any(is_voided(entry) for entry in entries)
        if voided:
            lists[name] = [entry for entry in entries if not is_voided(entry)]
    return {**case, **lists} if lists else case


def numbered(case: dict[str, Any], list_name: str) -> list[dict[str, Any]]:
    """The entries of a list in date order, each with its `number` (voided ones included)."""
    entries = case.get(list_name) or []
    return [
        {**entries[index], "number": place}
        for place, index in enumerate(date_order(entries), start=1)
    ]


def find_entry(case: dict[str, Any], list_name: str, reference: str) -> int | None:
    """The index in the file's list of the entry named by its number or its id, or None."""
    entries = case.get(list_name) or []
    if ENTRY_ID.match(reference.upper()):
        wanted = reference.upper()
        return next((i for i, e in enumerate(entries) if e.get("id") == wanted), None)
    if not reference.isdigit():
        return None
    order = date_order(entries)
    number = int(reference)
    return order[number - 1] if 1 <= number <= len(order) else None


def correction_refusal(entry: dict[str, Any], changes: dict[str, Any]) -> str | None:
    """Why `changes` cannot be made to `entry`, or None."""
    if is_voided(entry):
        return f"it was voided on {entry['voided']['on']}: a voided entry is not corrected"
    if not changes:
        return "nothing to change: give at least one option (see --help)"
    if all(str(entry.get(field)) == str(value) for field, value in changes.items()):
        return "it already says so: nothing to change"
    return None


def void_refusal(entry: dict[str, Any]) -> str | None:
    """Why `entry` cannot be voided, or None."""
    if is_voided(entry):
        return f"it was already voided on {entry['voided']['on']} ({entry['voided']['reason']})"
    return None


def void_record(on: dt.date, reason: str) -> dict[str, Any]:
    """What a voided entry carries: when and why (who: the commit's author says it)."""
    return {"on": on, "reason": reason}


def changed_fields(entry: dict[str, Any], changes: dict[str, Any]) -> list[str]:
    """The fields `changes` really changes, in a stable order (for the commit message)."""
    return sorted(field for field, value in changes.items() if str(entry.get(field)) != str(value))
