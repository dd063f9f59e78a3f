"""Encryption at rest on the shared remote: `accomp crypt start|add-user|status|unlock|revoke|
export-key` (store/crypt.py; the choice of git-crypt and the procedures: docs/encryption.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from accomp.cli import app
from accomp.cli.common import AS_OPTION, author, open_store

crypt_app = typer.Typer(
    help="Keep the shared remote encrypted (git-crypt); working clones stay plain.",
    no_args_is_help=True,
)
app.add_typer(crypt_app, name="crypt")

KEY_FILE = typer.Argument(
    ..., metavar="PUBLIC_KEY", help="A counsellor's exported GPG public key (gpg --export --armor)."
)


@crypt_app.command("start")
def start_command(
    ctx: typer.Context,
    key_files: list[Path] = typer.Argument(
        None, metavar="[PUBLIC_KEY]...", help="The counsellors' exported GPG public keys."
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Encrypt case and session files at rest from now on, in one commit.

    The history already pushed stays as it was (plain): to keep none of it, start a
    new remote from this clone (docs/encryption.md).
    """
    from accomp.store import crypt

    store = open_store(ctx, locked_ok=True)
    given = crypt.start(store.root, key_files or [], author(as_))
    typer.echo(f"the store's case and session files are encrypted at rest; key given to "
               f"{len(given)} GPG key(s)")  # fmt: skip
    if not given:
        typer.echo("accomp: note: only this clone has the key: give it to the team with "
                   "`accomp crypt add-user`, keep a spare with `accomp crypt export-key`",
                   err=True)  # fmt: skip


@crypt_app.command("add-user")
def add_user_command(ctx: typer.Context, key_file: Path = KEY_FILE,
                     as_: str | None = AS_OPTION) -> None:  # fmt: skip
    """Give the store's key to a counsellor (their GPG public key), in one commit."""
    from accomp.store import crypt

    store = open_store(ctx)
    fingerprint = crypt.add_user(store.root, key_file, author(as_))
    typer.echo(f"the store's key is given to the GPG key {fingerprint}: after `accomp sync`, "
               "they clone the remote and run `accomp crypt unlock`")  # fmt: skip


@crypt_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Whether the store is encrypted, with which key, who holds it, and this clone."""
    from accomp.store import crypt

    store = open_store(ctx, locked_ok=True)
    key = crypt.store_key(store.root)
    if key is None:
        typer.echo("the store is not encrypted at rest (see `accomp crypt start`)")
        return
    typer.echo(f"encrypted at rest with key {key}: {len(crypt.encrypted_files(store.root))} "
               "case and session file(s)")  # fmt: skip
    for fingerprint in crypt.holders(store.root, key):
        typer.echo(f"  held by the GPG key {fingerprint}")
    reason = crypt.locked(store.root)
    state = "locked (run `accomp crypt unlock`)" if reason else "unlocked"
    typer.echo(f"this clone: {state}")


@crypt_app.command("unlock")
def unlock_command(
    ctx: typer.Context,
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        metavar="FILE",
        help="A key file from `accomp crypt export-key` (default: your GPG key).",
    ),
) -> None:
    """Give this clone the store's key, so that its case files read as text."""
    from accomp.store import crypt

    store = open_store(ctx, locked_ok=True)
    keys = crypt.unlock(store.root, key_file)
    typer.echo(f"this clone is unlocked: key(s) {', '.join(keys)}")


@crypt_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    fingerprint: str = typer.Argument(..., metavar="FINGERPRINT",
                                      help="The GPG key that leaves (see `accomp crypt status`)."),
    as_: str | None = AS_OPTION,
) -> None:  # fmt: skip
    """A new key for everyone but FINGERPRINT; every case file re-encrypted, in one commit.

    What was pushed before stays readable with the old key, which they had (as they had
    a plain clone): also take away their access to the remote itself.
    """
    from accomp.store import crypt

    store = open_store(ctx)
    key, keeping, count = crypt.revoke(store.root, fingerprint, author(as_))
    typer.echo(f"new key {key} given to {len(keeping)} GPG key(s); {count} file(s) re-encrypted; "
               "run `accomp sync` to share it")  # fmt: skip


@crypt_app.command("export-key")
def export_key_command(
    ctx: typer.Context,
    target: Path = typer.Argument(..., metavar="FILE", help="A new file, kept offline."),
) -> None:
    """Write the store's key to FILE: the coordinator's spare, to keep offline, never in git."""
    from accomp.store import crypt

    store = open_store(ctx)
    key = crypt.export_key(store.root, target)
    typer.echo(f"wrote the store's key {key} to {target} (0600): keep it offline")
