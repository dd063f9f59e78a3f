"""Running an import: each row becomes create, update, unchanged or error, then all or nothing.

People are matched to existing cases by external id (France Travail,
department, NIR), else by family name + given name + birth date, case- and
accent-insensitively. A match updates only the fields the row fills: an empty
cell never erases data. Contacts and activities are attached by case id or
external id, and an entry already in the case (same date, channel or kind, and
minutes or hours) is not added twice, so importing a file again changes nothing.

Every change is staged in a store batch (see store/journal.py): the caller
keeps the batch only if the report allows it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from accomp.domain.enrolment import NewCase, NotEligible, build_case
from accomp.domain.followup import activity_refusal
from accomp.domain.ids import normalise_case_id
from accomp.errors import DocumentRefused, InvalidDocument, UsageError
from accomp.importers.fields import KINDS, Field, fold, parse_cell
from accomp.importers.mapping import Mapping
from accomp.importers.tables import Table
from accomp.store import yamlio
from accomp.store.checking import CaseRecord
from accomp.store.store import Store
from accomp.store.writing import Batch

STATUSES = ("create", "update", "unchanged", "error")

# Where each people field lives in a case file.
PEOPLE_PATHS: dict[str, tuple[str, ...]] = {
    "given_name": ("identity", "given_name"),
    "family_name": ("identity", "family_name"),
    "birth_date": ("identity", "birth_date"),
    "sex": ("identity", "sex"),
    "phone": ("identity", "phone"),
    "email": ("identity", "email"),
    "address_line": ("identity", "address", "line"),
    "postcode": ("identity", "address", "postcode"),
    "city": ("identity", "address", "city"),
    "france_travail_id": ("identity", "external_ids", "france_travail"),
    "department_id": ("identity", "external_ids", "department"),
    "nir": ("identity", "external_ids", "nir"),
    **{
        name: ("situation", name)
        for name in (
            "qualification_level",
            "qpv",
            "labour_market_status",
            "unemployment_months",
            "disability_recognition",
            "housing",
            "nationality_group",
            "rural",
        )
    },
    **{
        name: ("enrolment", name)
        for name in (
            "programme",
            "start",
            "referent",
            "modality",
            "prescriber",
            "planned_end",
            "contract_signed",
            "weekly_target_hours",
        )
    },
}
# A matched person with another programme or start is a new enrolment, not an update.
NOT_UPDATED = ("programme", "start")
EXTERNAL_IDS = ("france_travail_id", "department_id", "nir")


@dataclass
class RowReport:
    """What happened (or would happen) to one row."""

    line: int
    status: str
    case_id: str | None = None
    column: str | None = None
    message: str | None = None


@dataclass
class ImportReport:
    """The report of one import."""

    kind: str
    file: str
    rows: list[RowReport] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    committed: bool = False

    @property
    def counts(self) -> dict[str, int]:
        # A row may have several problems (one report each): it is one row in error.
        counted = Counter(r.status for r in {(r.line, r.status): r for r in self.rows}.values())
        return {status: counted.get(status, 0) for status in STATUSES}

    @property
    def errors(self) -> list[RowReport]:
        return [r for r in self.rows if r.status == "error"]


class RowError(Exception):
    """A row that cannot be imported: the column at fault and why (and any other faults of
    the same row, so that one run shows them all)."""

    def __init__(
        self, column: str | None, message: str, more: list[tuple[str | None, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.problems = [(column, message), *(more or [])]

    def reports(self, line: int, case_id: str | None = None) -> list[RowReport]:
        """One error row per problem, each with its column."""
        return [RowReport(line, "error", case_id, col, text) for col, text in self.problems]


def read_row(
    cells: list[Any], mapping: Mapping, table: Table, fields: dict[str, Field]
) -> dict[str, Any]:
    """The values of one row by field name (None for empty cells); RowError naming every bad cell.

    A CSV row with more or fewer cells than its header is broken (a delimiter too
    many or missing shifts every value); a workbook row may omit empty trailing cells.
    """
    width = len(table.header)
    extra = [c for c in cells[width:] if c not in (None, "") and str(c).strip()]
    if extra or (table.is_csv and len(cells) < width):
        raise RowError(None, f"the row has {len(cells)} cells, the header {width}")
    values: dict[str, Any] = {}
    problems: list[tuple[str | None, str]] = []
    for name, source in mapping.sources.items():
        spec = fields[name]
        if source.column is None:
            raw = source.constant
            column = f"(constant for {name})"
        else:
            raw = cells[source.column] if source.column < len(cells) else None
            column = source.header or name
        try:
            values[name] = parse_cell(raw, spec, source.date_format, source.values)
        except ValueError as exc:
            problems.append((column, str(exc)))  # go on: every bad cell of the row is reported
    if problems:
        (column, message), *more = problems
        raise RowError(column, message, more)
    return values


def _column_of(mapping: Mapping, name: str) -> str:
    source = mapping.sources.get(name)
    return (source.header if source and source.header else None) or name


# People ----------------------------------------------------------------------


@dataclass
class PeopleIndex:
    """What matching needs from every existing case (small, whatever the store's size)."""

    by_external: dict[tuple[str, str], str] = field(default_factory=dict)
    by_identity: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    birth: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, records: Iterable[CaseRecord]) -> PeopleIndex:
        index = cls()
        for record in records:
            if record.document is None:
                raise UsageError(
                    f"{record.errors[0].render()} (fix it first: matching needs every case)"
                )
            case = record.document
            identity = case["identity"]
            external = identity.get("external_ids") or {}
            index.add(
                case["case_id"],
                identity["family_name"],
                identity["given_name"],
                identity["birth_date"],
                {
                    "france_travail_id": external.get("france_travail"),
                    "department_id": external.get("department"),
                    "nir": external.get("nir"),
                },
            )
        return index

    def add(
        self, case_id: str, family: str, given: str, birth: str, external: dict[str, Any]
    ) -> None:
        self.by_identity.setdefault((fold(family), fold(given), birth), []).append(case_id)
        self.birth[case_id] = birth
        for kind, value in external.items():
            if value:
                self.by_external[(kind, str(value).strip().upper())] = case_id

    def match(self, values: dict[str, Any], mapping: Mapping) -> str | None:
        """The case a row is about, None for a new person; RowError for a conflict."""
        found: dict[str, str] = {}
        for kind in EXTERNAL_IDS:
            value = values.get(kind)
            if value and (kind, str(value).strip().upper()) in self.by_external:
                found[kind] = self.by_external[(kind, str(value).strip().upper())]
        if len(set(found.values())) > 1:
            cases = ", ".join(sorted(set(found.values())))
            raise RowError(None, f"the external ids match several cases: {cases}")
        if found:
            kind, case_id = next(iter(found.items()))
            birth = values.get("birth_date")
            if birth and birth != self.birth[case_id]:
                raise RowError(
                    _column_of(mapping, "birth_date"),
                    f"conflict: same {kind} as {case_id} but another birth date",
                )
            return case_id
        family, given, birth = (
            values.get("family_name"),
            values.get("given_name"),
            values.get("birth_date"),
        )
        if not (family and given and birth):
            return None
        matches = self.by_identity.get((fold(family), fold(given), birth), [])
        if len(matches) > 1:
            raise RowError(None, f"matches several cases: {', '.join(sorted(matches))}")
        return matches[0] if matches else None


def import_people(
    store: Store, table: Table, mapping: Mapping, batch: Batch, advance: Callable[[], None]
) -> Iterator[RowReport]:
    """Create or update a case per row."""
    fields = KINDS["people"]
    index = PeopleIndex.build(store.iter_cases())
    for line, cells in table.rows():
        advance()
        try:
            values = read_row(cells, mapping, table, fields)
            case_id = index.match(values, mapping)
            if case_id is None:
                new_id = _create_person(store, batch, values, mapping)
                index.add(
                    new_id,
                    values["family_name"],
                    values["given_name"],
                    values["birth_date"],
                    {k: values.get(k) for k in EXTERNAL_IDS},
                )
                yield RowReport(line, "create", new_id if batch.staging else None)
            else:
                changed = _update_person(batch, case_id, values, mapping)
                message = f"changes {', '.join(changed)}" if changed else None
                yield RowReport(line, "update" if changed else "unchanged", case_id, None, message)
        except RowError as exc:
            yield from exc.reports(line)


def _create_person(store: Store, batch: Batch, values: dict[str, Any], mapping: Mapping) -> str:
    fields = KINDS["people"]
    for name, spec in fields.items():
        if spec.required and values.get(name) in (None, ""):
            raise RowError(_column_of(mapping, name), "is empty (required for a new case)")
    settings = store.settings
    programme_key = settings.programme_named(str(values["programme"]))
    if programme_key is None:
        raise RowError(
            _column_of(mapping, "programme"), f"unknown programme {values['programme']!r}"
        )
    values["programme"] = programme_key
    if settings.referent_ids and values["referent"] not in settings.referent_ids:
        raise RowError(_column_of(mapping, "referent"), f"unknown referent {values['referent']!r}")
    day = dt.date.fromisoformat
    new = NewCase(
        given_name=values["given_name"],
        family_name=values["family_name"],
        birth_date=day(values["birth_date"]),
        sex=values["sex"],
        programme=values["programme"],
        start=day(values["start"]),
        referent=values["referent"],
        modality=values.get("modality") or "individual",
        prescriber=values.get("prescriber"),
        planned_end=day(values["planned_end"]) if values.get("planned_end") else None,
        contract_signed=day(values["contract_signed"]) if values.get("contract_signed") else None,
        weekly_target_hours=values.get("weekly_target_hours"),
        phone=values.get("phone"),
        email=values.get("email"),
        address_line=values.get("address_line"),
        postcode=values.get("postcode"),
        city=values.get("city"),
        external_ids={
            kind.removesuffix("_id").replace("_", "-"): values[kind]
            for kind in EXTERNAL_IDS
            if values.get(kind)
        },
        **{
            name: values.get(name)
            for name in (
                "qualification_level",
                "qpv",
                "labour_market_status",
                "unemployment_months",
                "housing",
                "nationality_group",
            )
        },
        disability_recognition=values.get("disability_recognition"),
    )
    try:
        document = build_case(new, settings, store.today)
    except NotEligible as exc:
        raise RowError(_column_of(mapping, "programme"), f"not eligible: {exc}") from None
    if values.get("rural") is not None:
        document["situation"]["rural"] = values["rural"]
    try:
        return batch.create(new.start.year, document)
    except DocumentRefused as exc:
        raise RowError(exc.field, exc.problem) from None


def _update_person(
    batch: Batch, case_id: str, values: dict[str, Any], mapping: Mapping
) -> list[str]:
    """Stage the changes a row makes to a case; returns the changed fields (empty: unchanged)."""
    try:
        text, current = batch.current(case_id)
    except InvalidDocument as exc:
        raise RowError(None, exc.message) from None
    changes = {}
    for name, value in values.items():
        if value is None:
            continue  # an empty cell never erases data
        existing = _get(current, PEOPLE_PATHS[name])
        if existing == value:
            continue
        if name in NOT_UPDATED:
            raise RowError(
                _column_of(mapping, name),
                f"{case_id} has another {name} ({existing}): "
                "a new enrolment is not an import update",
            )
        changes[name] = value
    if not changes:
        return []
    document = yamlio.load_round_trip(text)
    fields = KINDS["people"]
    for name, value in changes.items():
        typed = dt.date.fromisoformat(value) if fields[name].type == "date" else value
        _set(document, PEOPLE_PATHS[name], typed)
    try:
        batch.stage_edit(case_id, text, document)
    except DocumentRefused as exc:
        raise RowError(exc.field, exc.problem) from None
    return sorted(changes)


def _get(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = document
    for step in path:
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def _set(document: Any, path: tuple[str, ...], value: Any) -> None:
    node = document
    for step in path[:-1]:
        if not isinstance(node.get(step), dict):
            yamlio.set_key(node, step, {})
        node = node[step]
    node[path[-1]] = value


# Contacts and activities -----------------------------------------------------


def _entry_key(kind: str, entry: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two entries the same: date, channel or kind, and minutes or hours."""
    if kind == "contacts":
        return (str(entry["date"]), entry["channel"], float(entry["minutes"]))
    return (str(entry["date"]), entry["kind"], float(entry["hours"]))


def import_entries(
    kind: str,
    store: Store,
    table: Table,
    mapping: Mapping,
    batch: Batch,
    advance: Callable[[], None],
) -> Iterator[RowReport]:
    """Attach contacts or activities to their cases; an entry already there is unchanged."""
    fields = KINDS[kind]
    index: PeopleIndex | None = None
    pending: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    early: list[RowReport] = []
    for line, cells in table.rows():
        advance()
        try:
            values = read_row(cells, mapping, table, fields)
            if values.get("case_id"):
                case_id = _known_case(store, values["case_id"], mapping)
            else:
                if index is None:  # read the whole store only when a row needs it
                    index = PeopleIndex.build(store.iter_cases())
                case_id = _case_by_external_id(index, values, mapping)
            pending.setdefault(case_id, []).append((line, values))
        except RowError as exc:
            early += exc.reports(line)
    reports = early
    for case_id in sorted(pending):
        reports += _attach(kind, store, batch, case_id, pending[case_id], mapping)
    yield from sorted(reports, key=lambda r: r.line)


def _known_case(store: Store, typed: str, mapping: Mapping) -> str:
    try:
        case_id = normalise_case_id(typed)
    except ValueError as exc:
        raise RowError(_column_of(mapping, "case_id"), str(exc)) from None
    if not store.case_path(case_id).is_file():
        raise RowError(_column_of(mapping, "case_id"), f"no case {case_id}")
    return case_id


def _case_by_external_id(index: PeopleIndex, values: dict[str, Any], mapping: Mapping) -> str:
    for kind in ("france_travail_id", "department_id"):
        value = values.get(kind)
        if value:
            case_id = index.by_external.get((kind, str(value).strip().upper()))
            if case_id is None:
                raise RowError(_column_of(mapping, kind), f"no case has this {kind}")
            return case_id
    raise RowError(None, "the row names no case (case_id, france_travail_id or department_id)")


def _attach(
    kind: str,
    store: Store,
    batch: Batch,
    case_id: str,
    rows: list[tuple[int, dict[str, Any]]],
    mapping: Mapping,
) -> list[RowReport]:
    try:
        text, current = batch.current(case_id)
    except InvalidDocument as exc:
        return [RowReport(line, "error", case_id, None, exc.message) for line, _ in rows]
    document = yamlio.load_round_trip(text)
    seen = {_entry_key(kind, e) for e in current[kind]}
    view = {
        **current,
        kind: list(current[kind]),
    }  # what the rules see, entries added so far included
    start, today = current["enrolment"]["start"], store.today.isoformat()
    reports: list[RowReport] = []
    added: list[int] = []
    for line, values in rows:
        try:
            entry = _entry(kind, values, current, store, mapping)
            if entry["date"] < start:
                raise RowError(
                    _column_of(mapping, "date"),
                    f"{entry['date']} is before the enrolment start {start}",
                )
            if entry["date"] > today and entry.get("status", "done") == "done":
                raise RowError(_column_of(mapping, "date"), f"{entry['date']} is in the future")
            key = _entry_key(kind, entry)
            if key in seen:
                reports.append(RowReport(line, "unchanged", case_id, None, "already in the case"))
                continue
            if kind == "activities":
                refusal = activity_refusal(
                    view, dt.date.fromisoformat(entry["date"]), entry["hours"]
                )
                if refusal:
                    raise RowError(_column_of(mapping, "hours"), refusal.removeprefix("--hours: "))
            seen.add(key)
            view[kind].append(entry)
            yamlio.append(document[kind], {**entry, "date": dt.date.fromisoformat(entry["date"])})
            reports.append(RowReport(line, "create", case_id))
            added.append(len(reports) - 1)
        except RowError as exc:
            reports += exc.reports(line, case_id)
    if added:
        try:
            batch.stage_edit(case_id, text, document)
        except DocumentRefused as exc:
            for position in added:
                report = reports[position]
                reports[position] = RowReport(report.line, "error", case_id, exc.field, exc.problem)
    return reports


def _entry(
    kind: str, values: dict[str, Any], case: dict[str, Any], store: Store, mapping: Mapping
) -> dict[str, Any]:
    if kind == "contacts":
        entry = {
            "date": values["date"],
            "channel": values["channel"],
            "minutes": values["minutes"],
            "mode": values.get("mode") or "individual",
            "by": values.get("by") or case["enrolment"]["referent"],
        }
        if not 0 <= entry["minutes"] <= 720:
            raise RowError(
                _column_of(mapping, "minutes"), f"{entry['minutes']} is out of range (0 to 720)"
            )
    else:
        if values["kind"] not in store.settings.activity_kinds:
            raise RowError(_column_of(mapping, "kind"), f"unknown activity kind {values['kind']!r}")
        entry = {"date": values["date"], "hours": values["hours"], "kind": values["kind"]}
        if values.get("action"):
            action = str(values["action"]).upper()
            if action not in {a["id"] for a in case["plan"]["actions"]}:
                raise RowError(
                    _column_of(mapping, "action"), f"no action {action} in {case['case_id']}"
                )
            entry["action"] = action
        entry["status"] = values.get("status") or "done"
    if values.get("note"):
        entry["note"] = values["note"]
    return entry
