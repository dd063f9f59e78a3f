"""The command line: parse, call the store and the domain, render. Nothing else.

Every command module registers its commands on `app`. Errors raised as
AccompError become one line on stderr and their exit code; anything else
becomes a one-line internal error (a traceback only with --debug).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from accomp.errors import AccompError, system_error

INTERNAL_ERROR = 3


class AccompGroup(TyperGroup):
    """The root group: turns errors into one line and an exit code, and lists the
    commands in its help without importing them."""

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        if self.commands:
            return super().format_commands(ctx, formatter)
        # The root help, with no command module imported (main): the commands' own help,
        # as generated into command_help.py, formatted by typer as it formats theirs.
        from typer.core import TyperCommand

        from accomp.cli.command_help import COMMANDS

        self.commands = {
            name: TyperCommand(name, short_help=short, help=text, deprecated=deprecated)
            for name, short, text, deprecated in COMMANDS
        }
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = {}

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AccompError as exc:
            typer.echo(f"accomp: error: {exc.message}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            typer.echo("accomp: interrupted; nothing half-written (writes are atomic)", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            mapped = system_error(exc) if isinstance(exc, OSError) else None
            if mapped is not None:  # the disk, a permission: not a bug, and it says what to do
                typer.echo(f"accomp: error: {mapped.message}", err=True)
                raise typer.Exit(mapped.exit_code) from None
            state = ctx.find_object(AppState)
            if state is not None and state.debug:
                raise
            # The exception's text may quote a value from a case file: only its type is shown.
            typer.echo(
                f"accomp: internal error ({type(exc).__name__}); run with --debug for details",
                err=True,
            )
            raise typer.Exit(INTERNAL_ERROR) from None


class AppState:
    """Options of the root command, shared with every command."""

    def __init__(self, store: str | None, debug: bool) -> None:
        self.store = store
        self.debug = debug


app = typer.Typer(
    cls=AccompGroup,
    help="Case files, weekly hours and funders' figures for the intensive support of jobseekers.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: readable in any terminal, and rich is not imported
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    store: str | None = typer.Option(
        None,
        "--store",
        help="The store folder. Default: $ACCOMP_STORE, else the nearest parent "
        "folder holding accomp.yaml, else ./casefiles.",
        metavar="DIR",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on internal errors."),
) -> None:
    """accomp: one YAML case file per jobseeker, in a git-tracked folder (the store)."""
    ctx.obj = AppState(store, debug)


# Commands register themselves on `app` when their module is imported. Importing every
# module, and typer building every command, costs each command about 0.1 s of start-up:
# a command imports only the modules that register it (COMMAND_MODULES, checked against
# the modules themselves by tests/test_cli_start.py); the root help imports none (it
# lists them from command_help.py); completion and an unknown name import them all.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("enrol", "show", "list", "diagnostic", "find"), ("cases",)),
    **dict.fromkeys(("caseload", "reassign"), ("caseload",)),
    **dict.fromkeys(("exit", "followup", "reopen"), ("exits",)),
    **dict.fromkeys(("contact", "activity", "absence", "allowance", "contract"), ("corrections",)),
    "plan": ("corrections", "phases", "week"),
    **dict.fromkeys(("phase", "consent"), ("phases",)),
    **dict.fromkeys(("rdv", "agenda"), ("rdv",)),
    **dict.fromkeys(("programmes", "partners"), ("programmes",)),
    **dict.fromkeys(("init", "validate", "history"), ("store_commands",)),
    **dict.fromkeys(("sync", "conflicts", "resolve", "migrate", "merge-driver"), ("sync",)),
    **dict.fromkeys(("retention", "anonymise"), ("retention",)),
    "crypt": ("crypt",),
    "export": ("export",),
    "hours": ("hours",),
    "import": ("imports",),
    "letter": ("letters",),
    "referent": ("referents",),
    "report": ("report",),
    "session": ("sessions",),
    "summary": ("summary",),
}
ALL_MODULES = ("caseload", "cases", "corrections", "crypt", "exits", "export", "followup", "hours",
               "imports", "letters", "phases", "programmes", "rdv", "referents", "report",
               "retention", "sessions", "store_commands", "summary", "sync", "week")  # fmt: skip


def load_commands(names: list[str] | None = None) -> None:
    """Register the commands `names` (top-level names), or every command."""
    import importlib

    modules = (
        ALL_MODULES
        if names is None or any(name not in COMMAND_MODULES for name in names)
        else sorted({module for name in names for module in COMMAND_MODULES[name]})
    )
    for module in modules:
        importlib.import_module(f"accomp.cli.{module}")


def command_name(args: list[str]) -> str | None:
    """The top-level command of a command line (None for the root's help or no command)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--store":
            skip = True  # its value follows
        elif arg in ("-h", "--help"):
            return None
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    """Entry point of the `accomp` console script."""
    completing = "_ACCOMP_COMPLETE" in os.environ  # click's shell completion asks for all
    name = None if completing else command_name(sys.argv[1:])
    if completing or name is not None:  # no name: the root's help, or a usage error
        load_commands([name] if name is not None else None)
    try:
        app(prog_name="accomp")
    except BrokenPipeError:  # `accomp list | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
