"""A team on one store: clones set up, `accomp sync`, conflicts listed and settled.

Git is the engine; this module makes it safe for people who never learnt it:

* `set_up_clone`: a fresh `git clone` carries neither the repository's config
  (the merge driver) nor hooks nor private file modes. The first accomp command
  in a clone registers the driver, installs the pre-commit hook and makes the
  store's files private, once (a marker in `.accomp/` remembers it).
* `sync`: commit what was edited by hand (validated), fetch, merge with the
  driver, check what came in, push; a push refused because someone pushed
  meanwhile is fetched and merged again, a bounded number of times.
* `conflicts` and `resolve`: the driver records each true conflict; a
  counsellor settles one field at a time, and the last one finishes the merge
  commit.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from accomp.domain.entries import needs_upgrade
from accomp.domain.ids import CASE_ID
from accomp.domain.merge import MISSING, Conflict, set_at
from accomp.errors import DocumentRefused, StoreError, UsageError
from accomp.store import commits, crypt, files, git, merge_driver, yamlio
from accomp.store.checking import check_text
from accomp.store.store import (
    CLONE_MARKER,
    DERIVED_DIR,
    SETTINGS_FILE,
    Store,
    accomp_command,
    clone_marker,
)

SETTLED_FILE = "settled.json"  # in the conflicts folder: the files settled in this merge
PUSH_ATTEMPTS = 5


def _own_repository(store: Store) -> Path | None:
    """The store's repository when the store is its top folder (a store kept inside a larger
    repository is left as its owners set it up)."""
    repo = store.repo
    if repo is None or repo != store.root.resolve():
        return None
    return repo


def set_up_clone(store: Store) -> list[str]:
    """Make a clone a store like any other, once; returns what was done (empty: nothing)."""
    if store.clone_is_set_up():
        return []
    marker = store.root / DERIVED_DIR / CLONE_MARKER
    command = accomp_command()
    repo = _own_repository(store)
    done = []
    if repo is None:  # not in git, or kept inside a larger repository: nothing to set up
        _write_marker(marker, command)
        return done
    if _read_only(store.root):
        # A read-only share: reads need none of it, writes are refused anyway, and the
        # first command on a writable clone sets it up.
        return []
    if git.register_merge_driver(repo, command):
        done.append("registered the merge driver")
    hooks = git.hooks_dir(store.root)
    if hooks is not None and not (hooks / "pre-commit").exists():
        git.install_pre_commit_hook(repo, ".", command)
        done.append("installed the pre-commit hook")
    if make_private(store.root):
        done.append("made the store's files private")
    _write_marker(marker, command)
    return done


def _read_only(root: Path) -> bool:
    """Whether the store's file system is mounted read-only (not known: False)."""
    try:
        return bool(os.statvfs(root).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows)
        return False


def _write_marker(marker: Path, command: str) -> None:
    try:
        files.make_private_dir(marker.parent)
        files.atomic_write(marker, clone_marker(command))
    except OSError:
        pass  # a read-only store: set up again next time


def make_private(root: Path) -> int:
    """The store's own files 0600 and folders 0700 (a clone's come out 0644 and 0755):
    the store folder, its case files and settings, schemas/, .accomp/ and .git/ (whose
    contents are then out of others' reach; for a linked work tree, whose .git is a file,
    the main repository's git folder, which holds its history). Other files a user keeps
    there are left alone. Returns how many modes changed."""
    owned: list[tuple[Path, int]] = [(root, files.DIR_MODE)]
    for path in root.iterdir():
        name = path.name
        if path.is_symlink():
            continue
        if name == ".git" and path.is_file():
            history = git.common_dir(root)
            if history is not None:
                owned.append((history, files.DIR_MODE))
            continue
        if name in (".git", DERIVED_DIR, "schemas") and path.is_dir():
            owned.append((path, files.DIR_MODE))
            if name == "schemas":
                owned += [(p, files.FILE_MODE) for p in path.iterdir() if p.is_file()]
        elif path.is_file() and (
            name in (SETTINGS_FILE, ".gitignore", ".gitattributes")
            or (name.endswith(".yaml") and CASE_ID.match(name[:-5]))
        ):
            owned.append((path, files.FILE_MODE))
    changed = 0
    for path, mode in owned:
        try:
            if path.stat().st_mode & 0o777 != mode:
                os.chmod(path, mode)
                changed += 1
        except OSError:
            continue
    return changed


# -- sync --------------------------------------------------------------------------


@dataclass
class SyncReport:
    remote: str
    branch: str
    hand_edits: list[str] = field(default_factory=list)  # case ids committed as hand edits
    received: list[str] = field(default_factory=list)  # case ids the merge brought or changed
    pushed: bool = False
    conflicted: list[str] = field(default_factory=list)  # files with true conflicts
    invalid: list[str] = field(default_factory=list)  # problems of what came in, one line each
    attempts: int = 0
    keys_taken: list[str] = field(default_factory=list)  # encryption keys unlocked from the remote
    reencrypted: int = 0  # files sent encrypted again with the store's current key


def _git(repo: Path, *args: str, author: str | None = None) -> tuple[int, str, str]:
    return git.run_git(repo, *args, author=author)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


def _ids_of(paths: list[str]) -> list[str]:
    return sorted({Path(p).stem for p in paths if CASE_ID.match(Path(p).stem)})


def _id_list(case_ids: list[str], limit: int = 10) -> str:
    shown = ", ".join(case_ids[:limit])
    more = f" and {len(case_ids) - limit} more" if len(case_ids) > limit else ""
    return shown + more


def sync(store: Store, remote: str | None, author: str | None) -> SyncReport:
    """Commit hand edits, fetch, merge with the driver, check what came in, push."""
    repo = store.repo
    if repo is None:
        raise StoreError(
            f"the store {store.root} is not in a git repository: there is nothing to sync with"
        )
    set_up_clone(store)
    _remove_merge_leftovers(repo)
    if git.operation_in_progress(store.root) == "merge":
        _resume_merge(store, repo, author)  # a sync killed mid-way, or conflicts settled by git
    store.refuse_if_unfinished()
    merge_driver.forget_all(store.root)
    branch = _current_branch(repo)
    remote = remote or _default_remote(repo)
    report = SyncReport(remote, branch)
    report.hand_edits = commit_hand_edits(store, author)
    ensure_gitattributes(store, author)
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        report.attempts = attempt
        code, _, err = _git(repo, "fetch", "--quiet", remote)
        if code != 0:
            raise StoreError(
                f"cannot reach the remote {remote!r}: {_first_line(err)}; nothing was lost, "
                "your work stays in this clone: sync again when the remote is reachable"
            )
        theirs = f"refs/remotes/{remote}/{branch}"
        exists = _git(repo, "rev-parse", "--verify", "--quiet", theirs)[0] == 0
        if exists:
            report.keys_taken += crypt.take_new_keys(repo, theirs)
        if exists and not _merge(store, repo, theirs, remote, branch, report, author):
            return report  # stopped on conflicts
        report.reencrypted += crypt.reencrypt_outgoing(
            repo, store.root, theirs if exists else None, author
        )
        code, _, err = _git(repo, "push", "--quiet", "--set-upstream", remote, f"HEAD:{branch}")
        if code == 0:
            report.pushed = True
            return report
        if "fetch first" not in err and "non-fast-forward" not in err:  # not someone's push
            raise StoreError(
                f"could not push to {remote!r}: {_first_line(err)}; your commits are kept "
                "in this clone"
            )
    raise StoreError(
        f"the remote {remote!r} changed during each of {PUSH_ATTEMPTS} attempts: your work is "
        "merged and kept in this clone; sync again"
    )


GIT_MERGE_TEMP = ".merge_file_"  # git's copies of the three versions for a merge driver


def _remove_merge_leftovers(repo: Path) -> None:
    """Delete the copies of case files a merge killed mid-way left at the top of the work
    tree (git removes them itself otherwise). Only when no git holds the index: a merge
    running now needs its own."""
    gitdir = git.git_dir(repo)
    if gitdir is None or (gitdir / "index.lock").exists():
        return
    for leftover in repo.glob(f"{GIT_MERGE_TEMP}*"):
        leftover.unlink(missing_ok=True)


def _resume_merge(store: Store, repo: Path, author: str | None) -> None:
    """Finish a merge left unfinished without conflicts: files a killed driver (or a plain
    `git pull` without it) left unmerged are merged again from git's index, and when
    nothing is left to settle the merge is committed. Otherwise the merge stays."""
    _remerge_unrecorded(store, repo, store.today)
    if merge_driver.recorded_files(store.root) or git.unmerged_paths(repo):
        return
    code, out, err = _git(repo, "commit", "--quiet", "--no-verify", "--no-edit", author=author)
    if code != 0:
        raise StoreError(f"git could not finish the merge: {_first_line(err or out)}")


def _current_branch(repo: Path) -> str:
    code, out, _ = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    if code != 0:
        raise StoreError("the store's repository is not on a branch: check it out with git first")
    return out.strip()


def _default_remote(repo: Path) -> str:
    code, out, _ = _git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
    if code == 0 and "/" in out:
        return out.strip().split("/", 1)[0]
    remotes = _git(repo, "remote")[1].split()
    if "origin" in remotes or len(remotes) == 1:
        return "origin" if "origin" in remotes else remotes[0]
    if not remotes:
        raise StoreError(
            "the store has no remote to sync with: add the team's with "
            "`git remote add origin URL` (see README, Working as a team)"
        )
    raise StoreError(f"the store has several remotes ({', '.join(remotes)}): name one")


def _merge(
    store: Store,
    repo: Path,
    theirs: str,
    remote: str,
    branch: str,
    report: SyncReport,
    author: str | None,
) -> bool:
    """Merge the remote's branch; False when it stopped on conflicts."""
    before = _git(repo, "rev-parse", "HEAD")[1].strip()
    _, incoming, _ = _git(repo, "diff", "--name-only", f"HEAD...{theirs}")
    case_ids = _ids_of(incoming.split())
    message = f"sync: merge {remote}/{branch}"
    if case_ids:
        message += f" ({len(case_ids)} case file(s): {_id_list(case_ids)})"
    code, out, err = _git(
        repo, "merge", "--no-edit", "--no-verify", "-m", message, theirs, author=author
    )
    if code != 0:
        unmerged = git.unmerged_paths(repo)
        if not unmerged:
            raise StoreError(f"git could not merge {remote}/{branch}: {_first_line(err or out)}")
        report.conflicted = unmerged
        return False
    _, changed, _ = _git(repo, "diff", "--name-only", before, "HEAD")
    names = [p for p in changed.split() if p]
    received = _ids_of(names)
    report.received = sorted(set(report.received) | set(received))
    for relative in names:
        path = repo / relative
        if path.parent.resolve() == store.root.resolve() and path.is_file():
            os.chmod(path, files.FILE_MODE)
    if received:
        # What came in is checked through the cohort read path: the changed files are
        # parsed (on all the cores) and their views cached, the others answer from the
        # cache, so the next summary is warm.
        wanted = set(received)
        for record in store.iter_cases("problems"):
            if record.case_id in wanted:
                report.invalid += [p.render() for p in record.errors]
    return True


def ensure_gitattributes(store: Store, author: str | None) -> None:
    """A store made before sync existed gets its .gitattributes, committed."""
    path = store.root / ".gitattributes"
    if path.exists() and "merge=accomp" in path.read_text(errors="replace"):
        return
    existing = path.read_text(errors="replace") if path.exists() else ""
    files.atomic_write(path, (existing + git.GITATTRIBUTES).encode())
    if store.repo is not None:
        commits.commit_paths(store.repo, [path], "sync: merge case files with accomp", author)


def commit_hand_edits(store: Store, author: str | None) -> list[str]:
    """Commit the case files changed by hand (after validating them), as their own commit."""
    repo = store.repo
    if repo is None:
        return []
    root = store.root.resolve()
    paths = [
        path
        for path in git.changed_files(repo, [root])
        if path.parent == root and merge_driver.is_structured(path.name)
    ]
    for path in paths:
        if path.exists():
            record = next(store.check_paths([path]))
            if record.errors:
                raise StoreError(
                    f"{record.errors[0].render()}: this hand edit does not validate; fix it "
                    "before syncing (nothing was sent)"
                )
    return store.commit_hand_edits(paths, author)


# -- conflicts ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictLine:
    """One true conflict as `accomp conflicts` lists it."""

    file: str
    conflict: Conflict
    ours_by: tuple[str, str] | None
    theirs_by: tuple[str, str] | None

    @property
    def case_id(self) -> str:
        return self.file[: -len(".yaml")] if self.file != SETTINGS_FILE else SETTINGS_FILE


def conflicts(store: Store, today: dt.date) -> list[ConflictLine]:
    """The true conflicts of the unfinished merge (none when no merge is in progress)."""
    repo = store.repo
    if repo is None or git.operation_in_progress(store.root) is None:
        merge_driver.forget_all(store.root)
        return []
    _remerge_unrecorded(store, repo, today)
    lines = []
    for name in merge_driver.recorded_files(store.root):
        relative = str((store.root / name).resolve().relative_to(repo))
        ours_by = git.last_change(repo, "HEAD", relative)
        theirs_by = git.last_change(repo, "MERGE_HEAD", relative)
        for conflict in merge_driver.read_conflicts(store.root, name):
            lines.append(ConflictLine(name, conflict, ours_by, theirs_by))
    return lines


def unsettled_files(store: Store) -> list[str]:
    """Files git still lists as unmerged, outside what accomp merges (settled with git)."""
    repo = store.repo
    if repo is None:
        return []
    recorded = set(merge_driver.recorded_files(store.root))
    return [
        p for p in git.unmerged_paths(repo)
        if not ((repo / p).parent.resolve() == store.root.resolve()
                and Path(p).name in recorded)
    ]  # fmt: skip


def _remerge_unrecorded(store: Store, repo: Path, today: dt.date) -> None:
    """Merge again, from git's index, the store files left unmerged without a record (a plain
    `git pull` without the driver, a driver killed mid-way)."""
    recorded = set(merge_driver.recorded_files(store.root))
    for relative in git.unmerged_paths(repo):
        path = repo / relative
        if path.parent.resolve() != store.root.resolve() or path.name in recorded:
            continue
        if not merge_driver.is_structured(path.name):
            continue
        texts = []
        for stage in (1, 2, 3):  # --filters: as the work tree has it (decrypted)
            code, out, _ = _git(repo, "cat-file", "--filters", f":{stage}:{relative}")
            texts.append(out if code == 0 else "")
        try:
            documents = [yamlio.load_fast(t) if t.strip() else None for t in texts]
        except yamlio.YamlError:
            continue
        if not isinstance(documents[1], dict) or not isinstance(documents[2], dict):
            continue
        text, result = merge_driver.merge_texts(texts, documents, path.name, store.root, today)
        files.atomic_write(path, text.encode("utf-8"))
        merge_driver.record_conflicts(store.root, path.name, result)
        if not result.conflicts:
            _git(repo, "add", "--", relative)


def resolve(
    store: Store, typed_id: str, field_path: str, take: str, author: str | None
) -> tuple[int, bool]:
    """Settle one conflict; returns (conflicts left in the store, whether the merge is done)."""
    repo = store.repo
    if repo is None or git.operation_in_progress(store.root) != "merge":
        raise UsageError("no merge is in progress: there is nothing to resolve")
    name = SETTINGS_FILE if typed_id in (SETTINGS_FILE, "settings") else None
    if name is None:
        case_id = typed_id.upper()
        if not CASE_ID.match(case_id):
            raise UsageError(f"{typed_id!r} is not a case id")
        name = f"{case_id}.yaml"
    recorded = merge_driver.read_conflicts(store.root, name)
    chosen = next((c for c in recorded if c.field == field_path), None)
    if chosen is None:
        known = ", ".join(c.field for c in recorded) or "none"
        raise UsageError(f"no conflict on {field_path!r} in {name} (its conflicts: {known})")
    value = _taken_value(chosen, take)
    path = store.root / name
    with files.locked(store.lock_path(name[:-5]), f"case {name[:-5]}"):
        text = path.read_text(encoding="utf-8")
        current = yamlio.load_fast(text)
        updated = set_at(current, chosen.path, value)
        document = yamlio.load_round_trip(text)
        if chosen.path:
            yamlio.update_round_trip(document, updated)
        else:
            document = yamlio.update_round_trip(document, updated)
        new_text = yamlio.dump_round_trip(document, like=text)
        schema = "store" if name == SETTINGS_FILE else "casefile"
        settings = None if name == SETTINGS_FILE else store.settings
        checked, problems = check_text(path, new_text, schema, settings, store.today)
        if checked is None:
            first = next(p for p in problems if p.problem.severity == "error")
            raise DocumentRefused(name[:-5], first.problem.field, first.problem.message)
        files.atomic_write(path, new_text.encode("utf-8"))
    left = [c for c in recorded if c is not chosen]
    merge_driver.write_conflicts(store.root, name, left)
    _remember_settled(store.root, name)
    relative = str(path.resolve().relative_to(repo))
    if not left:
        _git(repo, "add", "--", relative)
    remaining = sum(len(merge_driver.read_conflicts(store.root, n))
                    for n in merge_driver.recorded_files(store.root))  # fmt: skip
    if remaining or git.unmerged_paths(repo):
        return remaining, False
    settled = _settled(store.root)
    case_ids = _ids_of(settled)
    named = _id_list(case_ids) if case_ids else SETTINGS_FILE
    code, out, err = _git(repo, "commit", "--quiet", "--no-verify", "--no-edit", "-m",
                          f"sync: merge with conflicts settled in {named}",
                          author=author)  # fmt: skip
    if code != 0:
        raise StoreError(f"git commit of the merge failed: {_first_line(err or out)}")
    (merge_driver.conflicts_folder(store.root) / SETTLED_FILE).unlink(missing_ok=True)
    return 0, True


def _taken_value(conflict: Conflict, take: str) -> Any:
    if take == "ours":
        return conflict.ours
    if take == "theirs":
        return conflict.theirs
    if not conflict.path:
        raise UsageError("the whole file can only be settled with --take ours or --take theirs")
    try:
        value = yamlio.load_fast(take)
    except yamlio.YamlError as exc:
        raise UsageError(f"--take: not a YAML value ({exc.message})") from None
    return value


def _remember_settled(root: Path, name: str) -> None:
    path = merge_driver.conflicts_folder(root) / SETTLED_FILE
    settled = sorted({*_settled(root), name})
    files.make_private_dir(path.parent)
    files.atomic_write(path, orjson.dumps(settled))


def _settled(root: Path) -> list[str]:
    try:
        return list(orjson.loads((merge_driver.conflicts_folder(root) / SETTLED_FILE).read_bytes()))
    except (OSError, orjson.JSONDecodeError):
        return []


def shown_value(conflict: Conflict, side: str, personal: bool) -> str:
    """A side's value for a listing: personal data and free text only when `personal`."""
    value = getattr(conflict, side)
    if value is MISSING:
        return "(removed)"
    if not personal and _is_personal(conflict.path):
        return "(hidden: personal data or free text; see `accomp conflicts ID`)"
    text = orjson.dumps(value).decode() if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


_FREE_TEXT = {"note", "text", "title", "employer", "reason", "partner", "strengths", "name"}


def _is_personal(path: tuple[str, ...]) -> bool:
    if not path:
        return True
    if path[0] in ("identity", "diagnostic"):
        return True
    # A whole entry may hold a note; a field of one is shown unless it is free text.
    return bool(set(path) & _FREE_TEXT) or (len(path) <= 2 and path[0] != "enrolment")


def migrate(store: Store, author: str | None) -> tuple[int, list[str]]:
    """Upgrade every case file to the current schema version in one batch (one commit);
    returns how many, and the first problem of each file too invalid to upgrade."""
    invalid = []
    with store.batch(author=author) as batch:
        for record in store.iter_cases("document"):
            if record.document is None:
                invalid.append(record.errors[0].render())
                continue
            if needs_upgrade(record.document):
                text = store.read_text(record.case_id)
                batch.stage_edit(record.case_id, text, yamlio.load_round_trip(text))
        batch.message = f"migrate: {len(batch.names)} case file(s) to schema version 2 (entry ids)"
    ensure_gitattributes(store, author)
    refresh_editor_schemas(store, author)
    return len(batch.names), invalid


def refresh_editor_schemas(store: Store, author: str | None) -> list[str]:
    """Bring the store's `schemas/` (what editors validate against while a person types) to
    this accomp's schemas, committed; returns the names rewritten. accomp itself always
    validates with its own, so stale copies only mislead editors (a new field flagged)."""
    from accomp.resources import schema_dir

    folder = store.root / "schemas"
    if not folder.is_dir():
        return []  # a store whose editors read the schemas elsewhere (the demo's, beside it)
    rewritten = []
    for schema in sorted(schema_dir().glob("*.schema.json")):
        target = folder / schema.name
        if not target.exists() or target.read_bytes() != schema.read_bytes():
            files.atomic_write(target, schema.read_bytes())
            rewritten.append(target)
    if rewritten and store.repo is not None:
        commits.commit_paths(store.repo, rewritten, "migrate: the editors' schemas", author)
    return [path.name for path in rewritten]
