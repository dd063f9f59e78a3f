"""The errors accomp reports to its users, each with its exit code.

Every message is one line that names the file, line, field or value at fault,
and carries case ids, never a person's name.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # the thing checked failed (validation errors, short weeks)
EXIT_USAGE = 2  # usage errors, bad input, unknown case


class AccompError(Exception):
    """An error to report in one line, with an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(AccompError):
    """Bad arguments or bad input given on the command line."""


class StoreError(AccompError):
    """The store cannot be found or read, or a case cannot be written."""


class CaseNotFound(AccompError):
    """No case file for this case id."""


class InvalidDocument(AccompError):
    """A case file or settings file does not parse or does not validate."""


class DocumentRefused(InvalidDocument):
    """A document a command was about to write does not validate: nothing is written."""

    def __init__(self, case_id: str, field: str, problem: str) -> None:
        super().__init__(f"{case_id}: {field}: {problem}; nothing was written")
        self.case_id = case_id
        self.field = field
        self.problem = problem


class LockBusy(AccompError):
    """Another command holds the lock of a case."""
