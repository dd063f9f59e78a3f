"""The mapping from a spreadsheet's columns to the fields of an import.

Without a mapping file, a column whose header is a field's name (in any case,
with spaces or hyphens) fills that field. A mapping file
(schemas/import-mapping.schema.json) names the column of each field, or gives
a constant, a date format, or a table of values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accomp.errors import UsageError
from accomp.importers.fields import KINDS, Field, fold, header_key


@dataclass(frozen=True)
class Source:
    """Where one field's value comes from."""

    column: int | None = None  # index in the row
    header: str | None = None
    constant: Any = None
    date_format: str | None = None
    values: dict[str, Any] | None = None


@dataclass
class Mapping:
    """Resolved against a header: each field's source, and the columns left unused."""

    kind: str
    sources: dict[str, Source]
    ignored: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None


def load_mapping_file(path: Path) -> dict[str, Any]:
    """Read and validate a mapping file; UsageError naming its file, line and field."""
    from accomp.store.checking import check_text, display_path

    # The mapping is checked as any document: YAML first, then its schema.
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--mapping: {path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--mapping: {path}: not UTF-8 text") from None
    document, problems = check_text(path, text, "import-mapping", None, dt.date.today())
    errors = [p for p in problems if p.problem.severity == "error"]
    if errors or document is None:
        raise UsageError(f"--mapping: {errors[0].render() if errors else display_path(path)}")
    return document


def resolve(kind: str, header: list[str], document: dict[str, Any] | None) -> Mapping:
    """Match the fields of `kind` to the columns of `header`; UsageError for a missing column."""
    fields = KINDS[kind]
    if document and document.get("kind") and document["kind"] != kind:
        raise UsageError(f"--mapping: the mapping is for {document['kind']}, not {kind}")
    by_fold = {fold(h): i for i, h in enumerate(header)}
    sources: dict[str, Source] = {}
    if document:
        for name, spec in document["fields"].items():
            if name not in fields:
                raise UsageError(
                    f"--mapping: unknown field {name!r} for {kind} (known: {', '.join(fields)})"
                )
            if isinstance(spec, str):
                spec = {"column": spec}
            if "constant" in spec:
                sources[name] = Source(constant=spec["constant"])
                continue
            index = by_fold.get(fold(spec["column"]))
            if index is None:
                raise UsageError(f"the column {spec['column']!r} (for {name}) is not in the header")
            sources[name] = Source(
                index, header[index], None, spec.get("date_format"), spec.get("values")
            )
    else:
        for index, column in enumerate(header):
            name = header_key(column)
            if name in fields:
                sources[name] = Source(index, column)
    _check_required(kind, fields, sources)
    used = {s.column for s in sources.values() if s.column is not None}
    ignored = [h for i, h in enumerate(header) if i not in used]
    encoding = document.get("encoding") if document else None
    delimiter = document.get("delimiter") if document else None
    return Mapping(kind, sources, ignored, encoding, delimiter)


def _check_required(kind: str, fields: dict[str, Field], sources: dict[str, Source]) -> None:
    missing = [name for name, f in fields.items() if f.required and name not in sources]
    if missing:
        raise UsageError(f"missing required column(s) for {kind}: {', '.join(missing)}")
    if kind != "people" and not any(
        key in sources for key in ("case_id", "france_travail_id", "department_id")
    ):
        raise UsageError(
            f"{kind} need a column naming the case: case_id, france_travail_id or department_id"
        )


def template(kind: str) -> str:
    """The commented mapping file `accomp import template KIND` prints (it is a valid mapping)."""
    from accomp.resources import package_text

    return package_text(f"templates/mapping-{kind}.yaml")
