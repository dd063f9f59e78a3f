"""Letter templates: a store's own (`templates/<name>.md`, kept in git: they hold no
names, only placeholders) before accomp's (accomp/templates/letters)."""

from __future__ import annotations

import re
from pathlib import Path

from accomp.errors import UsageError
from accomp.resources import package_path
from accomp.store import files

TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def _folders(store_root: Path) -> list[Path]:
    return [store_root / "templates", package_path("templates/letters")]


def available(store_root: Path) -> list[str]:
    """Every template name a letter may use, sorted."""
    return sorted({p.stem for folder in _folders(store_root) for p in folder.glob("*.md")})


def letter_template(store_root: Path, name: str) -> str:
    """The text of the template `name`; a usage error naming the known ones otherwise."""
    if TEMPLATE_NAME.match(name):
        for folder in _folders(store_root):
            path = folder / f"{name}.md"
            if path.is_file():
                try:
                    return files.read_regular(path).decode("utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise UsageError(f"{path}: cannot read the template ({exc})") from None
    known = ", ".join(available(store_root))
    raise UsageError(f"--template: no template {name!r} (known: {known}; add templates/{name}.md)")
