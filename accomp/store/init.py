"""Creating a store: settings, schemas for editors, .gitignore, git and its hook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accomp.errors import StoreError
from accomp.resources import defaults_text, schema_dir
from accomp.store import commits, files, git
from accomp.store.checking import display_path
from accomp.store.store import DERIVED_DIR, SETTINGS_FILE

GITIGNORE = f"""# Derived files of accomp (locks, caches, pseudonymisation key): never commit them.
{DERIVED_DIR}/
.tmp-*
.merge_file_*
"""


@dataclass(frozen=True)
class InitReport:
    """What `create_store` did."""

    root: Path
    repo: Path | None
    git_initialised: bool


def create_store(root: Path, accomp_command: str, author: str | None) -> InitReport:
    """Create a new store in `root` (which may exist but must not hold a store).

    Writes accomp.yaml (the commented defaults), schemas/ (so that editors
    validate case files live), .gitignore, .gitattributes (case files merge as
    data); runs `git init` when git is there and the folder is not already in
    a repository, installs a pre-commit hook that validates staged case files,
    registers the merge driver, and commits the new files.
    """
    if (root / SETTINGS_FILE).exists():
        raise StoreError(f"{display_path(root)} already holds a store ({SETTINGS_FILE} exists)")
    if root.exists() and not root.is_dir():
        raise StoreError(f"{display_path(root)} exists and is not a folder")
    files.make_private_dir(root)
    written = [root / SETTINGS_FILE, root / ".gitignore", root / ".gitattributes"]
    files.atomic_write(root / SETTINGS_FILE, defaults_text().encode("utf-8"))
    files.atomic_write(root / ".gitignore", GITIGNORE.encode("utf-8"))
    files.atomic_write(root / ".gitattributes", git.GITATTRIBUTES.encode("utf-8"))
    files.make_private_dir(root / "schemas")
    for schema in sorted(schema_dir().glob("*.schema.json")):
        target = root / "schemas" / schema.name
        files.atomic_write(target, schema.read_bytes())
        written.append(target)
    files.make_private_dir(root / DERIVED_DIR)

    repo = git.repository_root(root)
    if repo is not None and git.is_ignored(repo, root):
        repo = None  # a store in a folder its parent repository ignores gets its own repository
    initialised = False
    if repo is None and git.git_available():
        git.init_repository(root)
        repo, initialised = root.resolve(), True
    if repo is not None:
        if repo == root.resolve():
            git.install_pre_commit_hook(repo, ".", accomp_command)
            git.register_merge_driver(repo, accomp_command)
        commits.commit_paths(repo, written, "init store", author)
    from accomp.store.store import Store
    from accomp.store.sync import set_up_clone

    set_up_clone(Store(root))  # so that the first command has nothing to set up
    return InitReport(root, repo, initialised)
