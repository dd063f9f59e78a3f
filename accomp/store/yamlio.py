"""YAML in and out: one fast loader for reading, one round-trip loader for editing.

* The **read path** uses libyaml's C parser through PyYAML, with the YAML 1.2
  scalar rules of ruamel.yaml (so `no` stays a string and `010` is ten), dates
  kept as ISO strings (the form JSON Schema validates), duplicate keys and
  aliases refused. It returns plain dicts, lists, str, int, float, bool, None.
* The **edit path** uses ruamel.yaml's round-trip mode, which keeps comments,
  key order, quotes and the file's indentation, so that a hand-edited case file
  changes only where a command changed it.
* `to_plain` turns a round-trip document into the same plain data as the read
  path; a test proves that both paths agree.
* `locate` turns a JSON path into `line:col` in the file's text, from libyaml's
  node marks, without constructing values (so it works on files whose values
  are wrong).

Heavy imports (ruamel.yaml, and PyYAML with the fast loader of yamlfast.py)
happen inside the functions that need them, so that commands which only read,
or answer from the cohort cache, do not pay for them.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from accomp.domain.plain import to_plain  # the one conversion, also for domain rules

if TYPE_CHECKING:
    import yaml

# A JSON path: keys and list indexes from the document's root.
JsonPath = Sequence[str | int]


class YamlError(Exception):
    """A file that is not well-formed YAML, or uses what case files forbid."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    @property
    def message(self) -> str:
        return str(self.args[0])


def _marked_error(exc: yaml.YAMLError) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context and "alias" not in problem else problem
    if mark is None:
        return YamlError(f"invalid YAML: {message}")
    return YamlError(f"invalid YAML: {message}", mark.line + 1, mark.column + 1)


def load_fast(text: str) -> Any:
    """Parse one YAML document into plain data (the read path).

    Raises YamlError with the line and column of the first problem.
    """
    from accomp.store.yamlfast import NotPlain, load_plain

    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return load_plain(text, MAX_DEPTH)
    except NotPlain:
        return load_with_pyyaml(text)  # PyYAML's constructor decides, and words any refusal


def load_with_pyyaml(text: str) -> Any:
    """load_fast through PyYAML's own constructor: the reference the plain builder must equal.

    Slower (a Python method call and a generator per node), so used only for the
    documents the plain builder leaves to it: tags, aliases, refusals.
    """
    import yaml

    from accomp.store.yamlfast import FastLoader

    try:
        document = yaml.load(text, Loader=FastLoader)
    except yaml.YAMLError as exc:
        raise _marked_error(exc) from None
    except RecursionError:
        raise YamlError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError) as exc:
        raise YamlError(f"invalid YAML: {type(exc).__name__}: {exc}") from None
    if _too_deep(document):
        raise YamlError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
    return document


# Case files nest a few levels; a document deeper than this is refused before any
# recursive code (validators, renderers) meets it.
MAX_DEPTH = 32


def _too_deep(document: Any) -> bool:
    """Whether a document nests deeper than MAX_DEPTH (checked without recursion)."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return False


# How every file git-crypt encrypted begins (store/crypt.py): such bytes are refused
# with what to do, not read as text that is not UTF-8.
GIT_CRYPT_PREFIX = b"\x00GITCRYPT\x00"


def decode(data: bytes) -> str:
    """Decode a YAML file's bytes as UTF-8 (a BOM is dropped); YamlError if they are not."""
    if data.startswith(GIT_CRYPT_PREFIX):  # a locked clone of a store encrypted at rest
        raise YamlError(
            "the file is encrypted at rest and this clone has not got the key: "
            "run `accomp crypt unlock`",
            1,
            None,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError("the file is not UTF-8 text", line, None) from None


# ---------------------------------------------------------------------------
# Positions


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    """Return the 1-based (line, column) of the value at `path` in `text`.

    When the path goes deeper than the document (a missing key), the position
    of the deepest node that exists is returned. A document that does not
    parse gives (1, 1).
    """
    import yaml

    from accomp.store.yamlfast import BaseLoader

    try:
        node = yaml.compose(text.lstrip("\ufeff"), Loader=BaseLoader)
    except yaml.YAMLError:
        return (1, 1)
    if node is None:
        return (1, 1)
    best = node.start_mark
    for step in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                    child = value_node
                    # a null value has no own position: point at the key
                    best = (
                        key_node.start_mark
                        if value_node.start_mark.index == value_node.end_mark.index
                        else value_node.start_mark
                    )
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            child = node.value[step]
            best = child.start_mark
        if child is None:
            break
        node = child
    return (best.line + 1, best.column + 1)


def locate_key(text: str, path: JsonPath, key: str) -> tuple[int, int]:
    """Return the position of the key `key` inside the mapping at `path` (for unknown fields)."""
    import yaml

    from accomp.store.yamlfast import BaseLoader

    try:
        node = yaml.compose(text.lstrip("\ufeff"), Loader=BaseLoader)
    except yaml.YAMLError:
        return (1, 1)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == str(step)), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            node = node.value[step]
        else:
            node = None
        if node is None:
            return locate(text, path)
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if getattr(key_node, "value", None) == key:
                return (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    return locate(text, path)


# ---------------------------------------------------------------------------
# The edit path (round trip)


def _round_trip_yaml(text: str | None = None) -> Any:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long note onto several lines
    mapping, sequence, offset = 2, 4, 2
    if text is not None:
        mapping, sequence, offset = _guess_indent(text)
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    return rt


DEFAULT_INDENT = (2, 4, 2)  # mapping, sequence, offset: `key:` then `  - item`


def _guess_indent(text: str) -> tuple[int, int, int]:
    """The indentation a file already uses (mapping, sequence, offset), so that a rewrite
    does not re-indent it. A scan of the lines: ruamel's own guess parses the whole file."""
    mapping: int | None = None
    offset: int | None = None
    previous: tuple[int, str] | None = None  # indentation and text of the last significant line
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if (
            not stripped
            or stripped.startswith("#")
            or stripped.startswith("%")
            or stripped == "---"
        ):
            continue
        indent = len(line) - len(stripped)
        if previous is not None and previous[1].endswith(":"):
            if stripped.startswith("- ") and offset is None and indent >= previous[0]:
                offset = indent - previous[0]  # the dash of a list under its key
            elif not stripped.startswith("- ") and mapping is None and indent > previous[0]:
                mapping = indent - previous[0]  # a key under its parent key
        previous = (indent, stripped.split(" #")[0].rstrip())
        if mapping is not None and offset is not None:
            break
    mapping = mapping or DEFAULT_INDENT[0]
    offset = DEFAULT_INDENT[2] if offset is None else offset
    return (mapping, offset + 2, offset)


def load_round_trip(text: str) -> Any:
    """Parse a document for editing: comments, order and quoting are kept."""
    from ruamel.yaml.error import YAMLError as RuamelError

    rt = _round_trip_yaml(text)
    try:
        return rt.load(text)
    except RuamelError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if mark is None:
            raise YamlError(f"invalid YAML: {problem}") from None
        raise YamlError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except ValueError as exc:  # an impossible date such as 2026-02-30
        raise YamlError(f"invalid YAML: {exc}") from None


def dump_round_trip(document: Any, like: str | None = None) -> str:
    """Serialise a round-trip document; `like` is the original text whose indentation to keep."""
    import io

    rt = _round_trip_yaml(like)
    buffer = io.StringIO()
    rt.dump(document, buffer)
    return buffer.getvalue()


def to_round_trip(value: Any) -> Any:
    """Turn plain data (dates as `datetime.date`) into round-trip nodes, in block style.

    Empty lists are written in flow style (`[]`); `append` turns them to block
    style when they get their first entry.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = to_round_trip(item)
        mapping.fa.set_block_style()
        return mapping
    if isinstance(value, list | tuple):
        sequence = CommentedSeq(to_round_trip(item) for item in value)
        if sequence:
            sequence.fa.set_block_style()
        else:
            sequence.fa.set_flow_style()
        return sequence
    if type(value) is _dt.date:
        # A date object of its own for each field: the writer ties two fields that hold
        # the same object with an anchor and an alias (`&id001` … `*id001`), which a person
        # editing the file then has to read (store.today lands in several fields at once).
        return _dt.date(value.year, value.month, value.day)
    return value


def append(sequence: Any, item: dict[str, Any]) -> None:
    """Append a mapping to a round-trip list, in block style (`- key: value`)."""
    sequence.fa.set_block_style()
    sequence.append(to_round_trip(item))


def append_text(text: str, key: str, entry: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """`text` with `entry` added at the end of its top-level block list `key`, or None.

    The append-only commands (a contact, an activity, an absence…) take this way:
    it needs no round-trip parse of the whole file (0.3 s for a year of
    follow-up), and every other byte of the file stays as it was. The entry is
    written by the round-trip writer, in the file's own indentation, after the
    list's last line. The result must load (with the fast loader) as `expected`,
    the plain document the round trip would give; when it does not, or the file
    is laid out otherwise (a flow list `[]`, Windows line ends), the answer is
    None and the caller edits through the round trip.
    """
    if "\r" in text:
        return None
    lines = text.split("\n")
    header = re.compile(rf"^{re.escape(key)}:[ \t]*(?:#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None
    last = None
    for i in range(start + 1, len(lines)):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # a blank or comment line: it stays where it is, after the new entry
        if not line[0].isspace() and line != "-" and not line.startswith("- "):
            break  # the next top-level key
        last = i
    if last is None:
        return None
    rendered = dump_round_trip(to_round_trip({key: [entry]}), like=text).split("\n")
    if rendered[0] != f"{key}:" or rendered[-1] != "":
        return None
    result = "\n".join([*lines[: last + 1], *rendered[1:-1], *lines[last + 1 :]])
    try:
        loaded = load_fast(result)
    except YamlError:
        return None
    return result if loaded == expected else None


def set_key(mapping: Any, key: str, value: Any) -> None:
    """Set a key of a round-trip mapping, converting plain values to round-trip nodes."""
    mapping[key] = to_round_trip(value)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def with_dates(value: Any) -> Any:
    """Plain data with its ISO date strings turned back into dates (to write them unquoted)."""
    if isinstance(value, dict):
        return {k: with_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_dates(v) for v in value]
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def update_round_trip(node: Any, plain: Any) -> Any:
    """Make a round-trip node hold `plain` data, changing only what differs; returns the node.

    What is equal stays as it was, with its comments, quotes and style;
    mappings keep their key order (new keys go at the end); list entries that
    carry an `id` are matched by it, so that an entry kept by a merge keeps its
    comments. A new entry takes the flow or block style of the entries around it.
    """
    if to_plain(node) == plain and type(to_plain(node)) is type(plain):
        return node
    if isinstance(node, dict) and isinstance(plain, dict):
        for key in [k for k in node if k not in plain]:
            del node[key]
        for key, value in plain.items():
            if key in node:
                node[key] = update_round_trip(node[key], value)
            else:
                node[key] = to_round_trip(with_dates(value))
        return node
    if isinstance(node, list) and isinstance(plain, list):
        by_id = {
            str(item["id"]): item for item in node if isinstance(item, dict) and item.get("id")
        }
        flow = bool(node) and all(isinstance(item, dict) and item.fa.flow_style() for item in node)
        items = []
        for value in plain:
            existing = by_id.pop(str(value["id"]), None) if isinstance(value, dict) else None
            if existing is None and isinstance(value, dict) and "id" not in value:
                existing = next(
                    (i for i in node if to_plain(i) == value and all(i is not x for x in items)),
                    None,
                )
            if existing is not None:
                items.append(update_round_trip(existing, value))
                continue
            item = to_round_trip(with_dates(value))
            if flow and isinstance(item, dict):
                item.fa.set_flow_style()
            items.append(item)
        node[:] = items
        if items:
            node.fa.set_block_style()
        return node
    return to_round_trip(with_dates(plain))
