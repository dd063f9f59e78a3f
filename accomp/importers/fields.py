"""What each kind of import reads: its fields, their types, and how a cell becomes a value.

Pure functions: a cell (text from a CSV, or a typed value from a workbook)
and a field give a value or a ValueError whose message names the problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from accomp.domain.dates import EARLIEST, LATEST
from accomp.resources import schema_choices


class UncomputedFormula:
    """A workbook's formula cell that was never computed: accomp does not evaluate formulas."""

    def __str__(self) -> str:
        return "a formula"


@dataclass(frozen=True)
class Field:
    """One field an import fills: its name (the command option's), type and choices."""

    name: str
    type: str  # text, date, int, number, bool, choice
    required: bool = False
    choices: tuple[str, ...] = ()
    sensitive: bool = False  # identity data: never quoted in a message


def _fields(*specs: Field) -> dict[str, Field]:
    return {f.name: f for f in specs}


def _choices(*path: str) -> tuple[str, ...]:
    return tuple(schema_choices("casefile", *path))


SEXES = _choices("identity", "sex")
PEOPLE = _fields(
    Field("given_name", "text", True, sensitive=True),
    Field("family_name", "text", True, sensitive=True),
    Field("birth_date", "date", True, sensitive=True),
    Field("sex", "choice", True, SEXES),
    Field("programme", "text", True),
    Field("start", "date", True),
    Field("referent", "text", True),
    Field("modality", "choice", choices=_choices("enrolment", "modality")),
    Field("prescriber", "choice", choices=_choices("enrolment", "prescriber")),
    Field("planned_end", "date"),
    Field("contract_signed", "date"),
    Field("weekly_target_hours", "number"),
    Field("phone", "text", sensitive=True),
    Field("email", "text", sensitive=True),
    Field("address_line", "text", sensitive=True),
    Field("postcode", "text", sensitive=True),
    Field("city", "text", sensitive=True),
    Field("france_travail_id", "text", sensitive=True),
    Field("department_id", "text", sensitive=True),
    Field("nir", "text", sensitive=True),
    Field("qualification_level", "int"),
    Field("qpv", "bool"),
    Field("labour_market_status", "choice", choices=_choices("situation", "labour_market_status")),
    Field("unemployment_months", "int"),
    Field("disability_recognition", "bool"),
    Field("housing", "choice", choices=_choices("situation", "housing")),
    Field("nationality_group", "choice", choices=_choices("situation", "nationality_group")),
    Field("rural", "bool"),
)  # fmt: skip

# How a row of contacts or activities names its case: one of these.
CASE_KEYS = ("case_id", "france_travail_id", "department_id")

CONTACTS = _fields(
    Field("case_id", "text"),
    Field("france_travail_id", "text", sensitive=True),
    Field("department_id", "text", sensitive=True),
    Field("date", "date", True),
    Field("channel", "choice", True, _choices("contacts", "[]", "channel")),
    Field("minutes", "int", True),
    Field("mode", "choice", choices=_choices("contacts", "[]", "mode")),
    Field("by", "text"),
    Field("note", "text"),
)

ACTIVITIES = _fields(
    Field("case_id", "text"),
    Field("france_travail_id", "text", sensitive=True),
    Field("department_id", "text", sensitive=True),
    Field("date", "date", True),
    Field("hours", "number", True),
    Field("kind", "text", True),
    Field("action", "text"),
    Field("status", "choice", choices=_choices("activities", "[]", "status")),
    Field("note", "text"),
)

KINDS = {"people": PEOPLE, "contacts": CONTACTS, "activities": ACTIVITIES}

TRUE_WORDS = frozenset({"true", "yes", "oui", "o", "y", "1", "x", "vrai"})
FALSE_WORDS = frozenset({"false", "no", "non", "n", "0", "faux"})
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive form of a header or a name, for matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-']+", " ", plain).strip().casefold()


def header_key(text: str) -> str:
    """A column header as a field name: `Family name` and `family-name` give `family_name`."""
    return fold(text).replace(" ", "_")


def _shown(value: Any, field: Field) -> str:
    if field.sensitive:
        return "the value"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_cell(value: Any, field: Field, date_format: str | None = None,
               table: dict[str, Any] | None = None) -> Any:  # fmt: skip
    """The value of one cell for a field; None for an empty cell; ValueError otherwise.

    `table` maps cell texts to values (a mapping's `values`), looked up first,
    case- and accent-insensitively; `date_format` is a strptime format.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, UncomputedFormula):
        raise ValueError(
            "is a formula with no computed value (open and save the file in a spreadsheet)"
        )
    if table is not None:
        folded = {fold(str(k)): v for k, v in table.items()}
        key = fold(str(value))
        if key in folded:
            return folded[key]
        if field.type in ("choice", "bool") or field.name == "qualification_level":
            raise ValueError(
                f"{_shown(value, field)} is not in the mapping's values "
                f"({', '.join(map(str, table))})"
            )
    text = value.strip() if isinstance(value, str) else value
    kind = field.type
    if kind == "text":
        result = str(text).strip()
        printable = result.replace("\n", " ").replace("\t", " ") if field.name == "note" else result
        if not printable.isprintable():
            raise ValueError("contains control characters")
        if len(result) > 200 and field.name != "note":
            raise ValueError("is too long (at most 200 characters)")
        return result
    if kind == "date":
        return _date(text, field, date_format)
    if kind == "int":
        number = _number(text, field)
        if number != int(number):
            raise ValueError(f"{_shown(value, field)} is not a whole number")
        return int(number)
    if kind == "number":
        return _number(text, field)
    if kind == "bool":
        if isinstance(text, bool):
            return text
        word = fold(str(text))
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"{_shown(value, field)} is not yes or no")
    if kind == "choice":
        for choice in field.choices:
            if fold(str(text)) == fold(choice):
                return choice
        raise ValueError(f"{_shown(value, field)} is not one of {', '.join(field.choices)}")
    raise AssertionError(kind)


def _date(value: Any, field: Field, date_format: str | None) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        day = None
        for fmt in (date_format,) if date_format else DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if day is None:
            expected = date_format or "YYYY-MM-DD or DD/MM/YYYY"
            raise ValueError(f"{_shown(value, field)} is not a date ({expected})")
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{_shown(value, field)} is outside {EARLIEST.year}-{LATEST.year}")
    return day.isoformat()


def _number(value: Any, field: Field) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{_shown(value, field)} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).replace("\u202f", "").replace(" ", "").replace(",", "."))
        except ValueError:
            raise ValueError(f"{_shown(value, field)} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{_shown(value, field)} is not a number")
    return int(number) if number.is_integer() else number
