"""Copy the local SQLite files of the database seam (index/database.py: state.sqlite, feeds.sqlite) into PostgreSQL.

Generic over tables: the tables and their keys are read from each file's SQLite schema (the
``CREATE TABLE`` statements its module declares), so a table added there is carried without a line
here; one the PostgreSQL migrations lack stops the copy with a message naming it.

* The SQLite files are opened read-only and read in one read transaction each: a consistent
  snapshot, the files left as they were.
* All the files are copied in **one** PostgreSQL transaction (all or nothing), after their
  migrations are applied, the rows streamed with COPY; the tables are locked against other
  writers until it commits.
* A row already in PostgreSQL is left as it is and not copied again: rows are matched on the
  table's primary key, or, for a table without one, on all its columns (a row the file holds
  twice is there twice).  A column PostgreSQL generates (the audit log's identity) is not copied:
  PostgreSQL numbers the rows again, in the SQLite order, and they are matched on their other
  columns.  So a second run copies nothing.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.database import PostgresDatabase, Transaction
from index.errors import IndexMismatch, IndexProblem

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class LocalDatabase:
    """One SQLite file of the data dir, the schema that declares its tables and its PostgreSQL migrations."""

    name: str  # for reports: "state", "feeds"
    path: Path
    schema: str  # the SQLite DDL run on open (CREATE TABLE IF NOT EXISTS ...)
    series: str  # its name in state_migrations
    migrations: dict[int, str]
    leave_out: dict[str, str] = field(default_factory=dict)  # table -> SQL condition of its rows not to copy


@dataclass(frozen=True)
class Table:
    """A table as its SQLite schema declares it."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key's columns; () when it has none
    references: frozenset[str]  # the tables its foreign keys point to


@dataclass(frozen=True)
class TableCopy:
    """What the copy did with one table."""

    database: str
    table: str
    rows: int  # in the SQLite file
    copied: int
    present: int  # already in PostgreSQL (same key, or same values): left as they were

    def to_json(self) -> dict:
        return asdict(self)


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def feeds_database(data_dir: Path) -> LocalDatabase:
    """``<data dir>/feeds.sqlite``: the feed and sitemap subscriptions and their items (index/subscriptions.py)."""
    from index import subscriptions

    return LocalDatabase("feeds", data_dir / "feeds.sqlite", subscriptions.SCHEMA, subscriptions.SERIES, subscriptions.MIGRATIONS)


def declared_tables(schema: str) -> list[Table]:
    """The tables ``schema`` declares, in declaration order but each after the tables its foreign keys point to."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(schema)
        names = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
        tables = {}
        for name in names:
            if not NAME.match(name):
                raise IndexMismatch(f"table name {name!r}: only letters, digits and _ can be copied")
            info = db.execute(f"PRAGMA table_info({name})").fetchall()  # cid, name, type, notnull, default, pk
            key = tuple(row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            references = frozenset(row[2] for row in db.execute(f"PRAGMA foreign_key_list({name})")) - {name}
            tables[name] = Table(name, tuple(row[1] for row in info), key, references)
    finally:
        db.close()
    ranked: list[str] = []

    def visit(name: str, path: tuple[str, ...] = ()) -> None:  # its references first, then itself
        if name in path:
            raise IndexMismatch(f"the foreign keys of {', '.join(path)} go round in a circle: no order to copy them in")
        if name not in ranked:
            for reference in sorted((r for r in tables[name].references if r in tables), key=names.index):
                visit(reference, (*path, name))
            ranked.append(name)

    for name in names:
        visit(name)
    return [tables[name] for name in ranked]


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """``path`` opened read-only, inside one read transaction (a consistent snapshot); nothing is written to it.

    With no write-ahead log next to it (no process has it open, and every write is in the file) it is opened as
    immutable, so that not even an empty -wal and -shm are left behind; else through its log, as the writers see it."""
    immutable = "" if path.with_name(path.name + "-wal").exists() else "&immutable=1"
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{immutable}", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise IndexProblem(f"cannot open {path}: {exc}") from None
    try:
        try:
            db.execute("BEGIN")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # not a database: fails here
        except sqlite3.Error as exc:
            raise IndexProblem(f"cannot read {path}: {exc}") from None
        yield db
    finally:
        db.close()


def read_rows(db: sqlite3.Connection, table: Table, leave_out: str | None = None) -> list[tuple]:
    """The rows of ``table`` in the SQLite file (none when the file predates the table), in key (else insertion) order."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)).fetchone() is None:
        return []
    where = f" WHERE NOT ({leave_out})" if leave_out else ""
    order = ", ".join(table.key) or "rowid"
    try:
        return db.execute(f"SELECT {', '.join(table.columns)} FROM {table.name}{where} ORDER BY {order}").fetchall()
    except sqlite3.Error as exc:
        raise IndexProblem(f"cannot read the table {table.name}: {exc}") from None


@dataclass(frozen=True)
class Plan:
    """How one table goes into PostgreSQL: the columns copied (not those PostgreSQL generates), those a row is matched on."""

    database: str
    table: Table
    columns: tuple[str, ...]
    match: tuple[str, ...]


def plan(tx: Transaction, database: str, table: Table, location: str) -> Plan:
    """The table's plan, from its columns in PostgreSQL; IndexMismatch when the table or a column is missing there."""
    rows = tx.execute(
        "SELECT column_name, is_identity = 'YES' OR coalesce(column_default, '') LIKE 'nextval(%' FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ?", (table.name.lower(),)).fetchall()
    if not rows:
        raise IndexMismatch(f"{database}: the table {table.name} is not in {location}: its PostgreSQL migration is missing")
    generated = {name: bool(flag) for name, flag in rows}
    missing = [c for c in table.columns if c.lower() not in generated]
    if missing:
        raise IndexMismatch(f"{database}: the table {table.name} in {location} has no column {', '.join(missing)}: "
                            "its PostgreSQL migration is missing")
    columns = tuple(c for c in table.columns if not generated[c.lower()])
    keyed = bool(table.key) and all(c in columns for c in table.key)
    return Plan(database, table, columns, table.key if keyed else columns)


def copy_table(tx: Transaction, plan: Plan, rows: Sequence[tuple], insert: Callable[[str, Sequence[str], list], None]) -> TableCopy:
    """``insert(table, columns, rows)`` the ``rows`` (of all the table's declared columns) PostgreSQL does not hold yet."""
    import psycopg

    table = plan.table
    positions = [table.columns.index(c) for c in plan.columns]
    key_positions = [plan.columns.index(c) for c in plan.match]
    # How often each key is there: a keyless table may hold a row twice, and gets as many copies as the file has.
    present = Counter(tuple(row) for row in tx.execute(f"SELECT {', '.join(plan.match)} FROM {table.name}").fetchall())
    new = []
    for row in rows:
        values = tuple(row[p] for p in positions)
        key = tuple(values[p] for p in key_positions)
        if present[key] > 0:
            present[key] -= 1
        else:
            new.append(values)
    try:
        insert(table.name, plan.columns, new)
    except psycopg.Error as exc:  # the transaction is lost: say which table, the caller rolls back
        raise IndexProblem(f"{plan.database}: the table {table.name} cannot be copied: {_first_line(exc)}; nothing copied") from None
    return TableCopy(plan.database, table.name, len(rows), len(new), len(rows) - len(new))


def copy_in(conn, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """``rows`` into ``table`` with COPY on ``conn`` (the transaction's connection): a stream, no statement per row."""
    if rows:
        with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def move(databases: Sequence[LocalDatabase], url: str, *, prepare: Callable[[Transaction, str], None] | None = None,
         dry_run: bool = False) -> tuple[str, list[TableCopy]]:
    """Copy every declared table of the ``databases`` files into the PostgreSQL database at ``url``: (its location,
    what was copied per table).  Each series' migrations are applied first; the copy of all the files is one
    transaction, ``prepare(tx, location)`` its first step (a check that may refuse); ``dry_run`` rolls it back at the end."""
    import psycopg

    from index.store.postgres.store import describe

    if not databases:
        raise IndexProblem("no database to move")
    location, opened = describe(url), []
    try:
        for database in databases:
            opened.append(PostgresDatabase(url, database.series, database.migrations))
        report: list[TableCopy] = []
        with contextlib.suppress(DryRun), opened[0].transaction() as tx:
            if prepare is not None:
                prepare(tx, location)
            plans = [plan(tx, database.name, table, location) for database in databases
                     for table in declared_tables(database.schema)]
            # Other writers (a bot already on this database) wait until the copy commits.
            tx.execute(f"LOCK TABLE {', '.join(p.table.name for p in plans)} IN SHARE ROW EXCLUSIVE MODE")
            for database in databases:
                with read_only(database.path) as source:
                    for each in (p for p in plans if p.database == database.name):
                        rows = read_rows(source, each.table, database.leave_out.get(each.table.name))
                        report.append(copy_table(tx, each, rows, functools.partial(copy_in, opened[0].connection())))
            if dry_run:
                raise DryRun
        return location, report
    except psycopg.Error as exc:
        raise IndexProblem(f"{location}: {_first_line(exc)}") from None
    finally:
        for db in opened:
            db.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
