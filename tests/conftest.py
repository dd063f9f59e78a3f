"""Shared fixtures: a fresh git store per test, a CLI runner that keeps stderr apart, and a
store of generated cases to read cold."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accomp.cli import app, load_commands

load_commands()  # the tests drive every command in-process

REPO = Path(__file__).resolve().parent.parent
DEMO_STORE = REPO / "casefiles"
TODAY = "2026-11-20"
# Where a store keeps its cohort cache (store/cache.py): without it, the next read is cold.
CACHE = Path(".accomp") / "cache"
GENERATED_CASES = 12


@dataclass
class Run:
    """What one CLI invocation returned."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        return self.stdout.strip().splitlines()[-1]


Invoke = Callable[..., Run]


@pytest.fixture(autouse=True)
def _stable_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on a fixed day, with no store or user from the developer's shell."""
    monkeypatch.setenv("ACCOMP_TODAY", TODAY)
    monkeypatch.delenv("ACCOMP_STORE", raising=False)
    monkeypatch.delenv("ACCOMP_USER", raising=False)
    # git must not read the developer's identity or hooks; tests set what they need
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def invoke_cli(args: list[str], input: str | None = None) -> Run:
    """Run accomp in-process, the way a user would from a shell."""
    runner = CliRunner()
    result = runner.invoke(app, args, input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli() -> Invoke:
    """Call `cli("list", "--format", "json")`."""

    def call(*args: str, input: str | None = None) -> Run:
        return invoke_cli(list(args), input=input)

    return call


@pytest.fixture
def store(tmp_path: Path, cli: Invoke) -> Path:
    """A new store made by `accomp init`, in its own git repository."""
    root = tmp_path / "store"
    result = cli("init", str(root))
    assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def in_store(store: Path, cli: Invoke) -> Invoke:
    """The CLI with --store pointing at the test's store."""

    def call(*args: str, input: str | None = None) -> Run:
        return cli("--store", str(store), *args, input=input)

    return call


ENROL_ARGS = [
    "--given-name", "Zoé",
    "--family-name", "Quenouille",
    "--birth-date", "2003-05-01",
    "--sex", "F",
    "--programme", "cej",
    "--start", "2026-09-07",
    "--referent", "jdupont",
    "--no-input",
]  # fmt: skip


@pytest.fixture
def enrol(in_store: Invoke) -> Callable[..., str]:
    """Enrol a person through the CLI; returns the new case id.

    Extra options are appended: a repeated option takes its last value.
    """

    def call(*extra: str) -> str:
        result = in_store("enrol", *ENROL_ARGS, *extra)
        assert result.exit_code == 0, result.stderr
        return result.last_line

    return call


TEST_IDENTITY = {
    "GIT_AUTHOR_NAME": "tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
}


def git(store: Path, *args: str) -> str:
    """Run git in the store (as a hand-editing tester) and return its output."""
    return subprocess.run(
        ["git", *args],
        cwd=store,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **TEST_IDENTITY},
    ).stdout


def changed_lines(store: Path, since: str, name: str) -> tuple[list[str], list[str]]:
    """The lines a file gained and lost since a commit (`+…` and `-…` of git diff)."""
    diff = git(store, "diff", since, "--", name).splitlines()
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    return added, removed


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (but .git and .accomp) with its bytes, to prove nothing changed."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".accomp" not in p.parts
    }


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A copy of the demo store (with the schemas beside it, as in the repository)."""
    target = tmp_path / "repo"
    shutil.copytree(DEMO_STORE, target / "casefiles")
    shutil.copytree(REPO / "schemas", target / "schemas")
    return target / "casefiles"


def without_ids(entries: list[dict]) -> list[dict]:
    """Entries with their `id` left out (ids are derived from content: tests compare the rest)."""
    return [{k: v for k, v in entry.items() if k != "id"} for entry in entries]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 12 generated cases (a year of follow-up each), made once for the run."""
    from bench.generate import generate

    root = tmp_path_factory.mktemp("generated") / "store"
    generate(root, GENERATED_CASES, seed=7)
    return root


@pytest.fixture
def cohort(generated: Path, tmp_path: Path) -> Path:
    """A fresh copy of the generated store, without any cache."""
    target = tmp_path / "store"
    shutil.copytree(generated, target)
    shutil.rmtree(target / CACHE, ignore_errors=True)
    return target
