"""The read path's YAML loader: libyaml's C parser with YAML 1.2 core scalars.

Kept apart from yamlio so that commands answered from the cohort cache (a
warm summary, validate) never import PyYAML: 20 ms of their start-up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
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

STR_TAG = "tag:yaml.org,2002:str"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"


class FastLoader(BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's C loader with YAML 1.2 scalars, dates as strings, no duplicates or aliases."""

    # Our own resolver table (PyYAML copies the parent's unless the class defines one).
    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    # libyaml's composer calls these three for every node. This loader has no path
    # resolvers, so PyYAML's versions come down to the lines below, minus their overhead.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                resolvers = self.yaml_implicit_resolvers.get(value[0] if value else "", ())
                for tag, regexp in resolvers:
                    if regexp.match(value):
                        return tag
            return STR_TAG
        return SEQ_TAG if kind is yaml.SequenceNode else MAP_TAG

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


def _int_value(written: str) -> int:
    text = written.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    return sign * int(text)  # YAML 1.2: a leading zero is not octal; `+_`: ValueError


def _float_value(written: str) -> float:
    value = float(written.replace("_", "").lower())  # `._`: ValueError
    # No figure in a case file is infinite or not a number (written `.inf`, or `1e400`
    # that overflows), and NaN passes every range check of a schema: refuse them.
    if not math.isfinite(value):
        raise ValueError(written)
    return value


def _bool_value(written: str) -> bool:
    return written.lower() == "true"


def _null_value(written: str) -> None:
    return None


# The value of a scalar of each core tag, from its text (ValueError: not a number accomp takes).
SCALAR_VALUES = {
    "tag:yaml.org,2002:int": _int_value,
    "tag:yaml.org,2002:float": _float_value,
    "tag:yaml.org,2002:bool": _bool_value,
    "tag:yaml.org,2002:null": _null_value,
}


def _construct_scalar_value(loader: FastLoader, node: yaml.ScalarNode) -> Any:
    written = loader.construct_scalar(node)
    try:
        return SCALAR_VALUES[node.tag](written)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"{written} is not a number accomp accepts", node.start_mark
        ) from None


def _refuse_tag(loader: FastLoader, node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag} is not allowed in accomp's files", node.start_mark
    )


# Tags whose values are not plain data (bytes, sets, ordered pairs): refused.
for _tag in ("binary", "set", "omap", "pairs"):
    FastLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL_12, "tTfF"),
    ("tag:yaml.org,2002:float", _FLOAT_12, "-+0123456789."),
    ("tag:yaml.org,2002:int", _INT_12, "-+0123456789"),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
):
    FastLoader.add_implicit_resolver(_tag, _regexp, list(_first))
for _tag in SCALAR_VALUES:
    FastLoader.add_constructor(_tag, _construct_scalar_value)


def _refuse_timestamp(loader: FastLoader, node: yaml.ScalarNode) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, "write dates as plain YYYY-MM-DD, without a !!timestamp tag", node.start_mark
    )


# No timestamp resolver: `2026-01-07` stays the string "2026-01-07", the form
# the schema validates. An explicit `!!timestamp` tag is refused.
FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _refuse_timestamp)


# ---------------------------------------------------------------------------
# The plain builder: the document straight out of libyaml's events.
#
# PyYAML's composer and constructor (a node object, a resolver call, a generator
# and a table of constructed objects per value) are most of the cost of reading
# a case file: twice libyaml's own parse. For the documents accomp writes (maps,
# lists and the scalars above, no tags of their own, no aliases of collections,
# no duplicate keys, a few levels deep) this loop over libyaml's events builds
# the same data with the same resolvers and scalar constructors. Anything else,
# or anything it would refuse, it leaves to PyYAML's constructor (the caller
# falls back), so that every refusal and its message stay PyYAML's.
# tests/test_yaml_plain_builder.py holds the two to the same result.


class NotPlain(Exception):
    """The document needs PyYAML's own constructor (or is to be refused by it)."""


def _scalar_value(tag: str, written: str) -> Any:
    """The value of a scalar whose tag is resolved (or explicit); NotPlain for other tags."""
    if tag == STR_TAG:
        return written
    value_of = SCALAR_VALUES.get(tag)
    if value_of is None:
        raise NotPlain
    try:
        return value_of(written)
    except ValueError:
        raise NotPlain from None


# Plain scalars repeat (statuses, channels, dates, small numbers): their values are
# kept, keyed by the text as written. Every value is immutable, so sharing is safe.
_PLAIN_VALUES: dict[str, Any] = {}
_PLAIN_VALUES_MAX = 200_000


def _plain_value(written: str) -> Any:
    value = _PLAIN_VALUES.get(written, _PLAIN_VALUES)
    if value is not _PLAIN_VALUES:
        return value
    tag = STR_TAG
    for candidate, regexp in FastLoader.yaml_implicit_resolvers.get(
        written[0] if written else "", ()
    ):
        if regexp.match(written):
            tag = candidate
            break
    value = _scalar_value(tag, written)
    if len(_PLAIN_VALUES) >= _PLAIN_VALUES_MAX:
        _PLAIN_VALUES.clear()
    _PLAIN_VALUES[written] = value
    return value


# libyaml's events as this builder needs them. PyYAML's C binding (yaml._yaml) makes a
# Python object per event (a scalar's, with its two marks and an __init__ in Python):
# with half a dozen events per line, that is half of what reading a case file costs.
# The binding looks its event classes up by name in its module as it makes each event,
# so while load_plain reads, the names stand for the functions below: a plain scalar
# comes out resolved (its value), a map's or a list's start and end as a marker, and
# anything else (a tag, an anchor, a value accomp refuses) as _Unusual, which the
# builder leaves to PyYAML's constructor. No accomp process parses in two threads.
try:
    from yaml import _yaml as _binding
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the constructor reads
    _binding = None  # type: ignore[assignment]

_MAP_START, _SEQ_START, _END = object(), object(), object()


class _Unusual:
    """A scalar with an anchor or a tag of its own, or a collection that is not plain."""

    __slots__ = ("anchor", "plain", "tag", "value")

    def __init__(self, anchor: Any, tag: Any, plain: bool, value: Any) -> None:
        self.anchor, self.tag, self.plain, self.value = anchor, tag, plain, value


# A map or a list that is not plain, or a scalar accomp refuses: for PyYAML to decide.
_LEAVE = _Unusual(None, None, False, None)


def _scalar_event(
    anchor: Any, tag: Any, implicit: Any, value: str, start: Any, end: Any, style: Any = None
) -> Any:
    if anchor is not None or tag is not None:
        return _Unusual(anchor, tag, implicit[0], value)
    if not implicit[0]:
        return value  # quoted: a string as written
    resolved = _PLAIN_VALUES.get(value, _PLAIN_VALUES)  # _plain_value's memo, a call less
    if resolved is not _PLAIN_VALUES:
        return resolved
    try:
        return _plain_value(value)
    except NotPlain:  # not raised here: the binding would not free its event
        return _LEAVE


def _collection_start(marker: object, own_tag: str) -> Callable[..., Any]:
    """What the binding makes for a map's (or a list's) start: the marker when it is plain."""

    def start(anchor: Any, tag: Any, implicit: Any, begin: Any, end: Any, flow: Any = None) -> Any:
        if anchor is None and (tag is None or tag == "!" or tag == own_tag):
            return marker
        return _LEAVE

    return start


def _collection_end(start: Any, end: Any) -> Any:
    return _END


_PLAIN_EVENTS = {
    "ScalarEvent": _scalar_event,
    "MappingStartEvent": _collection_start(_MAP_START, MAP_TAG),
    "SequenceStartEvent": _collection_start(_SEQ_START, SEQ_TAG),
    "MappingEndEvent": _collection_end,
    "SequenceEndEvent": _collection_end,
}
_NO_KEY = object()
# The types of the events that are not a plain scalar's value: the markers (bare objects:
# no scalar's value is one), the scalars left _Unusual, and aliases (PyYAML's AliasEvent).
_SPECIAL = frozenset({object, _Unusual, yaml.AliasEvent})


def load_plain(text: str, max_depth: int) -> Any:
    """The plain data of a one-document YAML text, or NotPlain (see above)."""
    if _binding is None or not _plain_events_work():
        raise NotPlain
    real = {name: getattr(_binding, name) for name in _PLAIN_EVENTS}
    for name, event in _PLAIN_EVENTS.items():
        setattr(_binding, name, event)
    try:
        return _build(_binding.CParser(text), max_depth)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        raise NotPlain from None
    finally:
        for name, event in real.items():
            setattr(_binding, name, event)


def _build(parser: Any, max_depth: int) -> Any:
    # One loop per map and one per list, each calling the next level's: a scalar (most
    # events) costs a call to get_event and one type test. Markers, _Unusual scalars and
    # aliases are the only events whose type is in _SPECIAL, and go through `special`.
    next_event = parser.get_event
    MAP_START, SEQ_START, END, SPECIAL = _MAP_START, _SEQ_START, _END, _SPECIAL
    anchors: dict[str, Any] = {}

    def special(event: Any, depth: int) -> Any:
        """The value an event in _SPECIAL starts at `depth` (that of its container)."""
        if event is MAP_START:
            return build_map(depth + 1)
        if event is SEQ_START:
            return build_list(depth + 1)
        if type(event) is _Unusual:
            return _unusual_scalar(event, anchors)
        if type(event) is yaml.AliasEvent:
            value = anchors.get(event.anchor, _NO_KEY)
            if value is _NO_KEY:
                raise NotPlain  # an alias of a collection (refused) or of nothing
            return value
        raise NotPlain  # an end where a value should be

    def build_map(depth: int) -> dict[Any, Any]:
        if depth >= max_depth:  # the document is depth 1; nothing may lie deeper
            raise NotPlain
        mapping: dict[Any, Any] = {}
        while True:
            key = next_event()
            if type(key) in SPECIAL:
                if key is END:
                    return mapping
                if key is MAP_START or key is SEQ_START:
                    raise NotPlain  # a collection as a key
                key = special(key, depth)
            value = next_event()
            if type(value) in SPECIAL:
                value = special(value, depth)
            if key in mapping:
                raise NotPlain  # a duplicate key (1, 1.0 and true are one key)
            mapping[key] = value

    def build_list(depth: int) -> list[Any]:
        if depth >= max_depth:
            raise NotPlain
        items: list[Any] = []
        while True:
            value = next_event()
            if type(value) in SPECIAL:
                if value is END:
                    return items
                value = special(value, depth)
            items.append(value)

    next_event()  # the stream's start
    if type(next_event()) is yaml.StreamEndEvent:  # (else the document's start)
        return None  # an empty stream
    root = next_event()
    if type(root) is yaml.DocumentEndEvent:
        root = None  # an empty document
    else:
        if type(root) in SPECIAL:
            root = special(root, 0)
        if type(next_event()) is not yaml.DocumentEndEvent:
            raise NotPlain
    if type(next_event()) is not yaml.StreamEndEvent:
        raise NotPlain  # several documents: PyYAML refuses them
    return root


def _unusual_scalar(event: _Unusual, anchors: dict[str, Any]) -> Any:
    """The value of a scalar with an anchor or a tag (NotPlain: PyYAML's constructor decides)."""
    if event is _LEAVE:
        raise NotPlain
    tag = event.tag
    if tag is None or tag == "!":  # resolved as the composer resolves it
        value = _plain_value(event.value) if event.plain else event.value
    else:
        value = _scalar_value(tag, event.value)
    if event.anchor is not None:
        if event.anchor in anchors:
            raise NotPlain  # PyYAML refuses a duplicate anchor
        anchors[event.anchor] = value
    return value


_PROBE = "a: [1, '2', {b: ~}]\nc: &d x\ne: *d\n"
_PROBE_DATA = {"a": [1, "2", {"b": None}], "c": "x", "e": "x"}
_EVENTS_WORK: bool | None = None  # found out once per process


def _plain_events_work() -> bool:
    """Whether the binding makes its events as this builder expects (the names it looks up,
    the arguments it passes), tried once per process on a small document; if not, every
    document goes to PyYAML's constructor: slower, the same data."""
    global _EVENTS_WORK
    if _EVENTS_WORK is None:
        _EVENTS_WORK = all(hasattr(_binding, name) for name in _PLAIN_EVENTS)
        if _EVENTS_WORK:  # (so that the probe itself is built plainly)
            try:
                _EVENTS_WORK = load_plain(_PROBE, 8) == _PROBE_DATA
            except Exception:  # any surprise means: do not build plainly
                _EVENTS_WORK = False
    return _EVENTS_WORK
