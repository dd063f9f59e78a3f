"""Never lose data: atomic writes, per-case locks, hand edits that survive."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accomp.errors import InvalidDocument, LockBusy
from accomp.store import files, yamlio
from accomp.store.store import Store
from tests.conftest import changed_lines, git, snapshot


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "case.yaml"
    target.write_bytes(b"old\n")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]


def test_stale_temp_files_are_cleaned(tmp_path: Path) -> None:
    stale = tmp_path / f"{files.TEMP_PREFIX}case.yaml.{os.getpid()}.2"
    stale.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / f"{files.TEMP_PREFIX}case.yaml.{os.getpid()}.4"
    fresh.write_bytes(b"being written")  # by a live process: kept
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f"{files.TEMP_PREFIX}case.yaml.{dead.pid}.5"
    orphan.write_bytes(b"half")  # its writer is dead: stale at once
    assert files.remove_stale_temp_files(tmp_path) == 2
    assert not stale.exists() and not orphan.exists() and fresh.exists()


def test_a_held_lock_makes_the_second_command_wait_then_give_up(tmp_path: Path) -> None:
    lock = tmp_path / "locks" / "case.lock"
    with (
        files.locked(lock, "case 2026-AAAAA"),
        pytest.raises(LockBusy, match="case 2026-AAAAA is locked"),
        files.locked(lock, "case 2026-AAAAA", timeout=0.2),
    ):
        pass
    with files.locked(lock, "case 2026-AAAAA", timeout=0.2):  # free again
        pass


def test_the_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    lock = tmp_path / "case.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from accomp.store.files import locked\n"
         f"with locked(Path({str(lock)!r}), 'x'):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(LockBusy), files.locked(lock, "x", timeout=0.1):
        pass
    holder.kill()
    holder.wait()
    with files.locked(lock, "x", timeout=1.0):  # no stale lock blocks the next command
        pass


ENTRY_ID_LINE = re.compile(r"^\+- id: [A-HJKMNP-TV-Z][0-9A-HJKMNP-TV-Z]{5}$")
HAND_EDITED = """\
# yaml-language-server: $schema=schemas/casefile.schema.json
# Hand-written header comment: must survive.
schema_version: 2
case_id: {case_id}
identity:
  given_name: Zoé            # as on the ID card
  family_name: Quenouille
  birth_date: 2003-05-01
  sex: F
  phone: '+33 6 00 00 00 00'   # single quotes kept
  email:
  address:
  external_ids: {{}}
situation:
  qpv: true
diagnostic: {{date: null, barriers: [], strengths: [], note: null}}
enrolment:
  referent: jdupont        # key order differs from what accomp writes
  programme: cej
  modality: individual
  start: 2026-09-07
  weekly_target_hours: 15
plan:
  objectives: []
  actions: []
contacts:
# the first contact, typed by hand
- id: KX4T9A
  date: 2026-09-08
  channel: phone
  minutes: 10
activities: []
absences: []
target_changes: []
allowances: []
exit:
followups: []
"""


def test_an_edit_keeps_every_comment_key_order_quote_and_indentation(store: Path, enrol) -> None:
    case_id = enrol()
    path = store / f"{case_id}.yaml"
    path.write_text(HAND_EDITED.format(case_id=case_id))
    git(store, "commit", "-qam", "hand edit", "--no-verify")
    opened = Store.open(store)
    with opened.transaction(f"contact {case_id}") as tx:
        document = tx.edit(case_id)
        yamlio.append(
            document["contacts"], {"date": dt.date(2026, 9, 15), "channel": "sms", "minutes": 5}
        )
    added, removed = changed_lines(store, "HEAD~1", path.name)
    assert removed == []
    assert ENTRY_ID_LINE.match(added[0])  # its id, derived from its content
    assert added[1:] == ["+  date: 2026-09-15", "+  channel: sms", "+  minutes: 5"]


def test_an_edit_that_would_make_the_file_invalid_writes_nothing(store: Path, enrol) -> None:
    case_id = enrol()
    before = snapshot(store)
    opened = Store.open(store)
    with (
        pytest.raises(
            InvalidDocument, match=rf"{case_id}: contacts\[0\]\.minutes: -5 is out of range"
        ),
        opened.transaction("contact") as tx,
    ):
        document = tx.edit(case_id)
        yamlio.append(
            document["contacts"],
            {"date": dt.date(2026, 9, 15), "channel": "sms", "minutes": -5},
        )
    assert snapshot(store) == before
    assert git(store, "log", "-1", "--format=%s").startswith("enrol")


@pytest.mark.parametrize("other_staged", [False, True])
def test_a_command_commits_its_case_file_and_nothing_the_user_staged(
    store: Path, enrol, in_store, other_staged: bool
) -> None:
    case_id, other = enrol(), enrol()
    if other_staged:  # a hand edit of another case, staged but not committed
        with (store / f"{other}.yaml").open("a", encoding="utf-8") as handle:
            handle.write("# checked by phone\n")
        git(store, "add", f"{other}.yaml")
    result = in_store(
        "contact", "log", case_id, "--date", "2026-11-19", "--channel", "sms", "--minutes", "5"
    )
    assert result.exit_code == 0, result.stdout
    committed = git(store, "show", "--name-only", "--format=%s", "HEAD").split()
    assert committed[-1] == f"{case_id}.yaml"
    assert f"{other}.yaml" not in committed
    still_staged = git(store, "diff", "--cached", "--name-only").split()
    assert still_staged == ([f"{other}.yaml"] if other_staged else [])
    assert git(store, "status", "--porcelain", "--", f"{case_id}.yaml") == ""


def test_a_failed_commit_puts_the_case_file_back_byte_for_byte(store: Path, enrol) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import invoke_cli

    case_id = enrol()
    path = store / f"{case_id}.yaml"
    before = path.read_bytes()
    lock = store / ".git" / "index.lock"
    lock.write_text("")  # a git that crashed, or one running now
    args = ["--store", str(store), "contact", "log", case_id, "--date", "2026-09-08",
            "--channel", "phone", "--minutes", "10", "--note", "X"]  # fmt: skip
    failed = invoke_cli(args)
    assert failed.exit_code == 2
    assert len(failed.stderr.strip().splitlines()) == 1
    assert "index.lock" in failed.stderr and "remove it" in failed.stderr
    assert path.read_bytes() == before
    lock.unlink()
    assert invoke_cli(args).exit_code == 0
    assert len(yamlio.load_fast(path.read_text())["contacts"]) == 1  # once, not twice
    assert git(store, "status", "--porcelain").strip() == ""


def test_a_case_file_that_is_a_symbolic_link_is_refused_never_followed(
    store: Path, enrol, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import invoke_cli

    case_id = enrol()
    path = store / f"{case_id}.yaml"
    outside = tmp_path / "outside.yaml"
    outside.write_text(path.read_text().replace("Zoé", "Outsider"))
    path.unlink()
    path.symlink_to(outside)
    head = git(store, "rev-parse", "HEAD")
    for args in (
        ["show", case_id],
        ["contact", "log", case_id, "--date", "2026-09-08", "--channel", "sms", "--minutes", "5"],
    ):
        result = invoke_cli(["--store", str(store), *args])
        assert result.exit_code == 2, result.stdout
        assert len(result.stderr.strip().splitlines()) == 1 and "symbolic link" in result.stderr
        assert "Outsider" not in result.stdout + result.stderr
    validated = invoke_cli(["--store", str(store), "validate", "--all"])
    assert validated.exit_code == 1 and "symbolic link" in validated.stdout
    assert "Outsider" not in validated.stdout
    assert path.is_symlink() and "Outsider" in outside.read_text()
    assert git(store, "rev-parse", "HEAD") == head  # nothing committed
    settings = store / "accomp.yaml"
    moved = tmp_path / "settings.yaml"
    settings.rename(moved)
    settings.symlink_to(moved)
    refused = invoke_cli(["--store", str(store), "list"])
    assert refused.exit_code == 2 and "symbolic link" in refused.stderr


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EACCES", "EROFS", "EMFILE"])
def test_a_system_failure_at_the_write_is_one_line_and_leaves_the_file_whole(
    store: Path, enrol, monkeypatch: pytest.MonkeyPatch, errno_name: str
) -> None:
    import errno
    import os

    from tests.conftest import invoke_cli

    case_id = enrol()
    path = store / f"{case_id}.yaml"
    before = path.read_bytes()
    real = os.replace

    def failing(source: str, target: str) -> None:
        if str(target).endswith(f"{case_id}.yaml"):
            code = getattr(errno, errno_name)
            raise OSError(code, os.strerror(code), str(target))
        real(source, target)

    monkeypatch.setattr(os, "replace", failing)
    result = invoke_cli(["--store", str(store), "contact", "log", case_id, "--date", "2026-09-08",
                         "--channel", "phone", "--minutes", "5"])  # fmt: skip
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "internal error" not in result.stderr and f"{case_id}.yaml" in result.stderr
    assert path.read_bytes() == before
    assert not list(store.glob(".tmp-*"))


def test_a_spool_folder_is_private_removed_after_and_clears_what_a_killed_command_left(
    tmp_path: Path,
) -> None:
    from accomp.store import spool

    derived = tmp_path / ".accomp"
    left = derived / spool.SPOOL_DIR / "4194999-1"  # above any pid: its command is gone
    left.mkdir(parents=True)
    (left / "1-1.part").write_bytes(b"rows")
    with spool.spool_folder(derived) as folder:
        assert not left.exists()
        assert folder.stat().st_mode & 0o777 == 0o700
        writer = spool.PartWriter(folder)
        pieces = [writer.append(text) for text in ("é,1\n", "", "b,2\n")]
        writer.close()
        reader = spool.PartReader(folder)
        assert [reader.read(piece) for piece in reversed(pieces)] == ["b,2\n", "", "é,1\n"]
        reader.close()
        assert (folder / pieces[0][0]).stat().st_mode & 0o777 == 0o600
    assert not folder.exists()
