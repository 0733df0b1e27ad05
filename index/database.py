"""The small database seam of the stores that are not the index: the bot's state and the feed subscriptions.

Their SQL is written once, with ``?`` placeholders and ``INSERT ... ON CONFLICT`` upserts, and runs on
either backend:

* ``SqliteDatabase``: one file in the data dir (WAL), one connection shared by threads under a lock;
  its schema is ``CREATE TABLE IF NOT EXISTS`` statements run on open.
* ``PostgresDatabase``: tables in the database of ``database_url``, one connection per thread
  (autocommit; ``transaction()`` wraps a real transaction); ``?`` becomes ``%s`` here and nowhere else.
  Its schema is a numbered series of migrations (``MIGRATIONS[n]`` turns version n - 1 into n), recorded
  in ``state_migrations`` by series name, applied on open (and by ``crisisbot migrate``) under an
  advisory lock, so processes starting at once apply each once.

``with db.transaction() as tx`` is one write transaction (rolled back on any exception); ``tx.lock(name)``
serialises a read-then-write against other processes (SQLite's BEGIN IMMEDIATE already does).
``db.execute`` reads outside a transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from index import locks
from index.errors import IndexMismatch, IndexProblem
from index.fsutil import FILE_MODE, private_dir, private_file
from index.sqlite import immediate

LOCK_MIGRATE = locks.STATE_MIGRATE


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list: ...


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence = ()) -> Cursor: ...
    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None: ...
    def lock(self, name: str) -> None: ...


class Database(Protocol):
    backend: str  # "sqlite" or "postgres"
    location: str  # for messages; never a password

    def execute(self, sql: str, params: Sequence = ()) -> Cursor: ...
    def transaction(self) -> contextlib.AbstractContextManager[Transaction]: ...
    def close(self) -> None: ...


def open_database(*, path: Path, url: str | None, series: str, sqlite_schema: str,
                  migrations: dict[int, str], **sqlite_options) -> Database:
    """Postgres when ``url`` is given (its ``series`` of ``migrations`` applied), else the SQLite file ``path``."""
    if url:
        return PostgresDatabase(url, series, migrations)
    return SqliteDatabase(path, sqlite_schema, **sqlite_options)


# --- SQLite ---


class _SqliteTransaction:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def execute(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        self._db.executemany(sql, rows)

    def lock(self, name: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE holds the file's write lock already."""


class SqliteDatabase:
    """A SQLite file (0600, its folder 0700), shared by threads under one lock."""

    backend = "sqlite"

    def __init__(self, path: Path, schema: str, *, foreign_keys: bool = False, secure_delete: bool = False):
        private_dir(path.parent)
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        private_file(path)
        self.path, self.location = path, str(path)
        self._lock = threading.RLock()
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA busy_timeout=5000")
        if foreign_keys:
            self.connection.execute("PRAGMA foreign_keys=ON")
        if secure_delete:  # deleted rows are overwritten, not left in free pages
            self.connection.execute("PRAGMA secure_delete=ON")
        self.connection.executescript(schema)
        for suffix in ("-wal", "-shm"):  # files made by an older version may be 0644
            with contextlib.suppress(FileNotFoundError):
                private_file(path.with_name(path.name + suffix))

    def execute(self, sql: str, params: Sequence = ()) -> Cursor:
        with self._lock:
            cursor = self.connection.execute(sql, params)
            rows = cursor.fetchall()
        return _Rows(rows, cursor.rowcount)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with immediate(self.connection, self._lock) as db:
            yield _SqliteTransaction(db)

    def close(self) -> None:
        with self._lock:
            self.connection.close()


class _Rows:
    """A read's rows, fetched under the lock."""

    def __init__(self, rows: list, rowcount: int):
        self._rows, self.rowcount = rows, rowcount

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list:
        return self._rows


# --- PostgreSQL ---


def postgres_sql(sql: str, params: Sequence = ()) -> tuple[str, Sequence | None]:
    """The query and parameters psycopg takes: ``?`` placeholders as ``%s`` (the SQL here has no ``?`` of its own,
    and a literal ``%`` is doubled); a statement without parameters goes as it is."""
    if not params:
        return sql, None
    return sql.replace("%", "%%").replace("?", "%s"), params


class _PostgresTransaction:
    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql: str, params: Sequence = ()):
        return self._conn.execute(*postgres_sql(sql, params))

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        if rows:
            self._conn.cursor().executemany(postgres_sql(sql, rows[0])[0], rows)

    def lock(self, name: str) -> None:
        """Hold ``name``'s advisory lock until the transaction ends (other processes' same-named locks wait)."""
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))


class PostgresDatabase:
    """Tables in a PostgreSQL database; one autocommit connection per thread, reopened when lost."""

    backend = "postgres"

    def __init__(self, url: str, series: str, migrations: dict[int, str]):
        from index.store.postgres.store import describe

        self.url, self.series, self.migrations = url, series, migrations
        self.location = describe(url)
        self._local = threading.local()
        self._opened: list = []
        self._opened_lock = threading.Lock()
        with self._reachable():
            self.version, self.applied = migrate(self.connection(), series, migrations, self.location)

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.OperationalError as exc:
            self._local.conn = None
            raise IndexProblem(f"cannot reach {self.location}: {str(exc).strip().splitlines()[0]}") from None

    def connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            import psycopg

            conn = psycopg.connect(self.url, autocommit=True)
            self._local.conn = conn
            with self._opened_lock:
                self._opened = [c for c in self._opened if not c.closed] + [conn]
        return conn

    def execute(self, sql: str, params: Sequence = ()) -> Cursor:
        with self._reachable():
            cursor = self.connection().execute(*postgres_sql(sql, params))
            rows = cursor.fetchall() if cursor.description else []
        return _Rows(rows, cursor.rowcount)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._reachable():
            conn = self.connection()
            with conn.transaction():
                yield _PostgresTransaction(conn)

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened = []


def migrate(conn, series: str, migrations: dict[int, str], location: str) -> tuple[int, list[int]]:
    """Apply ``series``' pending ``migrations`` in one transaction; (its version, the versions applied)."""
    newest = max(migrations)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_MIGRATE,))
        conn.execute("CREATE TABLE IF NOT EXISTS state_migrations (series text NOT NULL, version int NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (series, version))")
        version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM state_migrations WHERE series = %s", (series,)).fetchone()[0]
        if version > newest:
            raise IndexMismatch(f"{location} has {series} schema version {version}, this version knows up to {newest}; "
                                "upgrade crisisbot")
        applied = list(range(version + 1, newest + 1))
        for n in applied:
            conn.execute(migrations[n])
            conn.execute("INSERT INTO state_migrations (series, version) VALUES (%s, %s)", (series, n))
    return newest, applied
