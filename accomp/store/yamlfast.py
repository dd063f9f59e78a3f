"""The read path's YAML loader: libyaml's C parser with YAML 1.2 core scalars.

Kept apart from yamlio so that commands answered from the cohort cache (a
warm summary, validate) never import PyYAML: 20 ms of their start-up.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

import yaml

try:  # libyaml's C parser; the pure-Python one is ten times slower
    from yaml import CSafeLoader as BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as BaseLoader  # type: ignore[assignment]


# ---------------------------------------------------------------------------
# The fast loader: YAML 1.2 core scalars, as ruamel.yaml resolves them.
# The regular expressions are those of ruamel.yaml's resolver for version 1.2.

_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT_12 = re.compile(
    r"""^(?:
     [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT_12 = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class FastLoader(BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's C loader with YAML 1.2 scalars, dates as strings, no duplicates or aliases."""

    # Our own resolver table (PyYAML copies the parent's unless the class defines one).
    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A collection met a second time is an alias (`*name`). Case files have
        # no use for them, and they make "billion laughs" documents possible.
        if node in self.constructed_objects and isinstance(
            node, yaml.MappingNode | yaml.SequenceNode
        ):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed", node.start_mark
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain scalar", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _not_a_number(text: str, node: yaml.ScalarNode) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(
        None, None, f"{text} is not a number accomp accepts", node.start_mark
    )


def _construct_int(loader: FastLoader, node: yaml.ScalarNode) -> int:
    written = loader.construct_scalar(node)
    text = written.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    try:
        if text.startswith("0b"):
            return sign * int(text[2:], 2)
        if text.startswith("0x"):
            return sign * int(text[2:], 16)
        if text.startswith("0o"):
            return sign * int(text[2:], 8)
        return sign * int(text)  # YAML 1.2: a leading zero is not octal
    except ValueError:  # `+_`, `0x_`: the 1.2 pattern matches, no digit follows
        raise _not_a_number(written, node) from None


def _construct_float(loader: FastLoader, node: yaml.ScalarNode) -> float:
    written = loader.construct_scalar(node)
    text = written.replace("_", "").lower()
    try:
        value = float(text)
    except ValueError:  # `._`
        raise _not_a_number(written, node) from None
    # No figure in a case file is infinite or not a number (written `.inf`, or `1e400`
    # that overflows), and NaN passes every range check of a schema: refuse them.
    if not math.isfinite(value):
        raise _not_a_number(written, node)
    return value


def _refuse_tag(loader: FastLoader, node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag} is not allowed in accomp's files", node.start_mark
    )


# Tags whose values are not plain data (bytes, sets, ordered pairs): refused.
for _tag in ("binary", "set", "omap", "pairs"):
    FastLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


def _construct_bool(loader: FastLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


def _construct_null(loader: FastLoader, node: yaml.ScalarNode) -> None:
    return None


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL_12, "tTfF"),
    ("tag:yaml.org,2002:float", _FLOAT_12, "-+0123456789."),
    ("tag:yaml.org,2002:int", _INT_12, "-+0123456789"),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
):
    FastLoader.add_implicit_resolver(_tag, _regexp, list(_first))
FastLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
FastLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
FastLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
FastLoader.add_constructor("tag:yaml.org,2002:null", _construct_null)


def _refuse_timestamp(loader: FastLoader, node: yaml.ScalarNode) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, "write dates as plain YYYY-MM-DD, without a !!timestamp tag", node.start_mark
    )


# No timestamp resolver: `2026-01-07` stays the string "2026-01-07", the form
# the schema validates. An explicit `!!timestamp` tag is refused.
FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _refuse_timestamp)
