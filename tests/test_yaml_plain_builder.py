"""The read path's plain builder gives exactly the data (or the refusal) of PyYAML's constructor.

`load_fast` builds a document out of libyaml's events in one tight loop
(yamlfast.load_plain) and leaves anything unusual to PyYAML's constructor
(yamlio.load_with_pyyaml). Issue 13 asks that a faster read path change no
byte: here, on every file of the demo store, the old-format fixtures, the
hostile corpus and a generated bench store, and on generated YAML texts full of
edge cases, both give the same types, values, key order and refusals.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accomp.store import yamlio
from accomp.store.yamlfast import NotPlain, load_plain
from tests.conftest import DEMO_STORE
from tests.test_hostile import CORPUS, _case_bytes

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def typed(value: Any) -> Any:
    """The value with every type spelt out (True is not 1, 1.0 is not 1), key order kept."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def outcome(load: Any, text: str) -> tuple[Any, ...]:
    try:
        return ("data", typed(load(text)))
    except yamlio.YamlError as exc:
        return ("refused", exc.message, exc.line, exc.column)


def reference(text: str) -> Any:
    return yamlio.load_with_pyyaml(text.removeprefix("\ufeff"))


def assert_same_as_reference(text: str) -> None:
    assert outcome(yamlio.load_fast, text) == outcome(reference, text)


def _store_texts() -> list[tuple[str, str]]:
    paths = sorted(DEMO_STORE.glob("*.yaml")) + sorted((FIXTURES / "store-v1").glob("*.yaml"))
    return [(path.name, path.read_text(encoding="utf-8")) for path in paths]


@pytest.mark.parametrize(("name", "text"), _store_texts(), ids=lambda v: v[:20])
def test_every_demo_and_fixture_file_is_built_plainly_and_exactly(name: str, text: str) -> None:
    built = load_plain(text, yamlio.MAX_DEPTH)  # accomp's own files never need the fallback
    assert typed(built) == typed(reference(text))


def test_every_generated_bench_case_is_built_plainly_and_exactly(tmp_path: Path) -> None:
    from bench.generate import generate

    generate(tmp_path / "bench", 60, 7)
    paths = sorted((tmp_path / "bench").glob("*.yaml"))
    assert len(paths) == 61  # the cases and accomp.yaml
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert typed(load_plain(text, yamlio.MAX_DEPTH)) == typed(reference(text)), path.name


def test_a_date_shared_by_anchor_and_alias_is_built_plainly() -> None:
    # Files written before the writer gave each date its own object (and the bench stores
    # generated then) tie two fields holding one date with `&id001` / `*id001`: the builder
    # must read scalar aliases plainly, not only refuse collection ones.
    text = (DEMO_STORE / "2026-DEM01.yaml").read_text(encoding="utf-8")
    text = text.replace("start: 2026-09-07", "start: &id001 2026-09-07", 1)
    text = text.replace("contract_signed: 2026-09-07", "contract_signed: *id001", 1)
    built = load_plain(text, yamlio.MAX_DEPTH)
    assert built["enrolment"]["contract_signed"] == built["enrolment"]["start"] == "2026-09-07"
    assert typed(built) == typed(reference(text))


@pytest.mark.parametrize("entry", CORPUS["case"], ids=lambda e: e["name"])
def test_every_hostile_case_file_is_read_or_refused_as_before(entry: dict[str, Any]) -> None:
    try:
        text = yamlio.decode(_case_bytes(entry))
    except yamlio.YamlError:
        pytest.skip("not UTF-8: refused before any YAML is read")
    assert_same_as_reference(text)


# Generated texts ----------------------------------------------------------------

# Scalars on which YAML 1.1, YAML 1.2, PyYAML and ruamel.yaml disagree, and what
# people type: each written plain, quoted or with a tag. One scalar in twenty is
# drawn from what accomp refuses, so that most documents are read and some are not.
TRICKY = [
    "no", "yes", "on", "off", "y", "0012", "012", "08", ".5", ".5e3", ".5e+3", "+.319e2", "1e3",
    "1_000", "_1", "1__0", "0x1F", "0o17", "0b101", "~", "null", "Null", "NULL", "true", "True",
    "TRUE", "tRUE", "false", "2026-01-07", "2026-02-30", "2026-01-07T10:00:00Z", "12:30", "-1",
    "+1", "-0", "1.", "0.", "1.0e+3", "3.14", "é", "Hélène Dupont-Müller", "日本", "a b", "x#y",
    "-x", "x:y", "", "12", "0", "1.50",
]  # fmt: skip
REFUSED = ["1e400", "-1e400", ".inf", "-.inf", ".NaN", ".nan", "+_", "0x_", "._", "%", "@x",
           "`x", "?", "-", "--", "...", "a: b", "[x]", "{x}", "*x", "&x", "!x", "|", ">", "#"]  # fmt: skip
TAGS = ["!!str ", "!!int ", "!!float ", "!!bool ", "!!null "]
REFUSED_TAGS = ["!!binary ", "!!timestamp ", "!!set ", "!custom ", "! ", "!!merge ", "!!value "]
# "1" and "true", "null" and "~" are equal keys once read: a duplicate.
KEYS = ["a", "b", "c", "d", "e", "f", "g", "1", "true", "<<", "=", "null", "~", "é", "'h'"]


def _scalar(draw: st.DrawFn) -> str:
    rare = st.integers(0, 19).map(lambda n: n == 0)
    token = draw(st.sampled_from(REFUSED if draw(rare) else TRICKY))
    style = draw(st.sampled_from(["plain", "plain", "single", "double"]))
    if style == "single":
        token = "'" + token.replace("'", "''") + "'"
    elif style == "double":
        token = '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'
    tag = ""
    if draw(rare):
        tag = draw(st.sampled_from(REFUSED_TAGS))
    elif draw(st.integers(0, 9)) == 0:
        tag = draw(st.sampled_from(TAGS))
    return tag + token


@st.composite
def scalars(draw: st.DrawFn) -> tuple[str, str]:
    return ("scalar", _scalar(draw))


@st.composite
def collections(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(["map", "seq", "flow map", "flow seq"]))
    keys = st.sampled_from(KEYS)
    items = draw(st.lists(st.tuples(keys, children), max_size=4, unique_by=lambda kv: kv[0]))
    if draw(st.integers(0, 19)) == 0:  # a duplicate key
        items += items[:1]
    anchor = ""
    if draw(st.integers(0, 9)) == 0:  # an anchor, a tag of its own or of the wrong kind
        anchor = draw(st.sampled_from(["&m ", "!!map ", "!!seq ", "!!omap ", "!t "]))
    return (kind, items, anchor)


NODES = st.recursive(scalars(), lambda children: collections(children), max_leaves=14)


def render(node: tuple[Any, ...], indent: int) -> tuple[str, list[str]]:
    """(the text after `key:` on the same line, the lines under it)."""
    if node[0] == "scalar":
        return " " + node[1], []
    kind, items, anchor = node
    if kind.startswith("flow"):
        return " " + anchor + flow(node), []
    pad = "  " * indent
    lines = []
    for key, child in items or [("a", ("scalar", "1"))]:
        inline, under = render(child, indent + 1)
        lines.append(f"{pad}{key}:{inline}" if kind == "map" else f"{pad}-{inline}")
        lines += under
    return (" " + anchor.strip()) if anchor else "", lines


def flow(node: tuple[Any, ...]) -> str:
    if node[0] == "scalar":
        return node[1]
    kind, items, _ = node
    if kind in ("map", "flow map"):
        return "{" + ", ".join(f"{key}: {flow(child)}" for key, child in items) + "}"
    return "[" + ", ".join(flow(child) for _, child in items) + "]"


EXTRAS = [
    "",
    "",
    "",
    "",
    "z: *m\n",  # an alias of the anchored collection (or of nothing)
    "z: &s 2026-01-07\ny: *s\n",  # a scalar alias, as ruamel writes shared dates
    "z: |\n\n",  # an empty block scalar
    "z: |-\n  line\n   more\n",
    "z: >+\n  folded\n\n",
    "z:\ttab\n",
    "---\nz: 1\n",
    "...\n",
    "---\nz: 2\n---\nz: 3\n",
    "# a comment\n",
    "z: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    "z: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
]


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(KEYS), NODES), min_size=1, max_size=5, unique_by=lambda kv: kv[0]
    ),
    st.data(),
)
def test_generated_texts_give_the_same_data_or_the_same_refusal(
    top: list[tuple[str, Any]], data: st.DataObject
) -> None:
    _, lines = render(("map", top, ""), 0)
    text = "\n".join(lines) + "\n" + data.draw(st.sampled_from(EXTRAS))
    if data.draw(st.booleans()):
        text = "\ufeff" + text
    assert_same_as_reference(text)
    try:
        built = load_plain(text.removeprefix("\ufeff"), yamlio.MAX_DEPTH)
    except NotPlain:
        return
    # Whatever the builder builds is plain data: no tags' objects, no infinities.
    assert typed(built) == typed(reference(text))
    assert all(not isinstance(v, float) or math.isfinite(v) for v in _leaves(built))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in [*value, *value.values()] for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # alias of a list
        "a: &x {k: 1}\nb: *x\n",  # alias of a map
        "a: 1\na: 2\n",  # duplicate
        "1: x\ntrue: y\n",  # equal keys in Python
        "a: !!binary aGVsbG8=\n",
        "a: !custom x\n",
        "a: .nan\n",
        "? [a]\n: 1\n",  # a key that is a list
        "a: " + "[" * 33 + "]" * 33 + "\n",  # deeper than accomp allows
    ],
)
def test_the_builder_leaves_what_is_refused_or_unusual_to_pyyaml(text: str) -> None:
    with pytest.raises(NotPlain):
        load_plain(text, yamlio.MAX_DEPTH)
    assert_same_as_reference(text)


def test_pyyaml_makes_its_own_events_again_after_each_plain_read() -> None:
    """While it reads, the builder has libyaml's binding make its own small events; after
    it (read or left to PyYAML), PyYAML's event classes are back for everyone else."""
    import yaml
    from yaml import _yaml

    names = ("ScalarEvent", "MappingStartEvent", "SequenceStartEvent", "MappingEndEvent")
    for text in ("a: [1, {b: c}]\n", "a: 1\na: 2\n", "a: [\n", "a: !!binary aGVsbG8=\n"):
        with contextlib.suppress(NotPlain):
            load_plain(text, yamlio.MAX_DEPTH)
        assert all(getattr(_yaml, name) is getattr(yaml.events, name) for name in names)
        events = list(yaml.parse("x: [1]\n", Loader=yaml.CSafeLoader))
        assert [type(e).__name__ for e in events][2:5] == [
            "MappingStartEvent",
            "ScalarEvent",
            "SequenceStartEvent",
        ]


def test_a_binding_that_makes_other_events_sends_every_file_to_pyyaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should a PyYAML release make its events otherwise, the probe finds out once and the
    read path takes PyYAML's constructor for every file: slower, the same data."""
    from accomp.store import yamlfast

    monkeypatch.setattr(yamlfast, "_EVENTS_WORK", None)
    monkeypatch.setattr(yamlfast, "_PROBE_DATA", {"another": "shape"})
    text = (DEMO_STORE / "2026-DEM01.yaml").read_text(encoding="utf-8")
    with pytest.raises(NotPlain):
        load_plain(text, yamlio.MAX_DEPTH)
    assert yamlfast._EVENTS_WORK is False
    assert_same_as_reference(text)


def test_the_depth_limit_is_the_same_on_both_sides_of_it() -> None:
    for depth in range(28, 36):
        assert_same_as_reference("a: " + "[" * depth + "x" + "]" * depth + "\n")
        assert_same_as_reference("a: " + "[" * depth + "]" * depth + "\n")


# Every command's output, with and without the builder --------------------------------

COMMANDS = [
    ["summary", "--format", "json"],
    ["summary", "--by", "programme", "--format", "csv"],
    ["summary", "--indicators", "fse", "--format", "json"],
    ["list", "--format", "csv"],
    ["hours", "check", "--week", "2026-W46", "--format", "json"],
    ["contact", "due", "--format", "json"],
    ["export", "cases", "--format", "csv"],
    ["export", "contacts", "--format", "csv"],
    ["retention", "--format", "json"],
    ["validate", "--all", "--format", "json"],
]


def test_the_builder_changes_no_byte_of_any_commands_output_on_a_bench_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from bench.generate import generate
    from tests.conftest import invoke_cli

    store = tmp_path / "bench"
    generate(store, 80, 11)
    monkeypatch.setenv("ACCOMP_TODAY", "2026-11-20")

    def outputs() -> list[tuple[int, str, str]]:
        shutil.rmtree(store / ".accomp" / "cache", ignore_errors=True)  # every file parsed
        runs = [invoke_cli(["--store", str(store), *args]) for args in COMMANDS]
        return [(run.exit_code, run.stdout, run.stderr) for run in runs]

    with_builder = outputs()

    def refuse(text: str, max_depth: int) -> None:
        raise NotPlain

    monkeypatch.setattr("accomp.store.yamlfast.load_plain", refuse)
    without_builder = outputs()
    assert [code for code, _, _ in with_builder] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert with_builder == without_builder
