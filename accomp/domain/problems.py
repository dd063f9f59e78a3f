"""Problems found in a document: a field path, a message, a severity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a look) at one place of a document.

    `path` is the JSON path of the field, e.g. ("enrolment", "start");
    `key` is set when the problem is a key itself (an unknown field).
    """

    path: tuple[str | int, ...]
    message: str
    severity: Severity = "error"
    key: str | None = None

    @property
    def field(self) -> str:
        """The dotted field name, e.g. `contacts[2].date`."""
        parts = [*self.path, self.key] if self.key else list(self.path)
        text = ""
        for part in parts:
            if isinstance(part, int):
                text += f"[{part}]"
                continue
            name = str(part)
            if not name or not name.isprintable() or name.strip() != name:
                name = repr(name)  # a key with a newline must not break the one-line message
            text += f".{name}" if text else name
        return text or "(document)"


def error(path: tuple[str | int, ...], message: str) -> Problem:
    """An error at `path`."""
    return Problem(tuple(path), message, "error")


def warning(path: tuple[str | int, ...], message: str) -> Problem:
    """A warning at `path`."""
    return Problem(tuple(path), message, "warning")
