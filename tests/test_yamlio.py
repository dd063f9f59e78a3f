"""The fast read path and the round-trip edit path read the same documents."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accomp.store import yamlio
from tests.conftest import DEMO_STORE


def both_paths(text: str) -> tuple[object, object]:
    return yamlio.load_fast(text), yamlio.to_plain(yamlio.load_round_trip(text))


@pytest.mark.parametrize("path", sorted(DEMO_STORE.glob("*.yaml")), ids=lambda p: p.name)
def test_both_paths_agree_on_the_demo_store(path) -> None:
    fast, round_trip = both_paths(path.read_text())
    assert fast == round_trip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: no", "no"),  # YAML 1.1 would say False
        ("a: yes", "yes"),
        ("a: on", "on"),
        ("a: 010", 10),  # YAML 1.1 would say 8
        ("a: 0o10", 8),
        ("a: 0x1F", 31),
        ("a: 12:30", "12:30"),  # YAML 1.1 would say 750
        ("a: 1e3", 1000.0),
        ("a: 1_000", 1000),
        ("a: ~", None),
        ("a:", None),
        ("a: True", True),
        ("a: 2026-01-07", "2026-01-07"),  # dates stay ISO strings
        ("a: '2026-01-07'", "2026-01-07"),
        ("a: 2026-02-30", "2026-02-30"),  # the schema, not the loader, rejects it
        ("a: 1.50", 1.5),
    ],
)
def test_yaml_1_2_scalars_as_ruamel_reads_them(text: str, expected: object) -> None:
    fast = yamlio.load_fast(text)
    assert fast == {"a": expected}
    if text != "a: 2026-02-30":  # ruamel builds a date object, and that date does not exist
        assert yamlio.to_plain(yamlio.load_round_trip(text)) == fast


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a: &x [1, 2]\nb: *x\n", "aliases (&name, *name) are not allowed", 1),
        ("a: [1, 2\n", "invalid YAML", 2),
        ("a: !!timestamp 2026-01-01\n", "without a !!timestamp tag", 1),
        ("a:\n\tb: 1\n", "invalid YAML", 2),
        ("a: .nan\n", ".nan is not a number accomp accepts", 1),
        ("a: -.inf\n", "-.inf is not a number accomp accepts", 1),
        # Found by comparing parsers (notes of issue 13): an overflow is infinite too, and
        # numbers with no digit, and tags of bytes, sets and pairs, are refused with a line.
        ("a: 1\nb: 1e400\n", "1e400 is not a number accomp accepts", 2),
        ("a: +_\n", "+_ is not a number accomp accepts", 1),
        ("a: 0x_\n", "0x_ is not a number accomp accepts", 1),
        ("a: ._\n", "._ is not a number accomp accepts", 1),
        ("a: !!binary aGVsbG8=\n", "the tag tag:yaml.org,2002:binary is not allowed", 1),
        ("a: !!set {x, y}\n", "the tag tag:yaml.org,2002:set is not allowed", 1),
        ("a: !!omap [{x: 1}]\n", "the tag tag:yaml.org,2002:omap is not allowed", 1),
    ],
)
def test_what_case_files_forbid_is_refused_with_its_line(
    text: str, message: str, line: int
) -> None:
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.load_fast(text)
    assert message in caught.value.message
    assert caught.value.line == line


def test_a_billion_laughs_document_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    with pytest.raises(yamlio.YamlError, match="aliases"):
        yamlio.load_fast("\n".join(lines))


def test_non_utf8_bytes_are_an_error_with_their_line() -> None:
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.decode(b"a: 1\nb: caf\xe9\n")
    assert caught.value.line == 2


def test_a_bom_is_ignored() -> None:
    assert yamlio.load_fast(yamlio.decode(b"\xef\xbb\xbfa: 1\n")) == {"a": 1}


def test_locate_finds_values_keys_and_the_deepest_existing_node() -> None:
    text = "a:\n  b:\n    - x: 1\n    - x: 2\n  c:\n  d: ~\n"
    assert yamlio.locate(text, ["a", "b", 1, "x"]) == (4, 10)
    assert yamlio.locate(text, ["a", "b", 5]) == (3, 5)  # index out of range: the list
    assert yamlio.locate(text, ["a", "c"]) == (5, 3)  # an empty value: its key
    assert yamlio.locate(text, ["a", "d"]) == (6, 6)
    assert yamlio.locate_key(text, ["a"], "c") == (5, 3)


# The positions of one pass over the events are those PyYAML's composed nodes give.


def composed_locate(text: str, path: list) -> tuple[int, int]:
    """The oracle: locate as it was written over yaml.compose (one compose per call)."""
    import yaml

    try:
        node = yaml.compose(text.lstrip("\ufeff"), Loader=yaml.CSafeLoader)
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
                    empty = value_node.start_mark.index == value_node.end_mark.index
                    best = key_node.start_mark if empty else value_node.start_mark
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


def composed_locate_key(text: str, path: list, key: str) -> tuple[int, int]:
    import yaml

    try:
        node = yaml.compose(text.lstrip("\ufeff"), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return (1, 1)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == str(step)), None)
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            node = node.value[step]
        else:
            node = None
        if node is None:
            return composed_locate(text, path)
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if getattr(key_node, "value", None) == key:
                return (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    return composed_locate(text, path)


keys = st.sampled_from(["a", "b", "c", "1", "id", "contacts", "minutes", ""])
leaves = (
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", "x", "2026-01-07", "a b"])
)
documents = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)  # fmt: skip
steps = st.lists(st.sampled_from(["a", "b", "c", "1", "id", "x", 0, 1, 2, 5, -1]), max_size=5)


def paths_in(data: object, prefix: tuple = ()) -> list[list]:
    found = [list(prefix)]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_in(value, (*prefix, index))
    return found


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([False, True, None]), st.data())
def test_positions_are_those_of_the_composed_nodes(data, flow, draw) -> None:
    import yaml

    text = yaml.safe_dump({"root": data}, default_flow_style=flow, allow_unicode=True)
    if draw.draw(st.booleans()):  # a null written as nothing, the way hand edits leave it
        text = text.replace(": null\n", ":\n")
    whole = yamlio.Positions(text)
    candidates = paths_in({"root": data}) + [
        ["root", *extra] for extra in draw.draw(st.lists(steps, max_size=3))
    ]
    for path in candidates:
        key = draw.draw(keys)
        # only the branches asked for, the walk stopped once they are found
        followed = yamlio.Positions(text, [path, [*path, key]], loads=True)
        for positions in (whole, followed):
            assert positions.locate(path) == composed_locate(text, path), (text, path)
            expected = composed_locate_key(text, path, key)
            assert positions.locate_key(path, key) == expected, (text, path, key)


@pytest.mark.parametrize(
    "text",
    [
        "a: &d 2026-01-07\nb: *d\nc:\n  - *d\n",  # scalar aliases, as accomp's writer emits them
        "\ufeffa:\n  b: 1\n",  # a BOM
        "a: 1\na: 2\n",  # duplicate keys: the first
        "? [x, y]\n: 1\nb: 2\n",  # a key that is not a scalar
        "a: [1\n",  # does not parse
        "a: 1\n---\nb: 2\n",  # two documents
        "",
        "just a scalar\n",
    ],
)
def test_positions_of_odd_texts_are_those_of_the_composed_nodes(text: str) -> None:
    import yaml

    try:
        yaml.compose(text)
        loads = True
    except yaml.YAMLError:
        loads = False
    whole = yamlio.Positions(text)
    for path in (["a"], ["b"], ["c", 0], ["a", "b"], [], ["x"]):
        # Asked for these places only, of a text that loads, the walk stops once they are
        # found: the same answers.
        asked = yamlio.Positions(text, [path, [*path, "b"]], loads=loads)
        for positions in (whole, asked):
            assert positions.locate(path) == composed_locate(text, path), path
            assert positions.locate_key(path, "b") == composed_locate_key(text, path, "b"), path


# Round trip of generated documents -------------------------------------------

SAFE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=30,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    SAFE_TEXT,
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)),
)
KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, DOCUMENTS, min_size=1, max_size=6))
def test_what_the_edit_path_writes_both_paths_read_back_the_same(document: dict) -> None:
    text = yamlio.dump_round_trip(yamlio.to_round_trip(document))
    fast, round_trip = both_paths(text)
    assert fast == round_trip == yamlio.to_plain(document)


# The two validators agree -----------------------------------------------------

MUTATIONS = {
    "impossible date": lambda d: d["enrolment"].__setitem__("start", "2026-02-30"),
    "compact date": lambda d: d["enrolment"].__setitem__("start", "20260907"),
    "unknown field": lambda d: d["identity"].__setitem__("shoe_size", 42),
    "wrong type": lambda d: d["enrolment"].__setitem__("weekly_target_hours", "15"),
    "bool for a number": lambda d: d["enrolment"].__setitem__("weekly_target_hours", True),
    "bad nullable date": lambda d: d["enrolment"].__setitem__("planned_end", "2026-13-01"),
    "schema version": lambda d: d.__setitem__("schema_version", 3),
    "missing section": lambda d: d.pop("contacts"),
    "duplicate benefit": lambda d: d["situation"].__setitem__("benefits", ["rsa", "rsa"]),
    "enum": lambda d: d["identity"].__setitem__("sex", "female"),
    "bad case id": lambda d: d.__setitem__("case_id", "../etc"),
    "negative hours": lambda d: d["activities"].append(
        {"date": "2026-11-09", "hours": -1, "kind": "x", "status": "done"}
    ),
    "email without at": lambda d: d["identity"].__setitem__("email", "nobody"),
    "qualification 9": lambda d: d["situation"].__setitem__("qualification_level", 9),
    "extra key in contact": lambda d: d["contacts"].append(
        {"date": "2026-11-09", "channel": "phone", "minutes": 5, "x": 1}
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_fast_gate_and_jsonschema_agree_on_invalid_documents(mutation: str) -> None:
    import copy

    from jsonschema import Draft202012Validator, FormatChecker

    from accomp.resources import load_schema
    from accomp.store.schema import is_valid

    document = yamlio.load_fast((DEMO_STORE / "2026-DEM01.yaml").read_text())
    full = Draft202012Validator(load_schema("casefile"), format_checker=FormatChecker())
    assert is_valid(document, "casefile") and full.is_valid(document)
    broken = copy.deepcopy(document)
    MUTATIONS[mutation](broken)
    assert not full.is_valid(broken)
    assert not is_valid(broken, "casefile")


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_shipped_gate_and_a_fresh_compilation_agree(mutation: str) -> None:

    from fastjsonschema import JsonSchemaException

    from accomp.store.schema import _compile, _gate

    shipped, fresh = _gate("casefile"), _compile("casefile")
    document = yamlio.load_fast((DEMO_STORE / "2026-DEM01.yaml").read_text())
    shipped(document)
    fresh(document)
    MUTATIONS[mutation](document)
    for gate in (shipped, fresh):
        with pytest.raises(JsonSchemaException):
            gate(document)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.dates().map(dt.date.isoformat),
            st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),  # 2026-02-30, 2026-13-01
            st.sampled_from(["", "2026-1-01", "20260101", "2026-01-01 ", "yesterday"]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.sampled_from(["phone", "visit", "Phone", "", "ph one"]), min_size=1, max_size=3),
)
def test_the_shipped_gate_remembers_what_passed_and_nothing_else(
    dates: list[str], channels: list[str]
) -> None:
    # The shipped gate remembers the strings its string definitions passed (a date, a key);
    # the same strings, in any order and again, get the verdict of a fresh compilation.
    from fastjsonschema import JsonSchemaException

    from accomp.store.schema import _compile, _gate

    def verdict(gate: Any, document: dict[str, Any]) -> bool:
        try:
            gate(document)
        except JsonSchemaException:
            return False
        return True

    shipped, fresh = _gate("casefile"), _compile("casefile")
    base = yamlio.load_fast((DEMO_STORE / "2026-DEM01.yaml").read_text())
    for day in [*dates, *reversed(dates)]:
        for channel in channels:
            document = copy.deepcopy(base)
            document["contacts"][0]["date"] = day
            document["enrolment"]["referent"] = channel
            assert verdict(shipped, document) == verdict(fresh, document), (day, channel)


@pytest.mark.parametrize("name", ["casefile", "store", "import-mapping", "session"])
def test_the_shipped_gates_were_generated_from_the_schemas_as_they_are(name: str) -> None:
    import functools
    import importlib

    from accomp.store.schema import GATES, _gate, schema_digest

    assert name in GATES
    module = importlib.import_module(f"accomp.store.gates.{name.replace('-', '_')}")
    assert schema_digest(name) == module.SCHEMA_DIGEST, "a schema changed: run `make gates`"
    gate = _gate(name)
    assert isinstance(gate, functools.partial) and gate.func is module.validate


def test_validating_leaves_the_loaded_schemas_untouched() -> None:
    import copy
    import json

    from accomp.resources import load_schema, schema_dir
    from accomp.store.schema import is_valid, schema_problems

    before = copy.deepcopy(load_schema("casefile"))
    is_valid({}, "casefile")
    schema_problems({}, "casefile")
    assert (
        load_schema("casefile")
        == before
        == json.loads((schema_dir() / "casefile.schema.json").read_text())
    )


def test_one_date_object_in_several_fields_is_written_without_an_anchor() -> None:
    # Commands put the store's day in several fields at once (settled_on and a void's `on`,
    # each attendee's registered_on); the writer must not tie them with `&id001` / `*id001`.
    day = dt.date(2026, 11, 20)
    document = yamlio.to_round_trip({"a": {"on": day}, "b": [{"on": day}, {"on": day}]})
    yamlio.set_key(document, "c", day)
    text = yamlio.dump_round_trip(document)
    assert "&" not in text and "*" not in text
    assert text.count("2026-11-20") == 4
