"""The three-way merge of two clones' versions of one document, as data.

`merge_documents(ancestor, ours, theirs)` takes plain documents (a case file, or
the store's settings) and gives the merged document, its true conflicts and
the plan entries it renumbered. No files, no git: store/merge_driver.py is the
edge that git calls.

The rules:

* A value changed on one side only takes that change; changed on both sides to
  the same value is fine; changed to two different values is a **conflict**:
  the merged document keeps "ours" and the conflict is reported.
* Mappings merge key by key.
* Lists whose entries carry an `id` (the follow-up lists, the plan, the
  settings' referents…) merge as sets of entries: an entry added on either
  side is kept once; one removed on one side and untouched on the other is
  removed; one changed on both sides merges field by field. An entry removed
  on one side and changed on the other is kept as changed, with a conflict:
  nothing is lost silently.
* Other lists (an action's status history, barriers, strengths, benefits)
  merge as sets of values.
* When both sides changed a list, the merged list is in a fixed order: by date
  (the entry's `date`, `from` or `start`), then id; plan objectives and actions
  by number. So the merge is symmetric: merging B into A or A into B gives
  the same data (conflicts keep each side's own value until settled).
* Plan objectives and actions numbered alike on both sides (O3 added in two
  clones) are renumbered: of the two, the one whose content sorts first keeps
  the number (a rule that does not depend on who merges), the other takes the
  next free number, and every reference to it (an action's objective, an
  activity's action) follows.
* The merged document is validated by the caller's `problems` function; a
  merge that would be invalid (two different exits, allowances over the cap)
  keeps ours for the field at fault and reports a conflict there.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accomp.domain.entries import NUMBERED_LISTS, canonical, upgrade

Path = tuple[str, ...]


class _Missing:
    """An absent key or entry (distinct from a null value)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

CHANGED_ON_BOTH = "changed on both sides"
REMOVED_AND_CHANGED = "removed on one side, changed on the other"
INVALID = "the merge would be invalid"


@dataclass(frozen=True)
class Conflict:
    """A field both sides changed to different values (or that makes the merge invalid)."""

    path: Path
    ancestor: Any
    ours: Any
    theirs: Any
    reason: str

    @property
    def field(self) -> str:
        """The path as users type it: `contacts.K7F3QX.minutes`, `exit`, `plan.actions.A2`."""
        return ".".join(self.path) or "."


@dataclass(frozen=True)
class Renumbering:
    """A plan entry that took another number in the merge."""

    list_name: str
    old: str
    new: str
    side: str  # "ours" or "theirs"


@dataclass
class MergeResult:
    merged: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)
    renumbered: list[Renumbering] = field(default_factory=list)


# Returns the problems of a merged document as (JSON path, message) pairs: errors only.
ProblemsOf = Callable[[dict[str, Any]], Sequence[tuple[Sequence[str | int], str]]]


def merge_documents(
    ancestor: dict[str, Any] | None,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    problems: ProblemsOf | None = None,
    case_file: bool = True,
) -> MergeResult:
    """Merge two versions of a document with their common ancestor (None: added on both).

    `case_file`: the documents are case files (entries get their ids and plan
    entries are renumbered first). `problems`: the validation of the result.
    """
    base = copy.deepcopy(ancestor) if ancestor is not None else {}
    mine, other = copy.deepcopy(ours), copy.deepcopy(theirs)
    renumbered: list[Renumbering] = []
    if case_file:
        for document in (base, mine, other):
            if document:
                upgrade(document)  # ids derived from content: the same in all three
        renumbered = _renumber_plan(base, mine, other)
    conflicts: list[Conflict] = []
    merged = _merge_value((), base, mine, other, conflicts)
    if problems is not None:
        merged = _settle_invalid(merged, base, mine, other, conflicts, problems)
    conflicts.sort(key=lambda c: c.path)
    return MergeResult(merged, conflicts, renumbered)


# -- values ------------------------------------------------------------------------


def same(left: Any, right: Any) -> bool:
    """Equal data, types included (1, 1.0 and true are three values)."""
    if left is MISSING or right is MISSING:
        return left is right
    return canonical(left) == canonical(right)


def _merge_value(path: Path, a: Any, o: Any, t: Any, conflicts: list[Conflict]) -> Any:
    if same(o, t):
        return o
    if same(a, o):
        return t
    if same(a, t):
        return o
    if isinstance(o, dict) and isinstance(t, dict) and isinstance(a, dict):
        return _merge_dicts(path, a, o, t, conflicts)
    # A record set on both sides from nothing (two exits) stays whole: taking its fields
    # from two clones would make a record neither of them wrote.
    if isinstance(o, list) and isinstance(t, list):
        return _merge_lists(path, a if isinstance(a, list) else [], o, t, conflicts)
    if o is MISSING or t is MISSING:
        # Removed on one side, changed on the other: keep the change, say so.
        kept = t if o is MISSING else o
        conflicts.append(Conflict(path, a, o, t, REMOVED_AND_CHANGED))
        return kept
    conflicts.append(Conflict(path, a, o, t, CHANGED_ON_BOTH))
    return o


def _merge_dicts(
    path: Path, a: dict[str, Any], o: dict[str, Any], t: dict[str, Any], conflicts: list[Conflict]
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in [*o, *(k for k in t if k not in o)]:
        value = _merge_value(
            (*path, str(key)), a.get(key, MISSING), o.get(key, MISSING), t.get(key, MISSING),
            conflicts,
        )  # fmt: skip
        if value is not MISSING:
            merged[key] = value
    # A key the ancestor had and both sides removed stays removed (never in o or t).
    return merged


def _keyed(entries: list[Any]) -> dict[str, Any] | None:
    """The entries by id, or None when they are not all mappings with a unique id."""
    keyed: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id") or str(entry["id"]) in keyed:
            return None
        keyed[str(entry["id"])] = entry
    return keyed


def _merge_lists(
    path: Path, a: list[Any], o: list[Any], t: list[Any], conflicts: list[Conflict]
) -> list[Any]:
    ka, ko, kt = _keyed(a), _keyed(o), _keyed(t)
    if ka is None or ko is None or kt is None:
        return _merge_value_sets(a, o, t)
    merged = []
    for key in {*ka, *ko, *kt}:
        value = _merge_value(
            (*path, key), ka.get(key, MISSING), ko.get(key, MISSING), kt.get(key, MISSING),
            conflicts,
        )  # fmt: skip
        if value is not MISSING:
            merged.append(value)
    merged.sort(key=entry_order)
    return merged


_NUMBER = re.compile(r"^[A-Z]([0-9]+)$")


def entry_order(entry: dict[str, Any]) -> tuple[Any, ...]:
    """The fixed order of merged entries: plan entries by number, others by date, then id."""
    ident = str(entry.get("id", ""))
    number = _NUMBER.match(ident)
    if number:
        return (0, "", int(number.group(1)), ident)
    day = entry.get("date") or entry.get("from") or entry.get("start") or ""
    return (1, str(day), 0, ident)


def _merge_value_sets(a: list[Any], o: list[Any], t: list[Any]) -> list[Any]:
    """Lists of values: what either side removed goes, what either side added comes once."""
    keys = {canonical(v): v for v in [*a, *o, *t]}
    count_a = Counter(canonical(v) for v in a)
    count_o = Counter(canonical(v) for v in o)
    count_t = Counter(canonical(v) for v in t)
    removed = (count_a - count_o) | (count_a - count_t)
    added = (count_o - count_a) | (count_t - count_a)
    merged = []
    remaining_removals = Counter(removed)
    for value in a:
        key = canonical(value)
        if remaining_removals[key]:
            remaining_removals[key] -= 1
            continue
        merged.append(value)
    additions = sorted(added.elements(), key=lambda k: (_value_day(keys[k]), k))
    merged.extend(copy.deepcopy(keys[k]) for k in additions)
    return merged


def _value_day(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("date") or value.get("from") or "")
    return ""


# -- renumbering -------------------------------------------------------------------

# Where the numbers of each plan list are referred to: (list holding refs, the field).
_REFERENCES = {
    "objectives": [(("plan", "actions"), "objective")],
    "actions": [(("activities",), "action")],
}


def _renumber_plan(
    base: dict[str, Any], mine: dict[str, Any], other: dict[str, Any]
) -> list[Renumbering]:
    """Give plan entries numbered alike on both sides (and not in the ancestor) distinct numbers."""
    done: list[Renumbering] = []
    for list_name, prefix in NUMBERED_LISTS.items():  # objectives first: actions refer to them
        entries = {
            side: _at(document, ("plan", list_name))
            for side, document in (("base", base), ("ours", mine), ("theirs", other))
        }
        known = {str(e.get("id")) for e in entries["base"]}
        ours_by_id = {str(e.get("id")): e for e in entries["ours"]}
        theirs_by_id = {str(e.get("id")): e for e in entries["theirs"]}
        numbers = [
            int(m.group(1))
            for listed in entries.values()
            for e in listed
            if (m := _NUMBER.match(str(e.get("id", ""))))
        ]
        next_number = max(numbers, default=0) + 1
        colliding = sorted(
            (ident for ident in ours_by_id if ident in theirs_by_id and ident not in known),
            key=lambda ident: (len(ident), ident),
        )
        for ident in colliding:
            mine_entry, other_entry = ours_by_id[ident], theirs_by_id[ident]
            if same(mine_entry, other_entry):
                continue  # the same entry added on both sides
            loser = "ours" if canonical(mine_entry) > canonical(other_entry) else "theirs"
            document = mine if loser == "ours" else other
            entry = mine_entry if loser == "ours" else other_entry
            new = f"{prefix}{next_number}"
            next_number += 1
            entry["id"] = new
            for where, ref in _REFERENCES[list_name]:
                for referring in _at(document, where):
                    if isinstance(referring, dict) and referring.get(ref) == ident:
                        referring[ref] = new
            done.append(Renumbering(list_name, ident, new, loser))
    return done


def _at(document: dict[str, Any], where: Sequence[str]) -> list[Any]:
    node: Any = document
    for key in where:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, list) else []


# -- validation --------------------------------------------------------------------


def _settle_invalid(
    merged: dict[str, Any],
    base: dict[str, Any],
    mine: dict[str, Any],
    other: dict[str, Any],
    conflicts: list[Conflict],
    problems: ProblemsOf,
) -> dict[str, Any]:
    """Keep ours where the merged document is invalid, each such field a conflict."""
    for _ in range(20):
        found = list(problems(merged))
        if not found:
            return merged
        json_path, message = found[0]
        where = _field_of(merged, json_path)
        ours_value = get_at(mine, where)
        if where and not same(get_at(merged, where), ours_value):
            conflicts.append(
                Conflict(
                    where, get_at(base, where), ours_value, get_at(other, where),
                    f"{INVALID}: {message}",
                )
            )  # fmt: skip
            merged = set_at(merged, where, ours_value)
            continue
        break
    # Still invalid (or invalid where ours already is): keep ours whole.
    conflicts[:] = [Conflict((), base or None, mine, other, f"{INVALID}: {found[0][1]}")]
    return copy.deepcopy(mine)


def _field_of(document: Any, json_path: Sequence[str | int]) -> Path:
    """The field a validation problem is about, as a merge path: up to the list holding it."""
    where: list[str] = []
    for step in json_path:
        if isinstance(step, int):
            break
        where.append(str(step))
    return tuple(where)


def get_at(document: Any, path: Path) -> Any:
    """The value at a merge path (keys, and entry ids inside lists); MISSING if absent."""
    node = document
    for step in path:
        if isinstance(node, dict):
            node = node.get(step, MISSING)
        elif isinstance(node, list):
            node = next(
                (e for e in node if isinstance(e, dict) and str(e.get("id")) == step), MISSING
            )
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def set_at(document: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A copy of `document` with `value` at `path` (MISSING removes it)."""
    if not path:
        return copy.deepcopy(value)
    result = copy.deepcopy(document)
    node: Any = result
    for step in path[:-1]:
        node = get_at(node, (step,))
        if node is MISSING:
            raise KeyError(".".join(path))
    last = path[-1]
    if isinstance(node, dict):
        if value is MISSING:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    elif isinstance(node, list):
        index = next(
            (i for i, e in enumerate(node) if isinstance(e, dict) and str(e.get("id")) == last),
            None,
        )
        if value is MISSING:
            if index is not None:
                del node[index]
        elif index is None:
            node.append(copy.deepcopy(value))
            node.sort(key=entry_order)
        else:
            node[index] = copy.deepcopy(value)
    else:
        raise KeyError(".".join(path))
    return result
