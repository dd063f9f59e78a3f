"""The hostile-input corpus (tests/hostile/corpus.yaml): every input ends with its documented
exit code, a message naming the problem, no traceback, and an unchanged store."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from accomp.store.yamlio import load_fast
from tests.conftest import Invoke, git, invoke_cli

HERE = Path(__file__).resolve().parent / "hostile"
CORPUS = load_fast((HERE / "corpus.yaml").read_text(encoding="utf-8"))
BASE = (HERE / "base-case.yaml").read_text(encoding="utf-8")
CASE_ID = "2026-HST01"
PEOPLE_HEADER = "given_name,family_name,birth_date,sex,programme,start,referent\n"


def _case_bytes(entry: dict[str, Any]) -> bytes:
    if "text" in entry:
        return entry["text"].encode()
    if "replace" in entry:
        text = BASE
        for old, new in entry["replace"].items():
            assert old in text, (entry["name"], old)
            text = text.replace(old, new, 1)
        return text.encode()
    kind = entry["generate"]
    if kind == "billion-laughs":
        lines = [BASE, 'x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        lines += [f"x{n}: &x{n} [{', '.join([f'*x{n - 1}'] * 9)}]" for n in range(1, 10)]
        return "\n".join(lines).encode()
    if kind == "fifty-megabytes":
        return (
            BASE.replace(
                "note:\nenrolment",
                "note: |\n" + ("    " + "x" * 100 + "\n") * 500_000 + "enrolment",
                1,
            )
        ).encode()
    if kind == "deep-nesting":
        return BASE.replace("strengths: []", "strengths: " + "[" * 10_000 + "]" * 10_000).encode()
    if kind == "bom":
        return b"\xef\xbb\xbf" + BASE.encode()
    if kind == "latin-1":
        return BASE.replace("Hostile", "Hélène").encode("latin-1")
    if kind == "nul-byte":
        return BASE.replace("Hostile", "Host\0ile").encode()
    if kind == "long-note":
        return BASE.replace(
            "  note:\nenrolment", "  note: " + "x" * 20_000 + "\nenrolment"
        ).encode()
    raise AssertionError(kind)


def _table(entry: dict[str, Any], folder: Path) -> Path:
    kind = entry.get("generate")
    if kind is None:
        path = folder / "input.csv"
        text = entry["text"].replace("{id}", CASE_ID)
        path.write_bytes(text.encode(entry.get("encoding", "utf-8")))
        return path
    if kind == "hundred-thousand-rows":
        path = folder / "contacts.csv"
        rows = "".join(f"2026-ZZZZZ,2026-09-08,phone,{n % 700}\n" for n in range(100_000))
        path.write_text("case_id,date,channel,minutes\n" + rows)
        return path
    if kind == "xlsx-formulas":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(PEOPLE_HEADER.strip().split(","))
        sheet.append(['=CONCAT("A","B")', "Lou", "2003-01-01", "F", "cej", "2026-09-07", "jdupont"])
        path = folder / "formulas.xlsx"
        book.save(path)
        return path
    if kind == "fake-xlsx":
        path = folder / "fake.xlsx"
        path.write_bytes(b"this is not a zip file")
        return path
    if kind == "random-bytes":
        path = folder / "noise.csv"
        path.write_bytes(random.Random(7).randbytes(20_000))
        return path
    if kind == "thousand-columns":
        path = folder / "wide.csv"
        path.write_text(",".join(f"c{n}" for n in range(1000)) + "\n" + ",".join("x" * 1000) + "\n")
        return path
    raise AssertionError(kind)


@pytest.fixture
def hostile_store(store: Path, enrol) -> Path:
    """The test store with the valid base case 2026-HST01, committed."""
    (store / f"{CASE_ID}.yaml").write_text(BASE)
    git(store, "add", f"{CASE_ID}.yaml")
    git(store, "commit", "-qm", "base case", "--no-verify")
    return store


def _no_change(store: Path) -> None:
    assert git(store, "status", "--porcelain", "--untracked-files=all") == ""


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("accomp: checked")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_the_corpus_has_at_least_60_inputs() -> None:
    assert sum(len(entries) for entries in CORPUS.values()) >= 60


@pytest.mark.parametrize("entry", CORPUS["case"], ids=lambda e: e["name"])
def test_hostile_case_files(hostile_store: Path, entry: dict[str, Any]) -> None:
    path = hostile_store / f"{CASE_ID}.yaml"
    path.write_bytes(_case_bytes(entry))
    git(hostile_store, "add", path.name)
    git(hostile_store, "commit", "-qm", f"hostile: {entry['name']}", "--no-verify", "--allow-empty")
    validated = invoke_cli(["--store", str(hostile_store), "validate", "--all"])
    assert validated.exit_code == entry["exit"], validated.stdout[:500]
    assert "Traceback" not in validated.stdout + validated.stderr
    if entry["exit"]:
        problems = [line for line in validated.stdout.splitlines() if f"{CASE_ID}.yaml:" in line]
        assert any(entry["message"] in line for line in problems), problems
        shown = invoke_cli(["--store", str(hostile_store), "show", CASE_ID])
        assert shown.exit_code == 2
        line = _one_line(shown.stderr)
        assert f"{CASE_ID}.yaml:" in line and len(line) < 400
        edited = invoke_cli(["--store", str(hostile_store), "contact", "log", CASE_ID, "--date", "2026-09-08",
                             "--channel", "phone", "--minutes", "5"])  # fmt: skip
        assert edited.exit_code == 2 and "fix it first" in _one_line(edited.stderr)
    _no_change(hostile_store)


@pytest.mark.parametrize("entry", CORPUS["table"], ids=lambda e: e["name"])
def test_hostile_tables(hostile_store: Path, tmp_path: Path, entry: dict[str, Any]) -> None:
    path = _table(entry, tmp_path)
    result = invoke_cli(["--store", str(hostile_store), "import", entry.get("kind", "people"), str(path),
                         "--dry-run", "--format", "json"])  # fmt: skip
    assert result.exit_code == entry["exit"], (result.stderr, result.stdout[:500])
    assert "Traceback" not in result.stderr
    if entry["exit"] == 2:
        assert entry["message"] in _one_line(result.stderr)
    else:
        report = json.loads(result.stdout)
        messages = [row["message"] or "" for row in report["rows"] if row["status"] == "error"]
        if entry["exit"] == 1:
            assert any(entry["message"] in m for m in messages), messages[:3]
        else:
            assert messages == [] and report["counts"]["error"] == 0
    _no_change(hostile_store)


@pytest.mark.parametrize("entry", CORPUS["args"], ids=lambda e: e["name"])
def test_hostile_arguments(hostile_store: Path, in_store: Invoke, entry: dict[str, Any]) -> None:
    args = [a.replace("{id}", CASE_ID) for a in entry["args"]]
    result = in_store(*args) if args[0] != "--store" else invoke_cli(args)
    assert result.exit_code == entry["exit"]
    assert "Traceback" not in result.stderr
    assert entry["message"] in result.stderr, result.stderr
    _no_change(hostile_store)
