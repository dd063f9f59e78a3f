"""Start-up: a command imports only the modules that register it (accomp.cli.COMMAND_MODULES).

Each check runs in a fresh interpreter, as a user's command does: importing the modules a
command is mapped to must register it whole (every subcommand), exactly as importing
every module does; and the map names every command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from accomp.cli import ALL_MODULES, COMMAND_MODULES, command_name

TREE = """
import importlib, json, sys
import typer.main
import accomp.cli as cli
for module in sys.argv[1:]:
    importlib.import_module("accomp.cli." + module)
def walk(command):
    subs = getattr(command, "commands", None)
    return {name: walk(sub) for name, sub in sorted(subs.items())} if subs else None
group = typer.main.get_command(cli.app)
print(json.dumps({name: walk(command) for name, command in group.commands.items()}))
"""


def _tree(modules: list[str]) -> dict:
    run = subprocess.run([sys.executable, "-c", TREE, *modules], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_each_command_is_registered_whole_by_its_own_modules() -> None:
    everything = _tree(list(ALL_MODULES))
    assert sorted(everything) == sorted(COMMAND_MODULES)  # the map names every command
    by_modules: dict[tuple[str, ...], list[str]] = {}
    for name, modules in COMMAND_MODULES.items():
        by_modules.setdefault(modules, []).append(name)
    for modules, names in by_modules.items():
        alone = _tree(list(modules))
        for name in names:
            assert alone.get(name) == everything[name], (name, modules)


def test_the_command_name_is_found_past_the_root_options() -> None:
    assert command_name(["--store", "x", "--debug", "contact", "log"]) == "contact"
    assert command_name(["--debug", "summary", "--help"]) == "summary"
    assert command_name(["--store", "summary"]) is None  # `summary` is the store's folder
    assert command_name(["--help"]) is None and command_name([]) is None


def test_a_command_runs_without_importing_the_others(tmp_path) -> None:  # type: ignore[no-untyped-def]
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['accomp', '--store', sys.argv[1], 'programmes']\n"
        "try:\n    runpy.run_module('accomp', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('accomp.cli.')), file=sys.stderr)\n"
    )
    subprocess.run([sys.executable, "-m", "accomp", "init", str(tmp_path / "s")], check=True,
                   capture_output=True)  # fmt: skip
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "s")],
                         capture_output=True, text=True)  # fmt: skip
    loaded = run.stderr.strip().splitlines()[-1]
    assert "accomp.cli.programmes" in loaded
    for other in ("accomp.cli.sessions", "accomp.cli.letters", "accomp.cli.imports"):
        assert other not in loaded, loaded


ROOT_HELP = """
import os, sys
sys.argv = ["accomp", "--help"]
import accomp.cli as cli
if os.environ["LOAD_ALL"] == "1":
    cli.load_commands()  # what the root help was before command_help.py: every module
    cli.app(prog_name="accomp")
else:
    try:
        cli.main()
    finally:
        commands = {"accomp.cli." + name for name in cli.ALL_MODULES}
        print("LOADED", sorted(m for m in sys.modules if m in commands), file=sys.stderr)
"""


def _root_help(load_all: bool, columns: int) -> tuple[str, str]:
    env = {**os.environ, "COLUMNS": str(columns), "LOAD_ALL": "1" if load_all else "0"}
    run = subprocess.run([sys.executable, "-c", ROOT_HELP], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout, run.stderr


def test_the_root_help_lists_every_command_as_the_commands_say_without_importing_them() -> None:
    from accomp.cli import command_help_build

    for columns in (60, 80, 200):
        lazy, modules = _root_help(load_all=False, columns=columns)
        full, _ = _root_help(load_all=True, columns=columns)
        assert lazy == full, f"at {columns} columns: run `make command-help`"
        assert "LOADED []" in modules, modules  # no command module was imported
        if columns == 200:  # one line a command: the names listed are typer's own
            section = lazy.split("Commands:")[1]
            listed = [line.split()[0] for line in section.splitlines() if line.strip()]
            visible = [name for name, _ in command_help_build.visible_commands()]
            assert listed == visible and set(listed) <= set(COMMAND_MODULES)


def test_the_generated_command_help_is_the_commands_own() -> None:
    from accomp.cli import command_help_build

    assert command_help_build.TARGET.read_text(encoding="utf-8") == (
        command_help_build.command_help_source()
    ), "a command's help changed: run `make command-help`"
