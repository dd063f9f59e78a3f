"""Encryption at rest on the shared remote, with git-crypt (called as a program).

Why git-crypt (the evaluation is in docs/encryption.md): it encrypts each file
deterministically (the same text gives the same bytes), so an unchanged case
file stays the same blob, `git status` does not see every file as changed, and
a merge gives the same bytes whichever clone makes it; it is a maintained C++
program packaged by Debian; it gives each counsellor their own key (the store's
key, encrypted to each counsellor's GPG key in `.git-crypt/keys/`). The working
clones stay plain: only the repository's blobs (and so the remote's) are
encrypted.

What this module adds around it:

* which files are encrypted: case files and session files (`.gitattributes`,
  a block written here); accomp.yaml stays plain (no jobseeker's data, and a
  locked clone can still say what it is);
* the counsellors' public keys, committed in `crypt-keys/` so that whoever
  changes the key can give it to everyone who keeps access;
* revocation: a new key (`k2`, `k3`…) given to everyone but the one who leaves,
  every encrypted file re-encrypted with it in one commit; the history before
  stays under the old key, which the leaver had (as they had a plain clone);
* the merge driver's edge: git hands a merge driver the repository's (encrypted)
  versions; `decrypt` and `encrypt` turn them to text and back;
* `sync` given a new key: it takes it from what it fetched, before merging.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from accomp.errors import StoreError
from accomp.store import commits, files, git, yamlio

MAGIC = yamlio.GIT_CRYPT_PREFIX  # how every file git-crypt encrypted begins
DEFAULT_KEY = "default"
KEYS_DIR = ".git-crypt/keys"  # committed by git-crypt: the store's key per GPG key
PUBLIC_KEYS_DIR = "crypt-keys"  # committed by accomp: the counsellors' public keys
BLOCK_START = "# -- encrypted at rest (accomp crypt): do not edit this block --"
BLOCK_END = "# -- end of the encrypted block --"
ENCRYPTED_PATTERNS = ("[0-9][0-9][0-9][0-9]-*.yaml", "sessions/*.yaml")
_FILTER = re.compile(r"\bfilter=git-crypt(?:-(\S+))?")
_INSTALL = "install it (Debian: `apt install git-crypt gnupg`)"


class CryptError(StoreError):
    """git-crypt or gpg failed, or a key is missing."""


def is_encrypted(data: bytes) -> bool:
    """Whether these bytes are a file git-crypt encrypted (a locked clone's case file)."""
    return data.startswith(MAGIC)


def generation(key_name: str) -> int:
    """The default key is the first; `kN` the Nth (a new one at each revocation)."""
    if key_name == DEFAULT_KEY:
        return 1
    match = re.fullmatch(r"k(\d+)", key_name)
    return int(match.group(1)) if match else 0


def current_key(attributes: str) -> str | None:
    """The key the store encrypts with, read from its .gitattributes text (None: plain)."""
    names = [m.group(1) or DEFAULT_KEY for m in _FILTER.finditer(attributes)]
    return max(names, key=generation) if names else None


def store_key(root: Path) -> str | None:
    """The key the store at `root` encrypts with, or None when it is not encrypted."""
    try:
        return current_key((root / ".gitattributes").read_text(errors="replace"))
    except OSError:
        return None


def attributes_block(key_name: str) -> str:
    """The .gitattributes lines that encrypt case and session files with `key_name`."""
    name = "git-crypt" if key_name == DEFAULT_KEY else f"git-crypt-{key_name}"
    lines = [f"{pattern} filter={name} diff={name}" for pattern in ENCRYPTED_PATTERNS]
    # Session files are merged by the driver too (as lines): git's own merge cannot
    # read the encrypted versions it is given.
    lines[1] += " merge=accomp"
    return "\n".join([BLOCK_START, *lines, BLOCK_END]) + "\n"


def with_block(attributes: str, key_name: str) -> str:
    """`attributes` with its encrypted block (re)written for `key_name`."""
    start, end = attributes.find(BLOCK_START), attributes.find(BLOCK_END)
    if start >= 0 and end > start:
        attributes = attributes[:start] + attributes[end + len(BLOCK_END) :].lstrip("\n")
    if attributes and not attributes.endswith("\n"):
        attributes += "\n"
    return attributes + attributes_block(key_name)


# -- programs ------------------------------------------------------------------------


def require_programs() -> None:
    for program in ("git-crypt", "gpg"):
        if shutil.which(program) is None:
            raise CryptError(f"{program} is not installed: {_INSTALL}")


def _run(args: Sequence[str], cwd: Path, data: bytes | None = None) -> tuple[int, bytes, str]:
    try:
        return git.run_program(args, cwd, data)
    except FileNotFoundError:
        raise CryptError(f"{args[0]} is not installed: {_INSTALL}") from None


def _last_line(text: str) -> str:
    """The line that says what went wrong (git-crypt follows it with advice)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no reason given"])[0 if errors else -1]


def _git_crypt(repo: Path, *args: str) -> None:
    code, out, err = _run(["git-crypt", *args], repo)
    if code != 0:
        raise CryptError(f"git-crypt {args[0]} failed: {_last_line(err or out.decode())}")


def _key_option(key_name: str) -> list[str]:
    return [] if key_name == DEFAULT_KEY else [f"--key-name={key_name}"]


# -- this clone's keys ---------------------------------------------------------------


def clone_keys(repo: Path) -> list[str]:
    """The keys this clone holds (unlocked), newest first."""
    gitdir = git.git_dir(repo)
    folder = gitdir / "git-crypt" / "keys" if gitdir else None
    if folder is None or not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if p.is_file()), key=generation, reverse=True)


def locked(root: Path) -> str | None:
    """Why this clone cannot read the store's encrypted files (None: it can, or it is plain)."""
    key = store_key(root)
    if key is None:
        return None
    if key in clone_keys(root):
        return None
    return (
        f"this clone of the store has not got its key ({key}): its case files are encrypted; "
        "run `accomp crypt unlock` (your GPG key must have been added: `accomp crypt add-user`)"
    )


def decrypt(repo: Path, data: bytes) -> tuple[bytes, str | None]:
    """The text of a repository version and the key that opened it (None: it was plain)."""
    if not is_encrypted(data):
        return data, None
    for key in clone_keys(repo):
        code, out, _ = _run(["git-crypt", "smudge", *_key_option(key)], repo, data)
        if code == 0:
            return out, key
    raise CryptError("a version of the file is encrypted with a key this clone has not got")


def encrypt(repo: Path, data: bytes, key_name: str) -> bytes:
    """The repository version of `data` under `key_name` (the same bytes for the same text)."""
    code, out, err = _run(["git-crypt", "clean", *_key_option(key_name)], repo, data)
    if code != 0:
        raise CryptError(f"git-crypt clean failed: {_last_line(err)}")
    return out


# -- GPG keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    can_encrypt: bool


def _gpg_keys(args: Sequence[str], cwd: Path) -> list[PublicKey]:
    code, out, _ = _run(["gpg", "--batch", "--with-colons", *args], cwd)
    if code != 0:
        return []
    keys: list[PublicKey] = []
    capabilities = ""
    for line in out.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sec"):
            capabilities = fields[11] if len(fields) > 11 else ""
            keys.append(PublicKey("", "E" in capabilities))
        elif fields[0] == "fpr" and keys and not keys[-1].fingerprint:
            keys[-1] = PublicKey(fields[9], keys[-1].can_encrypt)
    return keys


def secret_fingerprints(cwd: Path) -> set[str]:
    """The fingerprints of the GPG keys whose secret part is on this machine."""
    return {key.fingerprint for key in _gpg_keys(["--list-secret-keys"], cwd)}


def import_public_key(repo: Path, key_file: Path) -> str:
    """Import one exported public key into this machine's keyring; its fingerprint."""
    try:
        data = files.read_regular(key_file)
    except OSError as exc:
        raise CryptError(f"{key_file}: cannot read the public key ({exc.strerror})") from None
    code, out, _ = _run(["gpg", "--batch", "--with-colons", "--import-options", "show-only",
                         "--import"], repo, data)  # fmt: skip
    fingerprints = []
    lines = out.decode("utf-8", "replace").splitlines()
    for previous, line in zip(["", *lines], lines, strict=False):
        if line.startswith("fpr:") and previous.startswith("pub:"):
            fingerprints.append(line.split(":")[9])
    if code != 0 or len(fingerprints) != 1:
        raise CryptError(
            f"{key_file}: not one exported GPG public key (export it with "
            "`gpg --export --armor YOUR-EMAIL > you.asc`)"
        )
    code, _, err = _run(["gpg", "--batch", "--import"], repo, data)
    if code != 0:
        raise CryptError(f"{key_file}: gpg could not import it: {_last_line(err)}")
    fingerprint = fingerprints[0]
    keys = _gpg_keys(["--list-keys", fingerprint], repo)
    if not keys or not keys[0].can_encrypt:
        raise CryptError(f"{key_file}: the GPG key {fingerprint} cannot encrypt (no encryption "
                         "subkey, expired or revoked)")  # fmt: skip
    return fingerprint


def holders(root: Path, key_name: str) -> list[str]:
    """The fingerprints of the GPG keys given the store's key `key_name` (committed)."""
    folder = root / KEYS_DIR / key_name / "0"
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".gpg")] for p in folder.glob("*.gpg"))


def public_key_path(root: Path, fingerprint: str) -> Path:
    return root / PUBLIC_KEYS_DIR / f"{fingerprint}.asc"


# -- what the commands do ------------------------------------------------------------


def _own_repo(root: Path) -> Path:
    repo = git.repository_root(root)
    if repo is None or repo != root.resolve():
        raise CryptError(
            f"{root}: encryption needs the store to be the top folder of its own git repository"
        )
    return repo


def encrypted_files(root: Path) -> list[Path]:
    """The files of the store that are encrypted at rest (case files, session files)."""
    found = [p for pattern in ENCRYPTED_PATTERNS for p in root.glob(pattern) if p.is_file()]
    return sorted(found)


def is_encrypted_path(relative: str) -> bool:
    """Whether the store file at `relative` (to the store's top) is one encrypted at rest:
    the same patterns as `encrypted_files`, without reading the folder."""
    return any(
        relative.count("/") == pattern.count("/") and fnmatch.fnmatchcase(relative, pattern)
        for pattern in ENCRYPTED_PATTERNS
    )


def start(root: Path, key_files: Sequence[Path], author: str | None) -> list[str]:
    """Encrypt the store from now on: a key, the counsellors' GPG keys, the files."""
    require_programs()
    repo = _own_repo(root)
    code, committed, _ = git.run_git(repo, "show", "HEAD:.gitattributes")
    if code == 0 and current_key(committed) is not None:
        raise CryptError(f"{root}: the store is already encrypted (see `accomp crypt status`)")
    _refuse_uncommitted(repo)
    if DEFAULT_KEY not in clone_keys(repo):
        _git_crypt(repo, "init")
    fingerprints = [_give_key(repo, root, key_file, DEFAULT_KEY) for key_file in key_files]
    attributes = root / ".gitattributes"
    existing = attributes.read_text(errors="replace") if attributes.exists() else git.GITATTRIBUTES
    files.atomic_write(attributes, with_block(existing, DEFAULT_KEY).encode("utf-8"))
    encrypted = encrypted_files(root)
    _renormalize(repo, encrypted)
    paths = [attributes, *encrypted, *_key_paths(root, fingerprints, DEFAULT_KEY)]
    message = f"crypt: case and session files encrypted at rest ({len(encrypted)} file(s))"
    commits.commit_paths(repo, paths, message, author)
    return fingerprints


# What `start` and `revoke` write themselves: a run cut short leaves them, and runs again.
OWN_FILES = (".gitattributes", ".git-crypt/", f"{PUBLIC_KEYS_DIR}/")


def _refuse_uncommitted(repo: Path) -> None:
    listed = git.run_git(repo, "status", "--porcelain", "--untracked-files=no")[1]
    changed = [line[3:] for line in listed.splitlines() if line[3:]]
    if any(not path.startswith(OWN_FILES) for path in changed):
        raise CryptError("the store has uncommitted changes: commit them (`accomp sync`) first")


def _renormalize(repo: Path, paths: Sequence[Path]) -> None:
    if paths:
        relative = [str(p.resolve().relative_to(repo)) for p in paths]
        code, _, err = git.run_git(repo, "add", "--renormalize", "--", *relative)
        if code != 0:
            raise CryptError(f"git could not encrypt the files: {_last_line(err)}")


def _give_key(repo: Path, root: Path, key_file: Path, key_name: str) -> str:
    fingerprint = import_public_key(repo, key_file)
    _add_holder(repo, root, fingerprint, key_name)
    target = public_key_path(root, fingerprint)
    files.make_private_dir(target.parent)
    code, out, err = _run(["gpg", "--batch", "--armor", "--export", fingerprint], repo)
    if code != 0 or not out:
        raise CryptError(f"gpg could not export the key {fingerprint}: {_last_line(err)}")
    files.atomic_write(target, out)
    return fingerprint


def _add_holder(repo: Path, root: Path, fingerprint: str, key_name: str) -> None:
    if fingerprint in holders(root, key_name):
        return
    _git_crypt(repo, "add-gpg-user", *(["-k", key_name] if key_name != DEFAULT_KEY else []),
               "--no-commit", "--trusted", fingerprint)  # fmt: skip


def _key_paths(root: Path, fingerprints: Sequence[str], key_name: str) -> list[Path]:
    paths = [root / KEYS_DIR / key_name / "0" / f"{f}.gpg" for f in fingerprints]
    paths += [public_key_path(root, f) for f in fingerprints]
    gitattributes = root / ".git-crypt" / ".gitattributes"
    return [*paths, gitattributes] if gitattributes.exists() else paths


def check_before_init(root: Path, key_files: Sequence[Path]) -> None:
    """What `init --encrypted` needs, checked before the store is made: the programs, a
    repository of its own (not a folder of a larger one), public keys that import."""
    require_programs()
    existing = next((p for p in (root, *root.parents) if p.is_dir()), None)
    if existing is not None:
        repo = git.repository_root(existing)
        if repo is not None and repo != root and not git.is_ignored(repo, existing):
            raise CryptError(f"{root}: inside the git repository {repo}: an encrypted store "
                             "must be a repository of its own; choose another folder")  # fmt: skip
    for key_file in key_files:
        import_public_key(existing or Path.cwd(), key_file)


def add_user(root: Path, key_file: Path, author: str | None) -> str:
    """Give the store's key to one more counsellor (their exported GPG public key)."""
    require_programs()
    repo = _own_repo(root)
    key = _unlocked_key(root)
    fingerprint = _give_key(repo, root, key_file, key)
    message = f"crypt: key {key} given to the GPG key {fingerprint}"
    commits.commit_paths(repo, _key_paths(root, [fingerprint], key), message, author)
    return fingerprint


def _unlocked_key(root: Path) -> str:
    key = store_key(root)
    if key is None:
        raise CryptError("the store is not encrypted: start with `accomp crypt start`")
    reason = locked(root)
    if reason:
        raise CryptError(reason)
    return key


def revoke(root: Path, fingerprint: str, author: str | None) -> tuple[str, list[str], int]:
    """A new key for everyone but `fingerprint`, every encrypted file re-encrypted with it.

    Returns (the new key, who holds it, how many files were re-encrypted)."""
    require_programs()
    repo = _own_repo(root)
    key = _unlocked_key(root)
    current = holders(root, key)
    wanted = fingerprint.upper().replace(" ", "")
    if not re.fullmatch(r"[0-9A-F]{16,40}", wanted):
        raise CryptError(f"{fingerprint}: give the GPG key's fingerprint, at least its last 16 "
                         "hex digits (see `accomp crypt status`)")  # fmt: skip
    matches = [f for f in current if f.upper().endswith(wanted)]
    if matches and matches[0] in secret_fingerprints(repo):
        raise CryptError(f"{fingerprint}: that is a GPG key of this machine: revoke someone "
                         "else's, from the clone of someone who stays")  # fmt: skip
    if len(matches) != 1:
        raise CryptError(f"{fingerprint}: not one of the GPG keys that hold the store's key "
                         "(see `accomp crypt status`)")  # fmt: skip
    keeping = [f for f in current if f != matches[0]]
    if not keeping:
        raise CryptError("nobody would keep the store's key: add a counsellor's key first")
    _refuse_uncommitted(repo)
    new_key = f"k{generation(key) + 1}"
    if new_key not in clone_keys(repo):
        _git_crypt(repo, "init", "-k", new_key)
    for holder in keeping:
        public = public_key_path(root, holder)
        if public.is_file():
            import_public_key(repo, public)
        _add_holder(repo, root, holder, new_key)
    attributes = root / ".gitattributes"
    files.atomic_write(attributes, with_block(attributes.read_text(), new_key).encode("utf-8"))
    encrypted = encrypted_files(root)
    _renormalize(repo, encrypted)
    paths = [attributes, *encrypted, *_key_paths(root, keeping, new_key)]
    message = (f"crypt: new key {new_key} without the GPG key {matches[0]}; "
               f"{len(encrypted)} file(s) re-encrypted")  # fmt: skip
    commits.commit_paths(repo, paths, message, author)
    return new_key, keeping, len(encrypted)


def unlock(root: Path, key_file: Path | None) -> list[str]:
    """Give this clone the store's keys: from the GPG keys on this machine, or a key file
    (`accomp crypt export-key`). Returns the keys this clone then holds."""
    require_programs()
    repo = _own_repo(root)
    if store_key(root) is None:
        raise CryptError("the store is not encrypted: there is nothing to unlock")
    if key_file is not None:
        _git_crypt(repo, "unlock", str(key_file.resolve()))
        return clone_keys(repo)
    given = {f for folder in (root / KEYS_DIR).glob("*") for f in holders(root, folder.name)}
    if not given & secret_fingerprints(repo):
        raise CryptError(
            "none of the GPG keys on this machine was given the store's key: send your public "
            "key (`gpg --export --armor YOUR-EMAIL > you.asc`) to the coordinator, who runs "
            "`accomp crypt add-user you.asc` and syncs"
        )
    _git_crypt(repo, "unlock")
    key = store_key(root)
    if key not in clone_keys(repo):
        raise CryptError(
            f"your GPG key was not given the store's current key ({key}): the "
            "older versions open, the current files do not; ask the coordinator"
        )
    return clone_keys(repo)


def export_key(root: Path, target: Path) -> str:
    """Write the store's current key to `target` (0600): the coordinator's spare, kept offline."""
    require_programs()
    repo = _own_repo(root)
    key = _unlocked_key(root)
    if target.exists():
        raise CryptError(f"{target} exists: give a new file")
    _git_crypt(repo, "export-key", *(["-k", key] if key != DEFAULT_KEY else []), str(target))
    os.chmod(target, files.FILE_MODE)
    return key


def take_new_keys(repo: Path, revision: str) -> list[str]:
    """Before merging `revision` (fetched): unlock the keys it encrypts with that this clone
    has not got yet, from the GPG keys on this machine. Returns the keys taken."""
    code, attributes, _ = git.run_git(repo, "show", f"{revision}:.gitattributes")
    key = current_key(attributes) if code == 0 else None
    if key is None or key in clone_keys(repo):
        return []
    require_programs()
    mine = secret_fingerprints(repo)
    code, listing, _ = git.run_git(repo, "ls-tree", "--name-only", f"{revision}:{KEYS_DIR}/{key}/0")
    given = [name[: -len(".gpg")] for name in listing.split() if name.endswith(".gpg")]
    for fingerprint in sorted(set(given) & mine):
        given_copy = f"{revision}:{KEYS_DIR}/{key}/0/{fingerprint}.gpg"
        blob = git.run_git_bytes(repo, "show", given_copy)[1]
        code, key_data, _ = _run(["gpg", "--batch", "--quiet", "--decrypt"], repo, blob)
        if code != 0:
            continue
        spare = git.git_dir(repo) / "git-crypt-incoming.key"  # type: ignore[operator]
        try:
            files.atomic_write(spare, key_data)
            _git_crypt(repo, "unlock", str(spare))
        finally:
            spare.unlink(missing_ok=True)
        return [key]
    raise CryptError(
        f"the remote's case files are encrypted with a key ({key}) not given to any GPG key on "
        "this machine: ask the coordinator to add yours (`accomp crypt add-user`); nothing was "
        "merged"
    )


def reencrypt_outgoing(repo: Path, root: Path, remote_tip: str | None, author: str | None) -> int:
    """Before a push: every encrypted file this clone would send (those that differ from the
    remote's tip) encrypted again with the store's current key, committed. A file made in a
    clone before it received a new key (`start`, `revoke`) was committed under the old key
    or none; a merge keeps such a file as it was when only one side changed it. Returns how
    many files were re-encrypted."""
    key = store_key(root)
    if key is None:
        return 0
    if remote_tip is None:
        paths = encrypted_files(root)
    else:
        code, listed, _ = git.run_git(repo, "diff", "--name-only", "-z", remote_tip, "HEAD")
        names = [n for n in listed.split("\0") if n] if code == 0 else []
        paths = [repo / name for name in names if is_encrypted_path(name)]
    if not paths:
        return 0
    _renormalize(repo, paths)
    relative = [str(p.resolve().relative_to(repo)) for p in paths]
    staged = git.run_git(repo, "diff", "--cached", "--name-only", "--", *relative)[1].split()
    if not staged:
        return 0
    message = f"crypt: {len(staged)} file(s) encrypted with the store's key {key} before sending"
    commits.commit_paths(repo, [repo / name for name in staged], message, author)
    return len(staged)
