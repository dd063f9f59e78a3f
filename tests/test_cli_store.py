"""The first commands through the CLI: init, enrol, show, list, validate, history."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from accomp.domain.ids import CASE_ID
from tests.conftest import REPO, TEST_IDENTITY, Invoke, git, snapshot


def test_init_creates_a_git_store_with_settings_schemas_and_hook(store: Path) -> None:
    assert (store / "accomp.yaml").read_text().startswith("# yaml-language-server: $schema=")
    assert (store / "schemas" / "casefile.schema.json").is_file()
    assert ".accomp/" in (store / ".gitignore").read_text()
    assert (store / ".git" / "hooks" / "pre-commit").stat().st_mode & stat.S_IXUSR
    assert git(store, "log", "--format=%s").splitlines() == ["init store"]
    assert git(store, "status", "--porcelain") == ""


def test_init_refuses_an_existing_store(store: Path, cli: Invoke) -> None:
    before = snapshot(store)
    result = cli("init", str(store))
    assert result.exit_code == 2
    assert "already holds a store" in result.stderr
    assert snapshot(store) == before


def test_store_files_are_private_whatever_the_umask(tmp_path: Path, cli: Invoke) -> None:
    old = os.umask(0o022)
    try:
        assert cli("init", str(tmp_path / "s")).exit_code == 0
    finally:
        os.umask(old)
    root = tmp_path / "s"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "accomp.yaml").stat().st_mode) == 0o600


def test_enrol_show_list_validate_and_history(store: Path, in_store: Invoke) -> None:
    result = in_store(
        "enrol",
        "--given-name", "Zoé", "--family-name", "Quenouille", "--birth-date", "2003-05-01",
        "--sex", "F", "--programme", "cej", "--start", "2026-09-07", "--referent", "jdupont",
        "--qpv", "--qualification-level", "2", "--external-id", "france-travail=1234567A",
        "--as", "jdupont", "--no-input",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    case_id = result.last_line
    assert CASE_ID.match(case_id)
    assert (store / f"{case_id}.yaml").is_file()

    # The audit trail: one commit, named by case id, never by the person's name.
    log = git(store, "log", "--format=%an|%s").splitlines()
    assert log[0] == f"jdupont|enrol {case_id}: cej, referent jdupont"
    assert "Quenouille" not in git(store, "log", "--format=%B")
    assert git(store, "status", "--porcelain") == ""

    shown = json.loads(in_store("show", case_id, "--format", "json").stdout)
    assert shown["identity"]["family_name"] == "Quenouille"
    assert shown["identity"]["birth_date"] == "2003-05-01"
    assert shown["situation"]["qpv"] is True
    assert shown["situation"]["qualification_level"] == 2
    assert shown["identity"]["external_ids"] == {"france_travail": "1234567A"}
    assert shown["enrolment"]["weekly_target_hours"] == 15  # the programme's default
    assert in_store("show", case_id).stdout == (store / f"{case_id}.yaml").read_text()
    table = in_store("show", case_id.lower(), "--format", "table").stdout  # ids are typed loosely
    assert "Zoé Quenouille" in table and "Enrolment" in table

    listed = json.loads(in_store("list", "--format", "json").stdout)
    assert [row["case_id"] for row in listed] == [case_id]
    assert listed[0]["status"] == "active"
    assert in_store("list", "--programme", "plie", "--format", "json").stdout.strip() == "[]"
    assert in_store("list", "--exited", "--format", "json").stdout.strip() == "[]"
    csv_lines = in_store("list", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("case_id,given_name,family_name,programme")

    validated = in_store("validate", "--all")
    assert validated.exit_code == 0
    assert validated.stdout == ""
    assert "0 error(s)" in validated.stderr

    history = in_store("history", case_id, "--format", "json")
    entries = json.loads(history.stdout)
    assert [e["message"] for e in entries] == [f"enrol {case_id}: cej, referent jdupont"]
    assert entries[0]["author"] == "jdupont"
    patch = in_store("history", case_id, "--patch").stdout
    assert "+case_id: " + case_id in patch


def test_list_filters_by_referent_and_sorts_by_id(enrol, in_store: Invoke) -> None:
    ids = sorted([enrol(), enrol("--referent", "mmartin"), enrol()])
    listed = json.loads(in_store("list", "--format", "json").stdout)
    assert [row["case_id"] for row in listed] == ids
    mine = json.loads(in_store("list", "--referent", "mmartin", "--format", "json").stdout)
    assert len(mine) == 1 and mine[0]["referent"] == "mmartin"


def test_author_comes_from_accomp_user(store: Path, enrol, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOMP_USER", "mmartin")
    enrol()
    assert git(store, "log", "-1", "--format=%an") == "mmartin\n"


def test_no_commit_writes_without_committing(store: Path, enrol) -> None:
    case_id = enrol("--no-commit")
    assert (store / f"{case_id}.yaml").is_file()
    assert git(store, "log", "--format=%s").splitlines() == ["init store"]
    assert f"?? {case_id}.yaml" in git(store, "status", "--porcelain")


def test_enrol_refuses_an_ineligible_person_unless_forced(
    store: Path, in_store: Invoke, enrol
) -> None:
    before = snapshot(store)
    args = ["enrol", "--given-name", "A", "--family-name", "B", "--birth-date", "1990-01-01",
            "--sex", "M", "--programme", "cej", "--start", "2026-09-07", "--referent", "x",
            "--no-input"]  # fmt: skip
    refused = in_store(*args)
    assert refused.exit_code == 2
    assert "not eligible for cej: age 36 at the start is over" in refused.stderr
    assert "29 with a recognised disability" in refused.stderr
    assert snapshot(store) == before

    # With a recognised disability the CEJ goes up to 29: still refused at 36.
    assert in_store(*args, "--disability").exit_code == 2
    # 27 with a disability is eligible.
    assert in_store(*args, "--birth-date", "1999-01-01", "--disability").exit_code == 0

    forced = in_store(*args, "--force", "--reason", "Decision of the steering committee")
    assert forced.exit_code == 0, forced.stderr
    case = json.loads(in_store("show", forced.last_line, "--format", "json").stdout)
    assert case["enrolment"]["eligibility_override"] == {
        "reason": "Decision of the steering committee",
        "recorded_on": "2026-11-20",
    }
    assert "eligibility forced" in git(store, "log", "-1", "--format=%s")
    assert in_store(*args, "--force").exit_code == 2  # --force needs a reason


def test_enrol_without_a_terminal_never_prompts(store: Path, in_store: Invoke) -> None:
    before = snapshot(store)
    result = in_store("enrol", "--given-name", "A", input="B\n")
    assert result.exit_code == 2
    assert "missing required options: --family-name, --birth-date, --sex" in result.stderr
    assert snapshot(store) == before


def test_enrol_on_a_terminal_prompts_for_missing_fields(store: Path) -> None:
    """A real pseudo-terminal: each prompt appears, and the answers make the case."""
    import pty
    import select
    import sys

    dialogue = [
        ("Family name", "Quenouille"),
        ("Birth date (YYYY-MM-DD)", "2003-05-01"),
        ("Sex (F, M, X)", "F"),
        ("Programme", "cej"),
        ("Start of the contract (YYYY-MM-DD)", "2026-09-07"),
        ("Referent", "jdupont"),
    ]
    pid, fd = pty.fork()
    if pid == 0:  # the child: accomp with a terminal as stdin
        os.execvp(
            sys.executable,
            [sys.executable, "-m", "accomp", "--store", str(store), "enrol", "--given-name", "Zoé"],
        )
    output = b""

    def read_until(text: bytes, seconds: float = 20.0) -> None:
        nonlocal output
        deadline = time.monotonic() + seconds
        while text not in output:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} in {output!r}"
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # the child has closed the terminal
                    chunk = b""
                assert chunk, f"the command ended before {text!r}: {output!r}"
                output += chunk

    for prompt, answer in dialogue:
        read_until(prompt.encode() + b":")
        output = output.split(prompt.encode() + b":", 1)[
            1
        ]  # look for the next prompt after this one
        os.write(fd, answer.encode() + b"\n")
    rest = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        rest += chunk
    _, status = os.waitpid(pid, 0)
    text = (output + rest).decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    case_id = text.strip().splitlines()[-1].strip()
    assert CASE_ID.match(case_id), text
    assert "family_name: Quenouille" in (store / f"{case_id}.yaml").read_text()


def test_without_git_commands_work_and_say_once_there_is_no_audit_trail(
    tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no git on the PATH
    root = tmp_path / "nogit"
    made = cli("init", str(root))
    assert made.exit_code == 0
    assert "no audit trail" in made.stderr
    args = ["--store", str(root), "enrol", "--given-name", "A", "--family-name", "B",
            "--birth-date", "2003-01-01", "--sex", "F", "--programme", "cej",
            "--start", "2026-09-07", "--referent", "x", "--no-input"]  # fmt: skip
    first, second = cli(*args), cli(*args)
    assert first.exit_code == second.exit_code == 0
    assert "no audit trail" in first.stderr
    assert "no audit trail" not in second.stderr
    assert not (root / ".git").exists()
    assert cli("--store", str(root), "history", first.last_line).exit_code == 2


def test_the_pre_commit_hook_refuses_an_invalid_hand_edit(store: Path, enrol) -> None:
    case_id = enrol()
    path = store / f"{case_id}.yaml"
    path.write_text(path.read_text().replace("start: 2026-09-07", "start: 2026-02-30"))
    git(store, "add", path.name)
    env = {**os.environ, **TEST_IDENTITY}
    refused = subprocess.run(
        ["git", "commit", "-m", "hand edit"], cwd=store, capture_output=True, text=True, env=env
    )
    assert refused.returncode != 0
    assert "enrolment.start: '2026-02-30' is not a valid date" in refused.stdout + refused.stderr


def test_store_is_found_from_env_and_parent_folders(
    store: Path, enrol, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = enrol()
    monkeypatch.setenv("ACCOMP_STORE", str(store))
    assert case_id in cli("list").stdout
    monkeypatch.delenv("ACCOMP_STORE")
    inner = store / "schemas"
    monkeypatch.chdir(inner)
    assert case_id in cli("list").stdout  # the nearest parent with accomp.yaml
    monkeypatch.chdir(store.parent)
    missing = cli("list")  # ./casefiles does not exist here
    assert missing.exit_code == 2
    assert "no store at casefiles" in missing.stderr


def test_help_of_every_command(cli: Invoke) -> None:
    from typer.main import get_command

    from accomp.cli import app, load_commands

    load_commands()
    group = get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, f"{name} has no help text"
        result = cli(name, "--help")
        assert result.exit_code == 0
        assert "Usage: " in result.stdout


def test_init_in_a_folder_a_parent_repository_ignores_makes_its_own_repository(
    tmp_path: Path, cli: Invoke
) -> None:
    parent = tmp_path / "project"
    parent.mkdir()
    git(parent, "init", "-q")
    (parent / ".gitignore").write_text("private/\n")
    result = cli("init", str(parent / "private" / "store"))
    assert result.exit_code == 0, result.stderr
    store = parent / "private" / "store"
    assert (store / ".git").is_dir()
    assert git(store, "log", "--format=%s").splitlines() == ["init store"]


def test_validate_counts_the_files_it_was_given(store: Path, in_store, enrol) -> None:  # type: ignore[no-untyped-def]
    case_id = enrol()
    one = in_store("validate", str(store / f"{case_id}.yaml"))
    assert one.exit_code == 0
    assert one.stderr.endswith("checked 1 file(s) and accomp.yaml: 0 error(s), 0 warning(s)\n")
    enrol()
    every = in_store("validate", "--all")
    assert "checked 2 file(s) and accomp.yaml" in every.stderr


def test_shell_completion_offers_case_ids_from_file_names(store: Path, enrol) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    case_id = enrol()
    (store / f"{case_id}.yaml").chmod(0)  # completion never reads a case file
    env = {**os.environ, "_ACCOMP_COMPLETE": "complete_bash", "COMP_WORDS": f"accomp show {case_id[:6]}",
           "COMP_CWORD": "2"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "accomp"], cwd=store, env=env, capture_output=True, text=True
    )
    (store / f"{case_id}.yaml").chmod(0o600)
    assert case_id in result.stdout.split()
    helped = subprocess.run(
        [sys.executable, "-m", "accomp", "--help"], capture_output=True, text=True
    )
    assert "--install-completion" in helped.stdout  # the shell is detected when installing


def test_the_pre_commit_hook_definition_validates_case_files_and_settings(
    store: Path, enrol
) -> None:  # type: ignore[no-untyped-def]
    import re
    import subprocess
    import sys

    from accomp.store import yamlio

    hooks = yamlio.load_fast((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "accomp-validate")
    pattern = re.compile(hook["files"])
    case_id = enrol()
    assert pattern.search(f"clients/{case_id}.yaml") and pattern.search("clients/accomp.yaml")
    assert not pattern.search("clients/mapping-people.yaml")
    # As the framework runs it: from the top of a larger repository, with the files' paths.
    command = [*hook["entry"].split(), str(store / f"{case_id}.yaml")]
    accomp = Path(sys.executable).parent / command[0]  # the installed console script
    result = subprocess.run([str(accomp), *command[1:]], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "checked 1 file(s)" in result.stderr


def test_a_programme_is_named_by_id_alias_or_unambiguous_prefix(in_store) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ENROL_ARGS

    def enrol_as(programme: str):  # type: ignore[no-untyped-def]
        return in_store("enrol", *ENROL_ARGS, "--programme", programme, "--birth-date", "1980-01-01",
                        "--force", "--reason", "test")  # fmt: skip

    for typed, expected in (
        ("rsa", "rsa-coaching"),
        ("RSA-C", "rsa-coaching"),
        ("pl", "plie"),
        ("civis", "civis-renforce"),
    ):
        result = enrol_as(typed)
        assert result.exit_code == 0, result.stderr
        listed = in_store("list", "--format", "json").stdout
        assert f'"{expected}"' in listed
    ambiguous = enrol_as("c")  # cej or civis-renforce
    assert ambiguous.exit_code == 2
    assert (
        "unknown programme 'c'" in ambiguous.stderr
        and "rsa-coaching: RSA job coaching" in ambiguous.stderr
    )


def test_referents_become_a_directory_the_store_knows(store: Path, in_store) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ENROL_ARGS

    first = in_store("enrol", *ENROL_ARGS, "--referent", "nobody")
    assert first.exit_code == 0 and "declare them with `accomp referent add" in first.stderr
    again = in_store("enrol", *ENROL_ARGS, "--referent", "nobody")
    assert "declare them" not in again.stderr  # said once
    text_before = (store / "accomp.yaml").read_text()
    added = in_store("referent", "add", "jdupont", "--name", "J. Dupont", "--email", "j@example.invalid",
                     "--programme", "cej")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    text = (store / "accomp.yaml").read_text()
    assert "jdupont" in text and text.startswith(text_before.split("\n", 1)[0])  # comments kept
    assert git(store, "log", "-1", "--format=%s").strip() == "settings: referent jdupont added"
    refused = in_store("enrol", *ENROL_ARGS, "--referent", "nobody")
    assert refused.exit_code == 2 and "jdupont" in refused.stderr
    assert in_store("enrol", *ENROL_ARGS, "--referent", "jdupont").exit_code == 0
    listed = in_store("referent", "list", "--format", "json").stdout
    assert '"j@example.invalid"' in listed
    validated = in_store("validate", "--all")
    assert validated.exit_code == 0 and "warning: unknown referent 'nobody'" in validated.stdout
    duplicate = in_store("referent", "add", "jdupont", "--name", "X")
    assert duplicate.exit_code == 2


def test_every_folder_and_file_accomp_creates_is_private(
    store: Path, in_store, enrol, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import os

    os.umask(0o022)
    case_id = enrol()
    for args in (
        ["contact", "log", case_id, "--date", "2026-09-08", "--channel", "phone", "--minutes", "5"],
        ["summary"],
        ["validate", "--all"],
        ["export", "cases", "--pseudonymise", "--format", "csv"],
    ):
        assert in_store(*args).exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("given_name,family_name,birth_date,sex,programme,start,referent\n"
                      "Ana,Bel,2003-01-01,F,cej,2026-09-07,jdupont\n")  # fmt: skip
    assert in_store("import", "people", str(people)).exit_code == 0
    derived = store / ".accomp"
    for path in [derived, *derived.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    for path in store.glob("*.yaml"):
        assert path.stat().st_mode & 0o777 == 0o600
