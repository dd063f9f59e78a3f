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


# What a user can do about a failure of the system (not a bug of accomp), by errno name.
SYSTEM_ADVICE = {
    "ENOSPC": "the disk is full: free some space, then run the command again",
    "EDQUOT": "the disk quota is used up: free some space, then run the command again",
    "EACCES": "permission denied: check the file's owner and mode (accomp's files are 0600)",
    "EPERM": "not permitted: the file may be immutable or owned by someone else",
    "EROFS": "the file system is read-only: commands that read work; write from a writable copy",
    "EBUSY": "the file is busy: close what uses it, then run the command again",
    "ETXTBSY": "the file is busy: close what uses it, then run the command again",
    "EMFILE": "too many open files: close other programs or raise `ulimit -n`, then retry",
    "ENFILE": "the system has too many open files: try again in a moment",
    "EIO": "an input/output error: the disk or network share may be failing",
}


def system_error(exc: OSError) -> AccompError | None:
    """A failure of the system as a one-line error naming the file, or None (a bug, then).

    Writes are atomic, so such a failure leaves every file whole.
    """
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    advice = SYSTEM_ADVICE.get(name)
    if advice is None:
        return None
    where = f"{exc.filename}: " if exc.filename else ""
    return StoreError(f"{where}{advice}; nothing was half-written")
