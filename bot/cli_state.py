"""``crisisbot state move``: the bot's state (state.sqlite) and the feed subscriptions (feeds.sqlite) of the data dir
copied into the PostgreSQL database of ``CRISISBOT_DATABASE_URL``, for an installation growing to several processes.

The copy itself is generic (index/database_copy.py); here: which files, the salt of the user ids, the report.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_support import EXIT_USAGE, fail, handled, out, settings
from index.database_copy import LocalDatabase, TableCopy, feeds_database, move, read_only

state_app = typer.Typer(help="Move the bot's state and feed subscriptions from the data dir into PostgreSQL.",
                        no_args_is_help=True)

FILES = ("state.sqlite", "feeds.sqlite")


def local_databases(data_dir: Path) -> list[LocalDatabase]:
    """The data dir's SQLite files of the database seam, with the schema modules that declare their tables."""
    from bot.state import schema

    # The salt never goes next to the hashes (an older version kept it in meta); its check is written by the move.
    state = LocalDatabase("state", data_dir / "state.sqlite", schema.SCHEMA, schema.SERIES, schema.MIGRATIONS,
                          leave_out={"meta": "key IN ('salt', 'salt_check')"})
    return [state, feeds_database(data_dir)]


def local_salt(config, data_dir: Path, *, dry_run: bool) -> tuple[str | None, str]:
    """(the salt the local hashes were made with, where it is kept): the configured one, else ``<data dir>/user-salt``,
    else one an older version left in state.sqlite's meta table (put in the salt file, as the bot does; not in a dry
    run).  (None, ...) when there is none yet: then no hash was ever made."""
    from bot.state import SALT_FILE, shared_salt
    from index.errors import IndexProblem

    if config.user_hash_salt is not None:
        return config.user_hash_salt.get_secret_value(), "CRISISBOT_USER_HASH_SALT"
    salt_file = data_dir / SALT_FILE
    if salt_file.exists():
        try:
            salt = salt_file.read_text(encoding="ascii").strip()
        except UnicodeDecodeError:
            salt = ""
        if not salt:
            raise IndexProblem(f"{salt_file} is empty or not a salt: the user ids' hashes in state.sqlite cannot be matched any more")
        return salt, str(salt_file)
    state = data_dir / "state.sqlite"
    if state.exists():
        with read_only(state) as db:
            has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
            row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone() if has_meta else None
        if row is not None:
            return (row[0] if dry_run else shared_salt(salt_file, row[0])), str(salt_file)
    return None, str(salt_file)


def _salt_pinned(salt: str | None, kept_in: str):
    """The move's first step: the database's state must have been written with this salt (or with none yet)."""
    from bot.state import SaltMismatch
    from bot.state.store import check_salt

    def prepare(tx, location: str) -> None:
        if salt is None:
            return
        try:
            check_salt(tx, salt, location)
        except SaltMismatch:
            raise SaltMismatch(
                f"the bot state in {location} was written with another salt for user ids than this data dir's ({kept_in}): "
                "the moved votes, cooldowns and answer pointers would match no one; nothing copied") from None

    return prepare


@state_app.command("move")
def state_move(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output: the rows copied per table.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be copied; write no row (the schema "
                                                            "migrations are applied even so).")] = False,
) -> None:
    """Copy state.sqlite and feeds.sqlite of the data dir into the PostgreSQL database of CRISISBOT_DATABASE_URL.

    Every table (answers behind buttons, searches, votes, the audit log,
    asked events, auto-answer channels, server languages and settings,
    conversations, cooldowns; feed subscriptions and their items) in one
    transaction, all or nothing, after the schema migrations. Stop the local
    bot first.

    Rows the database holds already (the same key, or the same values) are
    left as they are: a second run copies nothing, and a run after the local
    bot wrote more copies only the new rows.

    The user ids' salt stays this data dir's (CRISISBOT_USER_HASH_SALT, else
    <data dir>/user-salt); refused when the database's state was written
    with another. The SQLite files are not changed.
    """
    with handled():
        config = settings()
        if config.database_url is None:
            raise fail("CRISISBOT_DATABASE_URL is not set: it names the PostgreSQL database to move the state into", EXIT_USAGE)
        data_dir = Path(config.data_dir).resolve()
        databases = [d for d in local_databases(data_dir) if d.path.exists()]
        if not databases:
            raise fail(f"nothing to move: neither {data_dir / FILES[0]} nor {data_dir / FILES[1]} exists "
                       "(CRISISBOT_DATA_DIR names the data dir)", EXIT_USAGE)
        url = config.database_url.get_secret_value()
        salt, kept_in = local_salt(config, data_dir, dry_run=dry_run)
        try:
            location, report = move(databases, url, prepare=_salt_pinned(salt, kept_in), dry_run=dry_run)
        except KeyboardInterrupt:
            raise fail("interrupted; nothing copied (the transaction was rolled back)", 130) from None
        missing = [str(data_dir / name) for name in FILES if not (data_dir / name).exists()]
        copied = sum(t.copied for t in report)
        if not dry_run and copied:
            _audit(config, location, report)
    if as_json:
        out.print(json.dumps({"target": location, "dry_run": dry_run, "copied": copied,
                              "present": sum(t.present for t in report), "missing": missing, "salt": kept_in if salt else None,
                              "tables": [t.to_json() for t in report]}, indent=2), markup=False)
        return
    _print_report(location, report, missing, dry_run, kept_in if salt else None)


def _print_report(location: str, report: list[TableCopy], missing: list[str], dry_run: bool, salt: str | None) -> None:
    verb = "would be copied" if dry_run else "copied"
    out.print(f"{'dry run, nothing written: ' if dry_run else ''}into {location} (the SQLite files are unchanged)", markup=False)
    width = max(len("table"), *(len(t.table) for t in report))
    copied = "would copy" if dry_run else "copied"
    out.print(f"  {'from':<6} {'table':<{width}} {'rows':>8} {copied:>10} {'already there':>14}", markup=False)
    for t in report:
        out.print(f"  {t.database:<6} {t.table:<{width}} {t.rows:>8} {t.copied:>10} {t.present:>14}", markup=False)
    for path in missing:
        out.print(f"  {path}: not there, nothing to move", markup=False)
    out.print(f"{sum(t.copied for t in report)} rows {verb}, {sum(t.present for t in report)} already there", markup=False)
    if salt == "CRISISBOT_USER_HASH_SALT":
        out.print("every process using this database needs the same CRISISBOT_USER_HASH_SALT", markup=False)
    elif salt:
        out.print(f"every process using this database needs this user-id salt: the same data dir, a copy of {salt}, "
                  "or its content as CRISISBOT_USER_HASH_SALT", markup=False)


def _audit(config, location: str, report: list[TableCopy]) -> None:
    """The move, in the (now shared) audit log."""
    from bot.state import BotState

    state = BotState.open(config)
    try:
        copied, present = sum(t.copied for t in report), sum(t.present for t in report)
        state.audit(f"cli:{getpass.getuser()}", "state move", location, f"{copied} rows copied, {present} already there")
    finally:
        state.close()
