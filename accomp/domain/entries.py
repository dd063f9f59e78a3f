"""The identity of the entries of a case file (a contact, an activity, an absence…).

Merging two clones, and later correcting or voiding one entry, need to name one
entry of a list. One scheme for every list:

* The entries of the follow-up lists (ENTRY_LISTS) carry an `id`: six
  characters of Crockford base 32, the first a letter (so YAML never reads it as
  a number). It is derived from the entry's content when the entry is first
  written (its list, its fields, and how many identical entries come before it)
  and then kept as it is, whatever later corrections change. Being derived, two
  clones that upgrade the same old file give its entries the same ids, and the
  same entry recorded in two clones is kept once when they merge.
* Objectives and actions of the plan keep their numbers (O1, A1…), which other
  entries refer to; a merge renumbers the ones two clones numbered alike.
* Lists of plain values or small value records (an action's status history,
  barriers, strengths, benefits) are sets of values: the value is the identity.

A file of schema version 1 has no ids; `upgrade` gives it its ids (schema
version 2) on its next write, or for the whole store with `accomp migrate`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, MutableMapping, MutableSequence
from typing import Any

from accomp.domain.plain import to_plain

SCHEMA_VERSION = 2

# Top-level lists whose entries carry an `id`.
ENTRY_LISTS = (
    "contacts",
    "appointments",
    "activities",
    "absences",
    "target_changes",
    "allowances",
    "followups",
    "reopenings",
    "referent_changes",
    "phases",
)
# Lists of the plan whose entries carry a number (prefix + integer), referred to by others.
NUMBERED_LISTS = {"objectives": "O", "actions": "A"}

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LETTERS = "ABCDEFGHJKMNPQRSTVWXYZ"
ENTRY_ID = re.compile(r"^[A-HJKMNP-TV-Z][0-9A-HJKMNP-TV-Z]{5}$")


def canonical(value: Any) -> str:
    """A value as one canonical string (sorted keys): equal data, equal string."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def derived_id(list_name: str, entry: dict[str, Any], occurrence: int, salt: int = 0) -> str:
    """The id an entry gets from its content (its `id` field left out)."""
    content = {k: v for k, v in to_plain(entry).items() if k != "id"}
    digest = hashlib.sha256(
        f"{list_name}\x1f{occurrence}\x1f{salt}\x1f{canonical(content)}".encode()
    ).digest()
    number = int.from_bytes(digest[:8], "big")
    first = _LETTERS[number % len(_LETTERS)]
    number //= len(_LETTERS)
    rest = ""
    for _ in range(5):
        rest += _CROCKFORD[number % 32]
        number //= 32
    return first + rest


def assign_ids(list_name: str, entries: MutableSequence[Any]) -> int:
    """Give every entry of `entries` that has none its derived id, in place; returns how many.

    Entries may be plain dicts or round-trip mappings: the id goes first in
    the mapping. Ids stay unique in the list.
    """
    taken = {str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id")}
    seen: dict[str, int] = {}
    added = 0
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("id"):
            continue
        key = canonical({k: v for k, v in to_plain(entry).items() if k != "id"})
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        salt = 0
        ident = derived_id(list_name, entry, occurrence)
        while ident in taken:
            salt += 1
            ident = derived_id(list_name, entry, occurrence, salt)
        taken.add(ident)
        _set_first(entry, "id", ident)
        added += 1
    return added


def _set_first(mapping: MutableMapping[str, Any], key: str, value: Any) -> None:
    insert = getattr(mapping, "insert", None)
    if insert is not None:  # a round-trip mapping: keep its comments, put the id first
        insert(0, key, value)
        return
    items = list(mapping.items())
    mapping.clear()
    mapping[key] = value
    mapping.update(items)


def entry_lists(document: dict[str, Any]) -> Iterator[tuple[str, MutableSequence[Any]]]:
    """The lists of a case whose entries carry an id, with their names."""
    for name in ENTRY_LISTS:
        entries = document.get(name)
        if isinstance(entries, list):
            yield name, entries


def upgrade(document: dict[str, Any]) -> bool:
    """Bring a case document (plain or round-trip) to the current schema version, in place.

    Gives every entry that lacks one its id and sets `schema_version`. Returns
    whether anything changed.
    """
    changed = False
    for name, entries in entry_lists(document):
        changed |= assign_ids(name, entries) > 0
    if document.get("schema_version") != SCHEMA_VERSION:
        document["schema_version"] = SCHEMA_VERSION
        changed = True
    return changed


def needs_upgrade(document: dict[str, Any]) -> bool:
    """Whether `upgrade` would change this document."""
    if document.get("schema_version") != SCHEMA_VERSION:
        return True
    return any(
        isinstance(entry, dict) and not entry.get("id")
        for _, listed in entry_lists(document)
        for entry in listed
    )


def entry_day(entry: dict[str, Any]) -> str:
    """The day an entry is about (`date`, or `from` for absences and target changes)."""
    return str(entry.get("date") or entry.get("from") or "")


def date_order(entries: list[dict[str, Any]]) -> list[int]:
    """The indexes of `entries` in date order (entries of the same day in the order they
    were written): the order in which the list commands number them from 1."""
    return sorted(range(len(entries)), key=lambda i: (entry_day(entries[i]), i))


def entry_number(entries: list[dict[str, Any]], index: int) -> int:
    """The number users see for `entries[index]`."""
    return date_order(entries).index(index) + 1
