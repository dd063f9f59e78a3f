"""Files shipped with accomp: the JSON schemas and the default settings."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def schema_dir() -> Path:
    """The folder of the JSON schemas.

    In a wheel they are package data (`accomp/schemas`); in a source checkout
    (an editable install) they are the repository's top-level `schemas/`.
    """
    packaged = _PACKAGE / "schemas"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "schemas"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """Load `schemas/<name>.schema.json`."""
    with open(schema_dir() / f"{name}.schema.json", encoding="utf-8") as handle:
        return json.load(handle)


def package_path(relative: str) -> Path:
    """A file or folder shipped inside the package."""
    return _PACKAGE / relative


def package_text(relative: str) -> str:
    """A text file shipped inside the package."""
    return (_PACKAGE / relative).read_text(encoding="utf-8")


def defaults_text() -> str:
    """The commented default settings file that `accomp init` writes as accomp.yaml."""
    return package_text("defaults.yaml")


def schema_choices(name: str, *path: str) -> list[str]:
    """The non-null enum values of a property, e.g. schema_choices("casefile", "identity", "sex")
    or schema_choices("casefile", "contacts", "[]", "channel").

    The schema is the one source of the lists of choices; the CLI offers them.
    """
    node = _resolve(name, load_schema(name))
    for step in path:  # "[]" steps into the items of a list
        node = _resolve(name, node["items"] if step == "[]" else node["properties"][step])
    return [choice for choice in node["enum"] if choice is not None]


def _resolve(name: str, node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s and the non-null branch of a nullable `anyOf`."""
    while True:
        if "$ref" in node:
            node = load_schema(name)["$defs"][node["$ref"].removeprefix("#/$defs/")]
            continue
        branches = [b for b in node.get("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            node = branches[0]
            continue
        return node
