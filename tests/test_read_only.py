"""A store on a read-only file system (issue 15, item 6): a backup disk, a NAS share mounted
read-only, a USB key with its lock on. Root ignores file modes, so the store is really
mounted read-only (a bind mount; skipped where mounting is not allowed). Every command that
reads works and says the same as on the writable store; every command that writes says so
in one line, exit 2, and nothing changes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO_STORE, Invoke, git, invoke_cli, snapshot
from tests.test_bad_input import assert_one_line_error

READS = [
    ["list", "--format", "json"],
    ["show", "2026-DEM01", "--format", "json"],
    ["summary", "--format", "json"],
    ["hours", "check", "--week", "2026-W46", "--format", "json"],
    ["contact", "due", "--format", "json"],
    ["export", "cases", "--format", "csv"],
    ["session", "list", "--format", "json"],
    ["rdv", "list", "--from", "2026-11-16", "--to", "2026-11-29", "--format", "json"],
    ["activity", "list", "2026-DEM01", "--format", "json"],
]
WRITES = [
    ["contact", "log", "2026-DEM01", "--date", "2026-11-19", "--channel", "phone",
     "--minutes", "5"],
    ["activity", "void", "2026-DEM01", "1", "--reason", "entered twice"],
    ["session", "add", "--title", "Club", "--date", "2026-11-26", "--from", "14:00", "--to",
     "16:00", "--places", "8"],
]  # fmt: skip


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable copy of the demo store in git, the same folder mounted read-only)."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    writable, read_only = tmp_path / "store", tmp_path / "read-only"
    # As a fresh clone: no .accomp/ (what other tests' runs on the demo store leave there).
    shutil.copytree(DEMO_STORE, writable, ignore=shutil.ignore_patterns(".accomp"))
    git(writable, "init", "-q")
    git(writable, "add", "-A")
    git(writable, "commit", "-qm", "demo")
    read_only.mkdir()
    if not _mount("--bind", str(writable), str(read_only)):
        pytest.skip("mounting is not allowed here (run the tests as root)")
    try:
        if not _mount("-o", "remount,bind,ro", str(read_only)):
            pytest.skip("a read-only remount is not allowed here")
        yield writable, read_only
    finally:
        subprocess.run(["umount", str(read_only)], capture_output=True)


def test_a_read_only_store_answers_reads_and_refuses_writes_in_one_line(
    stores: tuple[Path, Path], cli: Invoke
) -> None:
    writable, read_only = stores
    with pytest.raises(OSError):
        (read_only / "probe").write_text("x")  # really read-only, even for root
    for args in READS:
        answer = invoke_cli(["--store", str(read_only), *args])
        assert answer.exit_code == 0, (args, answer.stderr)
        assert "Traceback" not in answer.stderr
        # The same answer as the writable store gives.
        assert answer.stdout == invoke_cli(["--store", str(writable), *args]).stdout, args
    before = snapshot(writable)
    commits = git(writable, "rev-list", "--count", "HEAD")
    for args in WRITES:
        refused = invoke_cli(["--store", str(read_only), *args])
        assert refused.exit_code == 2, (args, refused.stdout)
        assert "read-only" in assert_one_line_error(refused.stderr), args
    assert snapshot(writable) == before
    assert git(writable, "rev-list", "--count", "HEAD") == commits


def test_a_read_only_clone_never_set_up_refuses_writes_and_answers_reads(
    stores: tuple[Path, Path],
) -> None:
    """A fresh clone on a read-only share: no command can set it up (merge driver, hook,
    private modes); a write is refused in one line, reads answer, nothing is written."""
    writable, read_only = stores
    before = snapshot(writable)
    for args in WRITES[:2]:  # first, before any read
        refused = invoke_cli(["--store", str(read_only), *args])
        assert refused.exit_code == 2, (args, refused.stdout)
        assert "read-only" in assert_one_line_error(refused.stderr), args
    for args in READS[:4]:
        answer = invoke_cli(["--store", str(read_only), *args])
        assert answer.exit_code == 0, (args, answer.stderr)
        assert "set up this clone" not in answer.stderr
    assert snapshot(writable) == before
    assert not (writable / ".git" / "hooks" / "pre-commit").exists()  # still not set up
    # The first command on the writable clone sets it up.
    assert "set up this clone" in invoke_cli(["--store", str(writable), "list"]).stderr
