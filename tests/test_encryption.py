"""Encryption at rest (issue 15): a real bare remote, clones with and without keys, git-crypt.

Each counsellor has a GPG key of their own (a GNUPGHOME per counsellor); the store's key
is given to their public keys. The remote must hold no plain case file, two clones with
their keys must sync and merge as in a plain store, a clone without a key must read
nothing, and a revoked key must open nothing pushed after its revocation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from accomp.store import crypt, yamlio
from tests.conftest import ENROL_ARGS, Run, git, invoke_cli

pytestmark = pytest.mark.skipif(
    shutil.which("git-crypt") is None or shutil.which("gpg") is None,
    reason="git-crypt and gpg are needed (make test installs them: apt install git-crypt gnupg)",
)

FAMILY_NAME = "Quenouille"  # from ENROL_ARGS: must never reach the remote in clear


class Counsellor:
    """A person with a GPG key of their own (their GNUPGHOME) and an exported public key."""

    def __init__(self, home: Path, name: str) -> None:
        self.home = home
        home.mkdir(mode=0o700)
        email = f"{name}@example.invalid"
        self._gpg("--passphrase", "", "--quick-gen-key", f"Counsellor {name} <{email}>",
                  "future-default", "default", "never")  # fmt: skip
        self.public_key = home.parent / f"{name}.asc"
        self.public_key.write_bytes(self._gpg("--armor", "--export", email).stdout)
        listing = self._gpg("--with-colons", "--list-keys", email).stdout.decode()
        self.fingerprint = next(
            line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
        )

    def _gpg(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["gpg", "--batch", *args], check=True, capture_output=True,
                              env={**os.environ, "GNUPGHOME": str(self.home)})  # fmt: skip

    def run(self, clone: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Run:
        """accomp in `clone`, as this counsellor (their GPG keys on the machine)."""
        monkeypatch.setenv("GNUPGHOME", str(self.home))
        return invoke_cli(["--store", str(clone), *args])


@pytest.fixture
def people(tmp_path: Path) -> Iterator[dict[str, Counsellor]]:
    found = {name: Counsellor(tmp_path / f"gnupg-{name}", name) for name in ("ana", "ben", "cyd")}
    yield found
    for person in found.values():  # the agents gpg started, one per home
        subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(
            person.home)}, capture_output=True, check=False)  # fmt: skip


@pytest.fixture
def encrypted_team(tmp_path: Path, people, monkeypatch) -> tuple[Path, Path, str]:
    """A bare remote holding an encrypted store made by ana for ana and ben, with one case."""
    monkeypatch.setenv("ACCOMP_TODAY", "2026-11-20")
    ana, ben = people["ana"], people["ben"]
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    first = tmp_path / "first"
    monkeypatch.setenv("GNUPGHOME", str(ana.home))
    made = invoke_cli(["init", "--encrypted", "--gpg-key", str(ana.public_key),
                       "--gpg-key", str(ben.public_key), str(first)])  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert "key given to 2 GPG key(s)" in made.stdout
    git(first, "branch", "-m", "main")
    git(first, "remote", "add", "origin", str(remote))
    enrolled = ana.run(first, "enrol", *ENROL_ARGS, monkeypatch=monkeypatch)
    assert enrolled.exit_code == 0, enrolled.stderr
    assert ana.run(first, "sync", monkeypatch=monkeypatch).exit_code == 0
    return remote, first, enrolled.last_line


def clone_of(remote: Path, folder: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(folder)], check=True)
    return folder


def remote_case_blobs(remote: Path) -> dict[str, bytes]:
    """Every version of every case and session file the remote holds, in its whole history."""
    objects = subprocess.run(["git", "rev-list", "--objects", "--all"], cwd=remote,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    found = {}
    for line in objects.splitlines():
        sha, _, path = line.partition(" ")
        name = Path(path).name
        if name.endswith(".yaml") and (name[:4].isdigit() or path.startswith("sessions/")):
            found[sha] = subprocess.run(["git", "cat-file", "blob", sha], cwd=remote,
                                        capture_output=True, check=True).stdout  # fmt: skip
    return found


def all_objects(remote: Path) -> bytes:
    """Every object of the remote, uncompressed."""
    return subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=remote,
                          capture_output=True, check=True).stdout  # fmt: skip


def log_contact(person: Counsellor, clone: Path, case_id: str, day: str, minutes: int,
                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    logged = person.run(clone, "contact", "log", case_id, "--date", day, "--channel", "phone",
                        "--minutes", str(minutes), monkeypatch=monkeypatch)  # fmt: skip
    assert logged.exit_code == 0, logged.stderr


def minutes_of(clone: Path, case_id: str) -> list[int]:
    document = yamlio.load_fast((clone / f"{case_id}.yaml").read_text())
    return sorted(contact["minutes"] for contact in document["contacts"])


def test_the_remote_holds_no_plain_case_and_two_clones_with_keys_sync_and_merge(
    encrypted_team, people, tmp_path: Path, monkeypatch
) -> None:
    remote, first, case_id = encrypted_team
    ana, ben = people["ana"], people["ben"]
    second = clone_of(remote, tmp_path / "second")
    unlocked = ben.run(second, "crypt", "unlock", monkeypatch=monkeypatch)
    assert unlocked.exit_code == 0, unlocked.stderr
    log_contact(ben, second, case_id, "2026-11-18", 15, monkeypatch)
    log_contact(ana, first, case_id, "2026-11-19", 45, monkeypatch)
    assert ana.run(first, "sync", monkeypatch=monkeypatch).exit_code == 0
    synced = ben.run(second, "sync", monkeypatch=monkeypatch)
    assert synced.exit_code == 0, synced.stderr
    assert "1 case file(s) received" in synced.stdout
    assert ana.run(first, "sync", monkeypatch=monkeypatch).exit_code == 0
    # Both clones read the merged case as text, the same, with both contacts.
    assert minutes_of(first, case_id) == minutes_of(second, case_id) == [15, 45]
    assert (first / f"{case_id}.yaml").read_bytes() == (second / f"{case_id}.yaml").read_bytes()
    for clone in (first, second):
        assert git(clone, "status", "--porcelain").strip() == ""  # no file seen as changed
    assert ana.run(first, "validate", "--all", monkeypatch=monkeypatch).exit_code == 0
    # The remote: every version of the case file is encrypted, the merge's included, and
    # the person's name is in none of its objects.
    blobs = remote_case_blobs(remote)
    assert len(blobs) >= 4  # enrolment, two contacts, the merge
    assert all(crypt.is_encrypted(blob) for blob in blobs.values())
    assert FAMILY_NAME.encode() not in all_objects(remote)
    # The merge is the same blob whichever clone makes it: ana makes ben's merge again.
    merge = git(second, "rev-parse", "HEAD").strip()
    parents = git(second, "rev-list", "--parents", "-n", "1", merge).split()[1:]
    git(first, "checkout", "-q", "--detach", parents[0])
    git(first, "merge", "-q", "--no-edit", parents[1])
    assert git(first, "rev-parse", f"HEAD:{case_id}.yaml") == git(
        second, "rev-parse", f"{merge}:{case_id}.yaml"
    )
    git(first, "checkout", "-q", "main")


def test_a_clone_without_a_key_reads_nothing_and_says_so_in_one_line(
    encrypted_team, people, tmp_path: Path, monkeypatch
) -> None:
    remote, _, case_id = encrypted_team
    cyd = people["cyd"]  # not given the store's key
    third = clone_of(remote, tmp_path / "third")
    on_disk = (third / f"{case_id}.yaml").read_bytes()
    assert crypt.is_encrypted(on_disk) and FAMILY_NAME.encode() not in on_disk
    for command in (["list"], ["show", case_id], ["summary"]):
        refused = cyd.run(third, *command, monkeypatch=monkeypatch)
        assert refused.exit_code == 2
        assert refused.stderr.count("\n") <= 2 and "accomp crypt unlock" in refused.stderr
        assert FAMILY_NAME not in refused.stdout + refused.stderr
    unlock = cyd.run(third, "crypt", "unlock", monkeypatch=monkeypatch)
    last_line = unlock.stderr.strip().splitlines()[-1]
    assert unlock.exit_code == 2 and last_line.startswith("accomp: error: none of the GPG keys")
    assert "accomp crypt add-user" in last_line and "Traceback" not in unlock.stderr
    status = cyd.run(third, "crypt", "status", monkeypatch=monkeypatch)
    assert status.exit_code == 0 and "this clone: locked" in status.stdout
    # Read by hand, the file is not YAML a reader could use.
    with pytest.raises(yamlio.YamlError, match="encrypted at rest"):
        yamlio.decode(on_disk)


def test_a_revoked_key_opens_nothing_pushed_after_and_the_others_take_the_new_key(
    encrypted_team, people, tmp_path: Path, monkeypatch
) -> None:
    remote, first, case_id = encrypted_team
    ana, ben, cyd = people["ana"], people["ben"], people["cyd"]
    added = ana.run(first, "crypt", "add-user", str(cyd.public_key), monkeypatch=monkeypatch)
    assert added.exit_code == 0, added.stderr
    assert ana.run(first, "sync", monkeypatch=monkeypatch).exit_code == 0
    second, third = clone_of(remote, tmp_path / "second"), clone_of(remote, tmp_path / "third")
    assert ben.run(second, "crypt", "unlock", monkeypatch=monkeypatch).exit_code == 0
    assert cyd.run(third, "crypt", "unlock", monkeypatch=monkeypatch).exit_code == 0
    # Ben leaves. Cyd has unpushed work meanwhile (made with the old key): a contact, and a
    # new case, which only cyd's side changes (so the merge keeps it as cyd committed it).
    log_contact(cyd, third, case_id, "2026-11-18", 7, monkeypatch)
    new_case = cyd.run(third, "enrol", *ENROL_ARGS, monkeypatch=monkeypatch).last_line
    head = git(first, "rev-parse", "HEAD")
    for wrong in (ben.fingerprint[-4:], ana.fingerprint):  # too short to be sure; oneself
        refused = ana.run(first, "crypt", "revoke", wrong, monkeypatch=monkeypatch)
        assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert git(first, "rev-parse", "HEAD") == head
    revoked = ana.run(first, "crypt", "revoke", ben.fingerprint, monkeypatch=monkeypatch)
    assert revoked.exit_code == 0, revoked.stderr
    assert "new key k2 given to 2 GPG key(s)" in revoked.stdout
    assert ben.fingerprint in git(first, "log", "-1", "--format=%s")
    log_contact(ana, first, case_id, "2026-11-19", 30, monkeypatch)
    assert ana.run(first, "sync", monkeypatch=monkeypatch).exit_code == 0
    # Cyd's sync takes the new key from what it fetched, merges, and pushes under k2.
    synced = cyd.run(third, "sync", monkeypatch=monkeypatch)
    assert synced.exit_code == 0, synced.stderr
    assert "new encryption key k2" in synced.stdout
    assert "encrypted 1 file(s) again" in synced.stdout  # the new case, made under the old key
    assert minutes_of(third, case_id) == [7, 30]
    assert git(third, "status", "--porcelain").strip() == ""
    # Ben's clone still holds the old key: it opens the old versions, nothing at the tip.
    for name in (case_id, new_case):
        head_blob = subprocess.run(["git", "show", f"main:{name}.yaml"], cwd=remote,
                                   capture_output=True, check=True).stdout  # fmt: skip
        assert crypt.is_encrypted(head_blob)
        opened_old = subprocess.run(["git-crypt", "smudge"], cwd=second, input=head_blob,
                                    capture_output=True, check=False)  # fmt: skip
        assert opened_old.returncode != 0
    # The others go on syncing, and read cyd's new case.
    assert ana.run(first, "sync", monkeypatch=monkeypatch).exit_code == 0
    assert (first / f"{new_case}.yaml").read_text() == (third / f"{new_case}.yaml").read_text()
    # Ben, in a fresh clone, opens nothing current.
    fresh = clone_of(remote, tmp_path / "fresh")
    unlock = ben.run(fresh, "crypt", "unlock", monkeypatch=monkeypatch)
    assert unlock.exit_code == 2 and "current key (k2)" in unlock.stderr
    refused = ben.run(second, "sync", monkeypatch=monkeypatch)
    assert refused.exit_code == 2 and "not given to any GPG key on this machine" in refused.stderr
    assert minutes_of(second, case_id) == []  # nothing was merged into ben's clone
    status = ana.run(first, "crypt", "status", monkeypatch=monkeypatch)
    assert "key k2" in status.stdout and ben.fingerprint not in status.stdout
    assert cyd.fingerprint in status.stdout and ana.fingerprint in status.stdout


def test_an_existing_plain_store_starts_encrypting_in_one_commit(
    tmp_path: Path, people, monkeypatch
) -> None:
    monkeypatch.setenv("ACCOMP_TODAY", "2026-11-20")
    ana = people["ana"]
    store = tmp_path / "store"
    assert invoke_cli(["init", str(store)]).exit_code == 0
    case_id = ana.run(store, "enrol", *ENROL_ARGS, monkeypatch=monkeypatch).last_line
    before = (store / f"{case_id}.yaml").read_bytes()
    started = ana.run(store, "crypt", "start", str(ana.public_key), monkeypatch=monkeypatch)
    assert started.exit_code == 0, started.stderr
    assert (store / f"{case_id}.yaml").read_bytes() == before  # the work tree stays plain
    head = subprocess.run(["git", "show", f"HEAD:{case_id}.yaml"], cwd=store,
                          capture_output=True, check=True).stdout  # fmt: skip
    assert crypt.is_encrypted(head)
    assert git(store, "status", "--porcelain").strip() == ""
    again = ana.run(store, "crypt", "start", monkeypatch=monkeypatch)
    assert again.exit_code == 2 and "already encrypted" in again.stderr
    log_contact(ana, store, case_id, "2026-11-19", 20, monkeypatch)
    assert minutes_of(store, case_id) == [20]
    assert crypt.is_encrypted(subprocess.run(["git", "show", f"HEAD:{case_id}.yaml"], cwd=store,
                                             capture_output=True, check=True).stdout)  # fmt: skip


def test_the_encrypted_block_of_gitattributes_is_rewritten_not_repeated() -> None:
    base = "a merge=accomp\n"
    first = crypt.with_block(base, "default")
    assert crypt.current_key(first) == "default"
    second = crypt.with_block(first, "k2")
    assert crypt.current_key(second) == "k2"
    assert second.count(crypt.BLOCK_START) == 1 and second.startswith(base)
    assert crypt.with_block(second, "k2") == second
    assert crypt.current_key(base) is None
    assert [crypt.generation(k) for k in ("default", "k2", "k10")] == [1, 2, 10]


def test_an_encrypted_store_inside_a_larger_repository_is_refused_before_anything_is_written(
    tmp_path: Path, people, monkeypatch
) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    git_init = subprocess.run(["git", "init", "-q", str(outer)], capture_output=True)
    assert git_init.returncode == 0
    monkeypatch.setenv("GNUPGHOME", str(people["ana"].home))
    made = invoke_cli(["init", "--encrypted", "--gpg-key", str(people["ana"].public_key),
                       str(outer / "store")])  # fmt: skip
    assert made.exit_code == 2 and "repository of its own" in made.stderr
    assert not (outer / "store").exists()
    not_a_key = tmp_path / "not-a-key.asc"
    not_a_key.write_text("hello")
    made = invoke_cli(["init", "--encrypted", "--gpg-key", str(not_a_key), str(tmp_path / "s")])
    assert made.exit_code == 2 and "not one exported GPG public key" in made.stderr
    assert not (tmp_path / "s").exists()
