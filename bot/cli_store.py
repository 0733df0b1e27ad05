"""``crisisbot migrate`` and ``crisisbot store export|import``: the store's schema, and moving a corpus between stores.

(``crisisbot import`` is another thing: it reads news archives into the index, bot/cli_import.py.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_support import audit, handled, out, service

store_app = typer.Typer(help="Move the corpus between the local store and PostgreSQL.", no_args_is_help=True)


def migrate_command() -> None:
    """Apply pending schema migrations in PostgreSQL (CRISISBOT_DATABASE_URL): the index's, the bot state's and the
    feeds' tables; print their schema versions."""
    with handled():
        svc = service()
        done = svc.migrate_store()
        if done is None:
            out.print("nothing to migrate: the index is kept in local folders (set CRISISBOT_DATABASE_URL for PostgreSQL); "
                      "a folder's schema is brought up to date when it is next written", markup=False)
            return
        from bot.state import BotState

        state, feeds = BotState.migrate(svc.settings), svc.migrate_subscriptions()
        for what, (location, version, applied) in (("index", (svc.store.location, *done)), ("bot state", state), ("feeds", feeds)):
            news = f"applied {', '.join(map(str, applied))}" if applied else "up to date"
            out.print(f"{location}: {what} schema version {version} ({news})", markup=False)


@store_app.command("export")
def store_export(
    folder: Annotated[Path, typer.Argument(help="New (or empty) folder to write the corpus into.")],
) -> None:
    """Write the published corpus (documents, paragraphs, their vectors and sentence vectors) to FOLDER."""
    with handled():
        svc = service()
        documents, paragraphs = svc.export_corpus(folder)
        out.print(f"exported {documents} documents, {paragraphs} paragraphs from {svc.store.location} to {folder}", markup=False)


@store_app.command("import")
def store_import(
    folder: Annotated[Path, typer.Argument(help="A folder written by `crisisbot store export`.")],
) -> None:
    """Replace the configured store's corpus with the one exported to FOLDER (nothing is embedded again)."""
    with handled():
        svc = service()
        manifest = svc.import_corpus(folder)
        out.print(f"imported {manifest['documents']} documents, {manifest['paragraphs']} paragraphs into {svc.store.location}",
                  markup=False)
        audit(svc, "store import", str(folder), f"{manifest['documents']} sources, {manifest['paragraphs']} paragraphs")
