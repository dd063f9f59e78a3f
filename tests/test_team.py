"""A team on one store: a bare remote, clones, `accomp sync`, the merge driver, conflicts.

Every test drives the CLI as counsellors would, with real git repositories.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from accomp.store import yamlio
from tests.conftest import ENROL_ARGS, TEST_IDENTITY, Run, git, invoke_cli


def run(clone: Path, *args: str) -> Run:
    return invoke_cli(["--store", str(clone), *args])


def clone_of(remote: Path, folder: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(folder)], check=True)
    return folder


@pytest.fixture
def team(tmp_path: Path) -> tuple[Path, Path, str]:
    """A shared bare remote holding a store with one case; returns (remote, first clone, id)."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    first = tmp_path / "first"
    assert invoke_cli(["init", str(first)]).exit_code == 0
    git(first, "branch", "-m", "main")
    git(first, "remote", "add", "origin", str(remote))
    enrolled = run(first, "enrol", *ENROL_ARGS)
    assert enrolled.exit_code == 0, enrolled.stderr
    synced = run(first, "sync")
    assert synced.exit_code == 0, synced.stderr
    return remote, first, enrolled.last_line


def case_text(clone: Path, case_id: str) -> str:
    return (clone / f"{case_id}.yaml").read_text()


def contacts(clone: Path, case_id: str) -> list[dict]:
    return yamlio.load_fast(case_text(clone, case_id))["contacts"]


def test_a_fresh_clone_is_set_up_once_driver_hook_and_private_files(team, tmp_path: Path) -> None:
    remote, _, case_id = team
    clone = clone_of(remote, tmp_path / "second")
    assert (clone / f"{case_id}.yaml").stat().st_mode & 0o077  # git clone leaves it readable
    listed = run(clone, "list")
    assert listed.exit_code == 0 and case_id in listed.stdout
    assert "set up this clone" in listed.stderr
    assert "merge driver" in listed.stderr and "pre-commit hook" in listed.stderr
    assert (clone / f"{case_id}.yaml").stat().st_mode & 0o777 == 0o600
    assert clone.stat().st_mode & 0o777 == 0o700
    assert "merge-driver %O %A %B %P" in git(clone, "config", "merge.accomp.driver")
    assert (clone / ".git" / "hooks" / "pre-commit").exists()
    again = run(clone, "list")
    assert "set up this clone" not in again.stderr  # said once


def test_a_linked_work_tree_is_a_store_like_any_other(team, tmp_path: Path) -> None:
    """`git worktree add`: the work tree's .git is a file naming its own git folder, and
    its hooks are the main repository's. Setting it up failed every command before."""
    remote, _, case_id = team
    main = clone_of(remote, tmp_path / "second")
    linked = tmp_path / "linked"
    git(main, "worktree", "add", "-q", "-b", "elsewhere", str(linked))
    listed = run(linked, "list")
    assert listed.exit_code == 0, listed.stderr
    assert case_id in listed.stdout and "pre-commit hook" in listed.stderr
    assert (main / ".git" / "hooks" / "pre-commit").exists()  # where git runs it from
    assert (main / ".git").stat().st_mode & 0o777 == 0o700  # it holds the linked tree's history
    ran = tmp_path / "post-commit ran"
    hook = main / ".git" / "hooks" / "post-commit"  # git commit runs it: accomp's commit too
    hook.write_text(f"#!/bin/sh\ntouch '{ran}'\n")
    hook.chmod(0o700)
    logged = run(linked, "contact", "log", case_id, "--date", "2026-11-18", "--channel",
                 "phone", "--minutes", "15")  # fmt: skip
    assert logged.exit_code == 0, logged.stderr
    assert ran.exists()
    assert git(linked, "log", "-1", "--format=%s").startswith(f"contact {case_id}")
    assert git(linked, "status", "--porcelain") == ""
    (linked / f"{case_id}.yaml").write_text("not: [a case file\n")  # the hook refuses it
    git(linked, "add", f"{case_id}.yaml")
    refused = subprocess.run(["git", "commit", "-qm", "by hand"], cwd=linked, text=True,
                             capture_output=True, env={**os.environ, **TEST_IDENTITY})  # fmt: skip
    assert refused.returncode != 0 and f"{case_id}.yaml" in refused.stdout + refused.stderr


def test_contacts_logged_on_the_same_case_in_two_clones_merge_without_conflict(
    team, tmp_path: Path
) -> None:
    remote, first, case_id = team
    second = clone_of(remote, tmp_path / "second")
    assert run(second, "contact", "log", case_id, "--date", "2026-11-18", "--channel", "phone",
               "--minutes", "15").exit_code == 0  # fmt: skip
    assert run(first, "contact", "log", case_id, "--date", "2026-11-19", "--channel", "in-person",
               "--minutes", "45").exit_code == 0  # fmt: skip
    assert run(first, "activity", "log", case_id, "--date", "2026-11-19", "--hours", "3",
               "--kind", "training").exit_code == 0  # fmt: skip
    assert run(first, "sync").exit_code == 0
    synced = run(second, "sync")
    assert synced.exit_code == 0, synced.stderr
    assert "1 case file(s) received" in synced.stdout
    assert run(first, "sync").exit_code == 0
    assert case_text(first, case_id) == case_text(second, case_id)
    assert [c["minutes"] for c in contacts(first, case_id)] == [15, 45]
    assert "<<<<<<<" not in case_text(first, case_id)
    message = git(second, "log", "-1", "--format=%s")
    assert case_id in message and "Zoé" not in message and "Quenouille" not in message
    assert run(first, "validate", "--all").exit_code == 0


def test_a_plain_git_pull_in_a_clone_where_accomp_ran_merges_two_contacts(
    team, tmp_path: Path
) -> None:
    remote, first, case_id = team
    second = clone_of(remote, tmp_path / "second")
    assert run(second, "list").exit_code == 0  # any command sets the clone up
    assert run(first, "contact", "log", case_id, "--date", "2026-11-18", "--channel", "phone",
               "--minutes", "15").exit_code == 0  # fmt: skip
    assert run(first, "sync").exit_code == 0
    assert run(second, "contact", "log", case_id, "--date", "2026-11-19", "--channel", "sms",
               "--minutes", "5").exit_code == 0  # fmt: skip
    pulled = subprocess.run(
        ["git", "pull", "--no-rebase", "--no-edit", "origin", "main"],
        cwd=second, capture_output=True, text=True, env={**os.environ, **TEST_IDENTITY},
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert "CONFLICT" not in pulled.stdout
    assert sorted(c["minutes"] for c in contacts(second, case_id)) == [5, 15]
    assert run(second, "validate", "--all").exit_code == 0


def test_a_true_conflict_is_listed_refuses_writes_and_is_settled_by_resolve(
    team, tmp_path: Path
) -> None:
    remote, first, case_id = team
    second = clone_of(remote, tmp_path / "second")
    logged = run(first, "contact", "log", case_id, "--date", "2026-11-18", "--channel",
                 "phone", "--minutes", "10")  # fmt: skip
    assert logged.exit_code == 0
    assert run(first, "sync").exit_code == 0 and run(second, "sync").exit_code == 0
    # Each clone corrects the contact's minutes by hand, differently.
    for clone, minutes in ((first, "30"), (second, "40")):
        path = clone / f"{case_id}.yaml"
        path.write_text(path.read_text().replace("minutes: 10", f"minutes: {minutes}"))
    assert run(first, "sync").exit_code == 0
    stopped = run(second, "sync")
    assert stopped.exit_code == 1, stopped.stderr
    assert "conflicts" in stopped.stderr
    text = case_text(second, case_id)
    assert "<<<<<<<" not in text and "minutes: 40" in text  # a valid file with ours
    listed = run(second, "conflicts")
    assert listed.exit_code == 1
    lines = [line for line in listed.stdout.splitlines() if line.startswith(case_id)]
    assert len(lines) == 1 and ".minutes" in lines[0] and "40" in lines[0] and "30" in lines[0]
    assert "Zoé" not in listed.stdout and "Quenouille" not in listed.stdout
    # While the merge is unfinished, writes refuse and write nothing; reads work and say so.
    before = case_text(second, case_id)
    refused = run(second, "contact", "log", case_id, "--date", "2026-11-19", "--channel", "sms",
                  "--minutes", "5")  # fmt: skip
    assert refused.exit_code == 2 and "merge is in progress" in refused.stderr
    assert case_text(second, case_id) == before
    shown = run(second, "show", case_id)
    assert shown.exit_code == 0 and "merge in progress" in shown.stderr
    field = lines[0].split()[1]
    wrong = run(second, "resolve", case_id, "contacts.NOPE.minutes", "--take", "ours")
    assert wrong.exit_code == 2 and field in wrong.stderr
    settled = run(second, "resolve", case_id, field, "--take", "theirs")
    assert settled.exit_code == 0, settled.stderr
    assert settled.exit_code == 0, settled.stderr
    assert "merge finished" in settled.stdout
    assert [c["minutes"] for c in contacts(second, case_id)] == [30]
    assert git(second, "rev-list", "--parents", "-1", "HEAD").count(" ") == 2  # a merge commit
    assert case_id in git(second, "log", "-1", "--format=%s")
    assert run(second, "conflicts").stdout.strip() == "no conflicts"
    assert run(second, "sync").exit_code == 0
    assert run(first, "sync").exit_code == 0
    assert case_text(first, case_id) == case_text(second, case_id)


def test_sync_offline_says_so_in_one_line_and_keeps_the_work(team, tmp_path: Path) -> None:
    remote, first, case_id = team
    assert run(first, "contact", "log", case_id, "--date", "2026-11-18", "--channel", "phone",
               "--minutes", "15").exit_code == 0  # fmt: skip
    head = git(first, "rev-parse", "HEAD")
    remote.rename(tmp_path / "away.git")
    offline = run(first, "sync")
    assert offline.exit_code == 2
    assert len(offline.stderr.strip().splitlines()) == 1 and "cannot reach" in offline.stderr
    assert git(first, "rev-parse", "HEAD") == head
    assert [c["minutes"] for c in contacts(first, case_id)] == [15]


def test_migrate_upgrades_an_old_store_in_one_commit(tmp_path: Path) -> None:
    old_store = Path(__file__).parent / "fixtures" / "store-v1"  # written before entry ids
    store = tmp_path / "old"
    assert invoke_cli(["init", str(store)]).exit_code == 0
    for path in old_store.glob("20*.yaml"):
        (store / path.name).write_text(path.read_text())
    (store / "accomp.yaml").write_text((old_store / "accomp.yaml").read_text())
    git(store, "add", "-A")
    git(store, "commit", "-qm", "old files")
    assert "schema_version: 1" in (store / "2026-DEM01.yaml").read_text()
    before = git(store, "rev-list", "--count", "HEAD")
    migrated = run(store, "migrate")
    assert migrated.exit_code == 0, migrated.stderr
    text = (store / "2026-DEM01.yaml").read_text()
    assert ("schema_version: 2" in text and "- id: " not in text) or "id: " in text
    assert "# Week 2026-W46" in text  # comments kept
    document = yamlio.load_fast(text)
    assert all(c.get("id") for c in document["contacts"])
    assert int(git(store, "rev-list", "--count", "HEAD")) <= int(before) + 2
    assert "migrate" in git(store, "log", "--format=%s")
    assert run(store, "validate", "--all").exit_code == 0
    assert "upgraded 0" in run(store, "migrate").stdout  # a second run changes nothing


def test_migrate_brings_the_editors_schemas_up_to_date(tmp_path: Path) -> None:
    from accomp.resources import schema_dir

    store = tmp_path / "old"
    assert invoke_cli(["init", str(store)]).exit_code == 0
    stale = store / "schemas" / "casefile.schema.json"
    stale.write_text(stale.read_text().replace('"voided"', '"gone"'))  # a copy from before
    git(store, "commit", "-qam", "schemas of an older accomp")
    assert run(store, "migrate").exit_code == 0
    assert stale.read_bytes() == (schema_dir() / "casefile.schema.json").read_bytes()
    assert git(store, "log", "-1", "--format=%s").strip() == "migrate: the editors' schemas"
    assert git(store, "status", "--porcelain") == ""


# -- three clones, random work, synced until quiet -------------------------------------


def _random_command(rng: random.Random, case_id: str, tag: str) -> list[str]:
    day = f"2026-11-{rng.randint(9, 19):02d}"
    kind = rng.choice(["contact", "contact", "activity", "objective", "absence", "allowance",
                       "target", "exit", "referent"])  # fmt: skip
    if kind == "contact":
        return ["contact", "log", case_id, "--date", day, "--channel", rng.choice(["phone", "sms"]),
                "--minutes", str(rng.randint(5, 90)), "--note", tag]  # fmt: skip
    if kind == "activity":
        return ["activity", "log", case_id, "--date", day, "--hours", str(rng.randint(1, 4)),
                "--kind", "workshop", "--note", tag]  # fmt: skip
    if kind == "objective":
        return ["plan", "objective", "add", case_id, "--text", tag]
    if kind == "absence":
        return ["absence", "add", case_id, "--from", day, "--to", day, "--reason", "sick",
                "--note", tag]  # fmt: skip
    if kind == "allowance":
        return ["allowance", "add", case_id, "--date", day, "--amount", str(rng.randint(1, 20))]
    if kind == "target":
        return ["contract", "hours", case_id, "--from", day, "--hours", str(rng.randint(15, 20))]
    if kind == "exit":
        return ["exit", case_id, "--date", "2026-11-19", "--outcome",
                rng.choice(["cdi", "training"])]  # fmt: skip
    return ["referent", rng.choice(["jdupont", "mmartin", "kleroy"])]


def _hand_edit_referent(clone: Path, case_id: str, referent: str) -> None:
    path = clone / f"{case_id}.yaml"
    document = yamlio.load_round_trip(path.read_text())
    document["enrolment"]["referent"] = referent
    path.write_text(yamlio.dump_round_trip(document, like=path.read_text()))


def _sync_and_settle(clone: Path, rng: random.Random, raised: list[str]) -> None:
    for _ in range(6):
        result = run(clone, "sync")
        if result.exit_code == 0:
            return
        assert result.exit_code == 1, result.stderr
        listed = run(clone, "conflicts")
        for line in listed.stdout.splitlines():
            if " " not in line or line == "no conflicts":
                continue
            case_id, field = line.split()[:2]
            raised.append(line)
            resolved = run(
                clone, "resolve", case_id, field, "--take", rng.choice(["ours", "theirs"])
            )
            assert resolved.exit_code == 0, resolved.stderr
    raise AssertionError(f"{clone.name} did not get quiet")


SEEDS = int(os.environ.get("ACCOMP_TEAM_SEEDS", "6"))


@pytest.mark.parametrize("seed", range(SEEDS))
def test_three_clones_doing_random_work_converge_and_lose_nothing(
    seed: int, team, tmp_path: Path
) -> None:
    remote, first, case_id = team
    second_case = run(first, "enrol", *ENROL_ARGS[:-1], "--given-name", "Yanis", "--no-input")
    assert second_case.exit_code == 0
    cases = [case_id, second_case.last_line]
    assert run(first, "sync").exit_code == 0
    clones = [first, clone_of(remote, tmp_path / "b"), clone_of(remote, tmp_path / "c")]
    rng = random.Random(seed)
    added: list[str] = []
    raised: list[str] = []
    for round_ in range(2):
        for index, clone in enumerate(clones):
            for step in range(rng.randint(1, 4)):
                tag = f"s{seed}-r{round_}-c{index}-{step}"
                args = _random_command(rng, rng.choice(cases), tag)
                if args[0] == "referent":
                    _hand_edit_referent(clone, rng.choice(cases), args[1])
                    continue
                result = run(clone, *args)
                if result.exit_code == 0 and ("--note" in args or args[1] == "objective"):
                    added.append(tag)
        order = clones[:]
        rng.shuffle(order)
        for clone in order:
            _sync_and_settle(clone, rng, raised)
    for clone in clones * 2:  # until quiet: every clone has everything
        _sync_and_settle(clone, rng, raised)
    trees = {git(clone, "rev-parse", "HEAD^{tree}") for clone in clones}
    assert len(trees) == 1, "the clones hold different files"
    for clone in clones:
        assert run(clone, "validate", "--all").exit_code == 0
    texts = Counter()
    for ident in cases:
        document = yamlio.load_fast(case_text(first, ident))
        for key in ("contacts", "activities", "absences"):
            texts.update(entry.get("note") for entry in document[key])
        texts.update(o["text"] for o in document["plan"]["objectives"])
    for tag in added:
        assert texts[tag] == 1, f"{tag} is there {texts[tag]} times"
    for line in raised:  # only true conflicts: one field, two different values
        assert "changed on both sides" in line, line


def _no_git_running(clone: Path) -> None:
    """Wait for git processes a killed sync left behind, then remove a stale index lock (as the
    error message tells the user to)."""
    import time

    lock = clone / ".git" / "index.lock"
    for _ in range(100):
        alive = (
            subprocess.run(["pgrep", "-f", f"git.*{clone}"], capture_output=True).returncode == 0
        )
        if not alive:
            break
        time.sleep(0.05)
    lock.unlink(missing_ok=True)


KILLS = int(os.environ.get("ACCOMP_SYNC_KILLS", "8"))


def test_a_sync_killed_at_any_moment_leaves_the_old_state_or_a_resumable_merge(
    team, tmp_path: Path
) -> None:
    import signal
    import sys
    import time

    remote, first, case_id = team
    second = clone_of(remote, tmp_path / "second")
    assert run(second, "list").exit_code == 0
    rng = random.Random(7)
    env = {**os.environ, "ACCOMP_TODAY": "2026-11-20"}
    logged = []
    for kill in range(KILLS):
        for clone, channel in ((first, "phone"), (second, "sms")):
            minutes = str(kill * 10 + (1 if channel == "phone" else 2))
            result = run(clone, "contact", "log", case_id, "--date", "2026-11-18",
                         "--channel", channel, "--minutes", minutes)  # fmt: skip
            assert result.exit_code == 0, result.stderr
            logged.append(int(minutes))
        assert run(first, "sync").exit_code == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "accomp", "--store", str(second), "sync"],
            env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.05, 2.5))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # accomp, git and the driver at once
        process.wait()
        _no_git_running(second)
        # Never a corrupt or conflict-marked case file, whatever the moment.
        for path in second.glob("20*.yaml"):
            text = path.read_text()
            assert "<<<<<<<" not in text
            yamlio.load_fast(text)
        for _ in range(3):  # sync again: it resumes or starts over
            again = run(second, "sync")
            if again.exit_code == 0:
                break
        assert again.exit_code == 0, again.stderr
    assert run(first, "sync").exit_code == 0
    assert git(first, "rev-parse", "HEAD^{tree}") == git(second, "rev-parse", "HEAD^{tree}")
    minutes = sorted(c["minutes"] for c in contacts(first, case_id))
    assert minutes == sorted(logged)  # every contact once
    assert run(second, "validate", "--all").exit_code == 0


def test_settings_edited_in_two_clones_merge_as_data(team, tmp_path: Path) -> None:
    remote, first, _ = team
    second = clone_of(remote, tmp_path / "second")
    assert run(second, "list").exit_code == 0
    for clone, referent in ((first, "kleroy"), (second, "amoreau")):
        path = clone / "accomp.yaml"
        document = yamlio.load_round_trip(path.read_text())
        document["referents"].append({"id": referent, "name": referent.upper()})
        path.write_text(yamlio.dump_round_trip(document, like=path.read_text()))
    assert run(first, "sync").exit_code == 0
    synced = run(second, "sync")
    assert synced.exit_code == 0, synced.stderr
    referents = yamlio.load_fast((second / "accomp.yaml").read_text())["referents"]
    assert {"kleroy", "amoreau"} <= {r["id"] for r in referents}
    assert "<<<<<<<" not in (second / "accomp.yaml").read_text()


def test_after_a_sync_only_the_files_it_brought_are_read_again(
    team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cache import count_checks

    remote, first, case_id = team
    for _ in range(3):
        assert run(first, "enrol", *ENROL_ARGS).exit_code == 0
    assert run(first, "sync").exit_code == 0
    second = clone_of(remote, tmp_path / "second")
    assert run(second, "summary").exit_code == 0  # warm
    assert run(first, "contact", "log", case_id, "--date", "2026-11-18", "--channel", "phone",
               "--minutes", "15").exit_code == 0  # fmt: skip
    assert run(first, "sync").exit_code == 0
    parsed = count_checks(monkeypatch)
    assert run(second, "sync").exit_code == 0
    assert parsed == [f"{case_id}.yaml"]  # what came in, and nothing else
    parsed.clear()
    assert run(second, "summary").exit_code == 0
    assert parsed == []  # the summary after a sync is warm


def test_a_push_refused_because_someone_pushed_meanwhile_is_merged_and_pushed_again(
    team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accomp.store import sync

    remote, first, case_id = team
    second = clone_of(remote, tmp_path / "second")
    assert run(second, "list").exit_code == 0
    assert run(second, "contact", "log", case_id, "--date", "2026-11-18", "--channel", "sms",
               "--minutes", "5").exit_code == 0  # fmt: skip
    real = sync._git
    raced = []

    def racing(repo: Path, *args: str, author: str | None = None) -> tuple[int, str, str]:
        if args[:1] == ("push",) and repo == second.resolve() and not raced:
            raced.append(True)  # a colleague pushes between our merge and our push
            assert run(first, "contact", "log", case_id, "--date", "2026-11-19", "--channel",
                       "phone", "--minutes", "15").exit_code == 0  # fmt: skip
            assert run(first, "sync").exit_code == 0
        return real(repo, *args, author=author)

    monkeypatch.setattr(sync, "_git", racing)
    synced = run(second, "sync")
    assert synced.exit_code == 0, synced.stderr
    assert raced
    assert sorted(c["minutes"] for c in contacts(second, case_id)) == [5, 15]
    assert git(second, "rev-parse", "HEAD") == git(remote, "rev-parse", "main")
