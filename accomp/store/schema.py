"""JSON Schema validation of case files and settings, with messages people can act on.

Two validators, one schema: fastjsonschema (compiled, about 1 ms a case file)
decides valid or not; jsonschema (about 5 ms, but it lists every error with its
path) runs only on the documents the gate refuses. A test proves both agree.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from accomp.domain.problems import Problem
from accomp.resources import load_schema


@functools.cache
def _validator(name: str) -> Any:
    # jsonschema costs ~170 ms to import: only commands that validate pay it.
    from jsonschema import Draft202012Validator, FormatChecker

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


_UNEXPECTED = re.compile(r"\('([^']*)'(?:, '([^']*)')* (?:was|were) unexpected\)")


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10  # fromisoformat also takes 20260107


@functools.cache
def _gate(name: str) -> Callable[[Any], Any]:
    """The compiled validator of a schema (formats checked as jsonschema checks them)."""
    import fastjsonschema

    # compile() rewrites the $refs of the schema it is given: give it its own copy.
    return fastjsonschema.compile(
        copy.deepcopy(load_schema(name)),
        formats={"date": _is_date, "email": lambda value: "@" in value},
    )


def is_valid(document: Any, name: str) -> bool:
    """Whether `document` is valid against the schema (the fast gate only)."""
    from fastjsonschema import JsonSchemaException

    try:
        _gate(name)(document)
    except JsonSchemaException:
        return False
    return True


def schema_problems(document: Any, name: str) -> list[Problem]:
    """Every schema error of `document` against `schemas/<name>.schema.json`, sorted by place."""
    if is_valid(document, name):
        return []
    problems: list[Problem] = []
    for err in _validator(name).iter_errors(document):
        problems.extend(_to_problems(err))
    return sorted(set(problems))


def _to_problems(err: Any) -> list[Problem]:
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = sorted(str(k) for k in err.instance if k not in allowed)
        return [Problem(path, "unknown field", "error", key=k) for k in extra]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [Problem(path, "required field is missing", "error", key=missing)]
    return [Problem(path, _message(err), "error")]


# Values in these sections are personal data: a message names the field, not the value.
SENSITIVE_SECTIONS = frozenset({"identity"})


def _message(err: Any) -> str:
    value = err.instance
    sensitive = bool(err.absolute_path) and err.absolute_path[0] in SENSITIVE_SECTIONS
    shown = "the value" if sensitive else _show(value)
    match err.validator:
        case "format":
            return f"{shown} is not a valid {err.validator_value}"
        case "type":
            expected = err.validator_value
            expected = " or ".join(expected) if isinstance(expected, list) else expected
            return f"{shown} should be of type {expected}"
        case "enum":
            choices = ", ".join(str(c) for c in err.validator_value if c is not None)
            return f"{shown} is not one of: {choices}"
        case "const":
            return f"{shown} should be {err.validator_value!r}"
        case "pattern":
            return f"{shown} does not have the expected form"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            return f"{shown} is out of range ({_bound(err)})"
        case "minLength":
            return "should not be empty"
        case "maxLength":
            return f"is too long (at most {err.validator_value} characters)"
        case "anyOf" | "oneOf":
            # The nullable form anyOf[X, null]: report the X branch's message.
            for sub in sorted(err.context, key=lambda e: len(e.path), reverse=True):
                if sub.validator != "type" or "null" not in str(sub.validator_value):
                    return (
                        _message(sub)
                        if not sub.path
                        else f"{'.'.join(map(str, sub.path))}: {_message(sub)}"
                    )
            return f"{shown} is not valid here"
        case _:
            return err.message


def _bound(err: Any) -> str:
    symbols = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    return f"must be {symbols[err.validator]} {err.validator_value}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
