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
from collections.abc import Iterable, Sequence
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


class Positions:
    """Where the nodes of a YAML text start, from one pass over libyaml's events.

    A problem names a place in the data (`contacts.3.minutes`); the user needs a line
    and a column. Composing the text into PyYAML's nodes for each problem took 20 ms
    for a long file, most of a cold read of a file with a few warnings. One pass over
    the events serves all the problems of a file, and it follows only the branches
    that lead to the places asked for (`wanted`; None: every node).

    A node's place is its path: map steps are keys as written (a key that is not a
    scalar matches nothing), list steps are indexes; of duplicate keys, the first.
    """

    def __init__(
        self, text: str, wanted: Iterable[JsonPath] | None = None, loads: bool = False
    ) -> None:
        import yaml

        self.kinds: dict[tuple[Any, ...], str] = {}
        self.starts: dict[tuple[Any, ...], tuple[int, int]] = {}
        self.empty: set[tuple[Any, ...]] = set()  # a null with no text: point at its key
        self.keys: dict[tuple[Any, ...], tuple[int, int]] = {}  # a map value's key
        # The places asked for and their ancestors, steps as text (a map's keys are text;
        # a list's indexes are compared as text here, as numbers by locate).
        self._followed: set[tuple[str, ...]] | None = None
        # The places asked for not met yet. When the text is known to load (`loads`: one
        # document, no error further on), once none is left the rest of the text cannot
        # change an answer (the first of duplicate keys counts): the walk stops there.
        self._missing: set[tuple[str, ...]] | None = None
        if wanted is not None:
            wanted = list(wanted)
            self._followed = {
                tuple(str(step) for step in path[:depth])
                for path in wanted
                for depth in range(len(path) + 1)
            }
            if loads:
                self._missing = {tuple(str(step) for step in path) for path in wanted}
        try:
            self._walk(text.lstrip("\ufeff"))
        except (yaml.YAMLError, ValueError):  # a text that does not parse has no positions
            self.kinds.clear()
            self.starts.clear()

    def _walk(self, text: str) -> None:
        import yaml

        from accomp.store.yamlfast import BaseLoader

        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        followed, missing = self._followed, self._missing
        kinds, starts, keys = self.kinds, self.starts, self.keys
        loader = BaseLoader(text)
        anchors: dict[str, tuple[str, tuple[int, int], bool]] = {}
        # Open collections: [kind, path (None: not followed), the next index of a list or
        # the key waiting for its value (None: a key is next), that key's position].
        stack: list[list[Any]] = []
        documents = 0
        not_a_key = object()
        try:
            while True:
                event = loader.get_event()
                kind = type(event)
                if kind is map_end or kind is seq_end:
                    stack.pop()
                    continue
                is_start = kind is map_start or kind is seq_start
                if stack and stack[-1][1] is None:  # inside a branch not followed
                    if is_start:
                        stack.append(["", None, None, None])
                    continue
                if not (is_start or kind is scalar_event or kind is alias_event):
                    if kind is yaml.DocumentStartEvent:
                        documents += 1
                        if documents > 1:
                            raise ValueError("several documents")
                    elif kind is yaml.StreamEndEvent:
                        return
                    continue
                node_kind = "map" if kind is map_start else "seq" if kind is seq_start else "scalar"
                mark = event.start_mark
                position = (mark.line + 1, mark.column + 1)
                empty = kind is scalar_event and mark.index == event.end_mark.index
                if kind is alias_event:
                    node_kind, position, empty = anchors.get(
                        event.anchor, (node_kind, position, empty)
                    )
                elif event.anchor is not None:
                    anchors[event.anchor] = (node_kind, position, empty)
                path: tuple[Any, ...] | None = ()
                key_position = None
                if stack:
                    frame = stack[-1]
                    if frame[0] == "seq":
                        path = (*frame[1], frame[2])
                        frame[2] += 1
                    elif frame[2] is None:  # a map's key
                        frame[2] = event.value if kind is scalar_event else not_a_key
                        frame[3] = position
                        if is_start:  # a key that is not a scalar: nothing in it is followed
                            stack.append([node_kind, None, None, None])
                        continue
                    else:  # a map's value
                        key, key_position = frame[2], frame[3]
                        frame[2] = None
                        path = None if key is not_a_key else (*frame[1], key)
                as_text = None
                if path is not None and followed is not None:
                    as_text = tuple(str(step) for step in path)
                    if as_text not in followed:
                        path = None
                if path is not None and path not in kinds:
                    kinds[path] = node_kind
                    starts[path] = position
                    if empty:
                        self.empty.add(path)
                    if key_position is not None:
                        keys[path] = key_position
                    if missing is not None and as_text in missing:
                        missing.discard(as_text)
                        if not missing:
                            return
                if is_start:
                    stack.append([node_kind, path, 0 if node_kind == "seq" else None, None])
        finally:
            loader.dispose()

    def _child(self, node: tuple[Any, ...], step: str | int) -> tuple[Any, ...] | None:
        kind = self.kinds.get(node)
        if kind == "map":
            child = (*node, str(step))
        elif kind == "seq" and isinstance(step, int) and step >= 0:
            child = (*node, step)
        else:
            return None
        return child if child in self.kinds else None

    def locate(self, path: JsonPath) -> tuple[int, int]:
        """The 1-based (line, column) of the value at `path`; when the path goes deeper
        than the document (a missing key), the deepest node that exists; (1, 1) when
        the text does not parse."""
        if () not in self.starts:
            return (1, 1)
        node: tuple[Any, ...] = ()
        best = self.starts[node]
        for step in path:
            child = self._child(node, step)
            if child is None:
                break
            in_map = self.kinds[node] == "map"
            best = self.keys[child] if in_map and child in self.empty else self.starts[child]
            node = child
        return best

    def locate_key(self, path: JsonPath, key: str) -> tuple[int, int]:
        """The position of the key `key` in the map at `path` (an unknown field), or of
        what `locate` finds when there is no such key."""
        node: tuple[Any, ...] | None = () if () in self.kinds else None
        for step in path:
            node = None if node is None else self._child(node, step)
        if node is not None and self.kinds[node] == "map" and (*node, key) in self.keys:
            return self.keys[(*node, key)]
        return self.locate(path)


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    """The 1-based (line, column) of the value at `path` in `text` (see Positions)."""
    return Positions(text, [path]).locate(path)


def locate_key(text: str, path: JsonPath, key: str) -> tuple[int, int]:
    """The position of the key `key` inside the mapping at `path` (for unknown fields)."""
    return Positions(text, [[*path, key]]).locate_key(path, key)


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
