"""What the commands share: opening the store, typed options, parsing typed values."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from accomp.domain.dates import parse_date
from accomp.errors import StoreError, UsageError
from accomp.render import Format
from accomp.store import progress
from accomp.store.checking import CaseRecord
from accomp.store.crypt import locked
from accomp.store.git import operation_in_progress
from accomp.store.spool import PartReader, PartWriter, Piece
from accomp.store.store import Reading, Store, find_store
from accomp.store.writing import Transaction

TODAY_ENV = "ACCOMP_TODAY"  # YYYY-MM-DD: run as if today were that day (demos, tests)
USER_ENV = "ACCOMP_USER"
LATE_ENTRY_DAYS = 183  # what happened more than six months ago is recorded with a warning

AS_OPTION = typer.Option(
    None,
    "--as",
    metavar="NAME",
    help="Author of the git commit. Default: $ACCOMP_USER, else git's user.",
)
NO_COMMIT_OPTION = typer.Option(
    False, "--no-commit", help="Change the files but make no git commit."
)
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")


def complete_case_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a case id: the store's file names, never their contents."""
    try:
        store = Store(find_store(ctx.find_root().params.get("store")))
        paths = store.case_files()
    except OSError:
        return []
    typed = incomplete.upper()
    return [p.stem for p in paths if p.stem.startswith(typed)]


CASE_ARGUMENT = typer.Argument(
    ..., metavar="ID", help="The case id (e.g. 2026-K7F3Q).", autocompletion=complete_case_id
)


def today() -> dt.date:
    """Today, or the day $ACCOMP_TODAY names."""
    forced = os.environ.get(TODAY_ENV)
    if not forced:
        return dt.date.today()
    try:
        return parse_date(forced)
    except ValueError as exc:
        raise UsageError(f"${TODAY_ENV}: {exc}") from None


def open_store(ctx: typer.Context, near: Path | None = None, locked_ok: bool = False) -> Store:
    """The store named by --store, $ACCOMP_STORE, or found from the working folder.

    `near`: look for the store from this folder rather than the working one (a file's).
    A clone of an encrypted store that has not got its key is refused in one line
    (`locked_ok`: the commands that give it the key).
    A fresh clone is set up once (merge driver, hook, private files); an
    unfinished merge is said on every command (writes refuse to run then).
    """
    state = ctx.find_root().obj
    store = Store.open(find_store(state.store if state else None, near), today())
    if sys.stderr.isatty():  # a long cold read shows how far it has got
        progress.show_with(functools.partial(progress_bar, label="reading case files"))
    if store.put_back:
        names = ", ".join(Path(p).stem for p in store.put_back)
        typer.echo(f"accomp: note: put back {names} as it was before a command that was "
                   "stopped before its commit", err=True)  # fmt: skip
    if not locked_ok and (reason := locked(store.root)) is not None:
        raise StoreError(reason)
    done = _set_up_clone(store)
    if done:
        typer.echo(f"accomp: note: set up this clone of the store: {', '.join(done)}", err=True)
    operation = operation_in_progress(store.root)
    if operation is not None and ctx.info_name not in ("conflicts", "resolve", "sync"):
        typer.echo(
            f"accomp: note: a git {operation} in progress in the store "
            "(see `accomp conflicts`); changes are refused until it is finished",
            err=True,
        )
    return store


@contextlib.contextmanager
def progress_bar(total: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal, nothing when piped or when the total
    is unknown: the callable it yields is told how many of `total` are done."""
    if total is None or not sys.stderr.isatty():
        yield lambda done: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda done: bar.update(done - bar.pos)


def _set_up_clone(store: Store) -> list[str]:
    if store.clone_is_set_up():  # one small read: all that most commands pay
        return []
    from accomp.store import sync

    return sync.set_up_clone(store)


def date_option(option: str, value: str | None, sensitive: bool = False) -> dt.date | None:
    """Parse the value of a date option; UsageError naming the option otherwise.

    A `sensitive` value (a birth date) is not repeated in the message.
    """
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        if sensitive:
            raise UsageError(f"{option}: not a valid date (the form is YYYY-MM-DD)") from None
        raise UsageError(f"{option}: {exc}") from None


def required_date(option: str, value: str) -> dt.date:
    """Parse the value of a required date option."""
    day = date_option(option, value)
    assert day is not None  # typer makes the option required
    return day


def clean_note(note: str | None) -> str | None:
    """A note as typed, stripped; None when empty; UsageError on control characters."""
    if note is None:
        return None
    text = note.strip()
    if not text.replace("\n", " ").replace("\t", " ").isprintable():  # a note may span lines
        raise UsageError("--note: contains control characters")
    return text or None


def with_note(entry: dict[str, Any], note: str | None) -> dict[str, Any]:
    """The entry, with its note when one was given (notes stay in the case, never in a commit)."""
    text = clean_note(note)
    if text:
        entry["note"] = text
    return entry


def author(as_option: str | None) -> str | None:
    """The author of commits: --as, else $ACCOMP_USER, else None (git's own setting)."""
    return as_option or os.environ.get(USER_ENV) or None


def after_write(store: Store, no_commit: bool) -> None:
    """Tell once per store that there is no audit trail when the store is not in git."""
    if no_commit or store.repo is not None:
        return
    if store.first_time("no-git-notice"):
        typer.echo(
            "accomp: note: this store is not in a git repository, so changes have no audit trail "
            "(run `git init` in the store to start one)",
            err=True,
        )


@dataclass
class CaseEdit:
    """One case being changed by a command: its round-trip document and its data before."""

    store: Store
    tx: Transaction
    case_id: str
    before: dict[str, Any]
    # What to say once written: "" says the commit message; None (the default) says nothing.
    recorded: str | None = None

    @property
    def document(self) -> Any:
        """The round-trip document, to change in place (parsed on first use)."""
        return self.tx.edit(self.case_id)

    def append(self, key: str, entry: dict[str, Any]) -> None:
        """Add an entry at the end of a top-level list (contacts, activities, …); the command
        then says what it recorded, with the entry's number and id."""
        added = self.tx.append(self.case_id, key, entry)
        if added is not None:
            ident, number = added
            self.recorded = f"entry {number} ({ident})"

    @property
    def message(self) -> str:
        return self.tx.message

    @message.setter
    def message(self, text: str) -> None:
        """The git commit message: the case id and what happened, never a name or a note."""
        self.tx.message = text

    @property
    def start(self) -> dt.date:
        return dt.date.fromisoformat(self.before["enrolment"]["start"])

    def replace(self, plain: dict[str, Any]) -> None:
        """Write this plain document instead of the file (its comments go too)."""
        self.tx.replace(self.case_id, plain)

    def check_date(self, option: str, day: dt.date, past_only: bool = False) -> None:
        """Refuse a date before the enrolment, or (for what has happened) after today."""
        if day < self.start:
            raise UsageError(f"{option}: {day} is before the enrolment start {self.start}")
        today = self.store.today
        if past_only and day > today:
            raise UsageError(
                f"{option}: {day} is in the future (today is {today}; if the computer's date "
                f"is wrong, run with ACCOMP_TODAY=YYYY-MM-DD)"
            )
        if past_only and (today - day).days > LATE_ENTRY_DAYS:
            typer.echo(  # a paper register typed in: fine, but a mistyped year looks the same
                f"accomp: warning: {option}: {day} is {(today - day).days} days ago "
                f"(recorded late? check the year)",
                err=True,
            )


@contextlib.contextmanager
def editing(
    ctx: typer.Context, typed_id: str, as_: str | None, no_commit: bool
) -> Iterator[CaseEdit]:
    """Lock, load and change one case; on leaving the block it is validated, written, committed."""
    store = open_store(ctx)
    case_id = store.resolve_id(typed_id)
    with store.transaction(f"edit {case_id}", author(as_), commit=not no_commit) as tx:
        edit = CaseEdit(store, tx, case_id, tx.open(case_id))
        yield edit
    if edit.recorded is not None:  # "contact 2026-K7F3Q: phone, 15 min on …: entry 3 (VNZQXN)"
        typer.echo(tx.message + (f": {edit.recorded}" if edit.recorded else ""))
    after_write(store, no_commit)


def partner_option(store: Store, option: str, typed: str | None) -> str | None:
    """A partner as typed: free text while the store lists no partner, else one of their ids
    (case-insensitive), so that figures can count by partner."""
    if typed is None:
        return None
    text = typed.strip()
    if not text:
        raise UsageError(f"{option}: must not be empty")
    known = {p["id"]: p for p in store.settings.partners}
    if not known:
        return text
    if text.lower() in known:
        return text.lower()
    raise UsageError(
        f"{option}: {text!r} is not a partner of the store (known: {', '.join(sorted(known))}; "
        "see `accomp partners`)"
    )


def outside_store(store: Store, out: Path, what: str) -> None:
    """Refuse to write a page that carries names inside the store (its history is shared)."""
    if out.resolve().is_relative_to(store.root.resolve()):
        raise UsageError(
            f"--out: {out} is inside the store; write {what} outside it "
            "(names never go into the store's history)"
        )


def sub_app(help_text: str) -> typer.Typer:
    """A group of subcommands (`accomp contact …`), with the same plain help as the root."""
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def programme_option(store: Store, typed: str | None) -> str | None:
    """The programme a `--programme` option means (its id, an alias or a prefix), or None
    when not given; a one-line error naming the known programmes when none matches."""
    if typed is None:
        return None
    key = store.settings.programme_named(typed)
    if key is None:
        known = store.settings.programme_list()
        raise UsageError(f"--programme: unknown programme {typed!r} (known: {known})")
    return key


def valid_cases(
    store: Store, strict: bool, read: Reading = "document", ordered: bool = True
) -> Iterator[dict[str, Any]]:
    """Every valid case of the store, through the cohort read path, one at a time.

    `read`: their whole documents, or one of their read views (domain/views.py),
    which is what cohort commands read. `ordered=False` (views only): in no
    particular order, holding one shard of the cache at a time (the caller sorts
    what it keeps). An invalid case file is never skipped silently: figures
    (`strict`) refuse to be computed without it, naming the first by case id;
    worklists name each on stderr, in case-id order, and go on.
    """
    if read in ("document", "problems"):
        items: Iterator[dict[str, Any] | CaseRecord] = (
            record.document if record.document is not None else record
            for record in store.iter_cases(read)
        )
    elif ordered:
        items = iter(sorted(store.iter_views(read), key=_case_id_of))
    else:
        items = store.iter_views(read)
    invalid: list[CaseRecord] = []
    for item in items:
        if type(item) is dict:
            yield item
        else:
            invalid.append(item)  # type: ignore[arg-type]
    refuse_invalid(sorted(invalid, key=lambda record: record.path.name), strict)


def mapped_cases(store: Store, strict: bool, read: Reading, task: Any, *args: Any) -> list[Any]:
    """`task(views, *args)` over every valid case's read view of this kind, on all the cores
    (store/reading.map_views): the result of each part, to merge; the invalid case files
    are refused or named as valid_cases does."""
    parts, invalid = store.map_views(read, task, *args)
    refuse_invalid(invalid, strict)
    return parts


@contextlib.contextmanager
def case_parts(
    store: Store, strict: bool, read: Reading, render: Callable[..., Any], *args: Any, keep: bool
) -> Iterator[tuple[list[Any], Iterator[str]]]:
    """Output rendered on all the cores, case by case: `render(views, *args)` gives
    [case id, text, extra] for the cases of one shard; a worker holds one shard's
    text at a time, written to its spool file (store/spool.py) before the next
    shard is rendered, so the text does not come back through memory. Yields the
    extras, then the texts, both in case-id order. `keep`: a shard's rendered
    text is kept in the cache while its views do not change (store/cache.py's
    memo: a week's hours check, the list, the export of cases), else rendered
    every time (pseudonymised rows). The invalid case files are refused or named
    as valid_cases does, before any text is given."""
    from accomp.domain.views import MemoisedTask  # every rule: not at start-up

    with store.spool() as folder:
        spooled = functools.partial(_spooled, folder)
        task = MemoisedTask(render, list, _rendered_of_plain, spooled, keep=keep)
        parts = mapped_cases(store, strict, read, task, *args)
        rendered = sorted(item for part in parts for item in part)
        reader = PartReader(folder)
        try:
            yield [extra for _, _, extra in rendered], (reader.read(at) for _, at, _ in rendered)
        finally:
            reader.close()


def _spooled(folder: Path, rendered: list[list[Any]]) -> list[tuple[str, Piece, Any]]:
    """(case id, where its text was spooled, extra) of each rendered case: the text goes to
    this worker's part file."""
    writer = PartWriter(folder)
    try:
        return [(case_id, writer.append(text), extra) for case_id, text, extra in rendered]
    finally:
        writer.close()


def _rendered_of_plain(plain: Any) -> list[list[Any]]:
    """Rendered cases kept as JSON, checked (ValueError when they are not)."""
    if not isinstance(plain, list) or not all(
        isinstance(item, list)
        and len(item) == 3
        and isinstance(item[0], str)
        and isinstance(item[1], str)
        and (item[2] is None or isinstance(item[2], bool | int | str))
        for item in plain
    ):
        raise ValueError("not rendered cases")
    return plain


def echo_text(pieces: Iterable[str], chunk: int = 1 << 20) -> None:
    """Write text to stdout as it comes, in chunks (not a write per case)."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= chunk:
            typer.echo("".join(buffer), nl=False)
            buffer, size = [], 0
    if buffer:
        typer.echo("".join(buffer), nl=False)


def refuse_invalid(invalid: list[CaseRecord], strict: bool) -> None:
    """What a command says of the invalid case files it met (in case-id order): figures
    (`strict`) refuse to be computed without them, naming the first; worklists name each
    on stderr and go on."""
    if invalid and strict:
        first = invalid[0].errors[0].render()
        raise UsageError(f"{first} (fix it first: these figures need every case)")
    for record in invalid:
        typer.echo(f"accomp: skipped {record.path.name}: {record.errors[0].render()}", err=True)
    if invalid:
        typer.echo(
            f"accomp: {len(invalid)} invalid case file(s) skipped; see `accomp validate`", err=True
        )


def _case_id_of(item: dict[str, Any] | CaseRecord) -> str:
    return item["case_id"] if type(item) is dict else item.path.name[:-5]  # type: ignore[index,union-attr]
