"""PostgresStore: the index in a PostgreSQL database with pgvector, the second ``Store`` (index/store/protocol.py).

A write is one database transaction: ``with store.write() as tx`` takes the writers' advisory lock
(a second writer, in any process, gets WriteInProgress), makes its changes, bumps the generation in
``store_state`` and commits; publication is the commit.  Readers keep the previous generation until
then, and after a failure or a killed process (Postgres rolls the transaction back).  Each thread
reads through a connection of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from index.embed import Progress
from index.store.postgres import schema
from index.store.postgres.view import EF_SEARCH, PostgresView
from index.store.postgres.writer import PostgresTransaction
from index.store.protocol import IndexMismatch, IndexProblem, NoIndex, WriteInProgress

READ_WORK_MEM = "64MB"  # per reading connection and sort or hash: a question's BM25 over 100k paragraphs fits
VACUUM_AFTER = 1_000  # paragraphs added and removed by one write, after which its tables are vacuumed and analysed


def describe(url: str) -> str:
    """The database's address without its password, for messages."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured PostgreSQL database"
    host, port = info.get("host") or "localhost", f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{host}{port}/{info.get('dbname') or info.get('user') or ''}"


@contextmanager
def reachable(location: str) -> Iterator[None]:
    """Turn a lost or refused connection into an IndexProblem a user can read."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise IndexProblem(f"cannot reach {location}: {str(exc).strip().splitlines()[0]}") from None


class PostgresStore:
    """The index in the database at ``url``, built with ``model``."""

    def __init__(self, url: str, model: str):
        self.url = url
        self.model = model
        self.location = describe(url)
        self._local = threading.local()
        self._view: PostgresView | None = None
        self._view_lock = threading.Lock()
        self._opened: list[psycopg.Connection] = []  # every thread's, for close()

    # .. connections ..

    def connection(self) -> psycopg.Connection:
        """This thread's reading connection (autocommit), opened or reopened when needed; NoIndex before any schema."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            with reachable(self.location):
                conn = schema.connect(self.url)
                try:
                    if schema.check_version(conn, self.location) == 0:
                        raise NoIndex.at(self.location)
                    schema.register(conn)
                    conn.execute(f"SET hnsw.ef_search = {EF_SEARCH}")
                    conn.execute(f"SET work_mem = '{READ_WORK_MEM}'")  # BM25 sums a common term's postings in memory
                except BaseException:
                    conn.close()
                    raise
            self._local.conn = conn
            self._opened = [c for c in self._opened if not c.closed] + [conn]
        return conn

    def close(self) -> None:
        """Close every thread's reading connection (a later read opens a new one)."""
        for conn in self._opened:
            conn.close()
        self._opened = []

    def migrate(self) -> tuple[int, list[int]]:
        """Apply pending schema migrations (``crisisbot migrate``); the version, and those applied."""
        with reachable(self.location), schema.connect(self.url) as conn:
            return schema.migrate(conn, self.location)

    def kept_sources(self):
        """The copies of added sources, kept in this database for every host (index/store/postgres/kept.py)."""
        from index.store.postgres.kept import KeptInPostgres

        return KeptInPostgres(self)

    # .. reading ..

    def _state(self, columns: str = "generation, manifest") -> tuple:
        sql = f"SELECT {columns} FROM store_state"
        with reachable(self.location):
            try:
                return self.connection().execute(sql).fetchone()
            except psycopg.OperationalError:
                self._local.conn = None  # a restarted server: one more try on a new connection
                return self.connection().execute(sql).fetchone()

    def has_index(self) -> bool:
        try:
            return self._state()[1] is not None
        except NoIndex:
            return False

    def current(self) -> PostgresView:
        """The published generation (the newest, whichever process committed it)."""
        view = self._view
        if view is not None and view.generation == self._state("generation")[0]:
            return view  # one small read per question while nothing is published
        generation, manifest = self._state()
        if manifest is None:
            raise NoIndex.at(self.location)
        with self._view_lock:
            view = self._view
            if view is None or view.generation != generation:
                check_model(manifest, self.model, self.location)
                view = self._view = PostgresView(self.connection, generation, manifest, self.location)
        return view

    # .. writing ..

    @contextmanager
    def write(self, *, fresh: bool = False, progress: Progress | None = None) -> Iterator[PostgresTransaction]:
        """One transaction under the writers' lock: the caller's edits, commit; or a rollback and the undo actions."""
        with reachable(self.location):
            conn = schema.connect(self.url)
        try:
            with reachable(self.location):
                schema.migrate(conn, self.location)
                schema.register(conn)
                if not conn.execute("SELECT pg_try_advisory_lock(%s)", (schema.LOCK_WRITE,)).fetchone()[0]:
                    raise WriteInProgress("another index write (build, add or remove) is running; try again when it ends")
            tx: PostgresTransaction | None = None
            try:
                with reachable(self.location), conn.transaction():
                    published = conn.execute("SELECT manifest FROM store_state").fetchone()[0]
                    if published is not None and not fresh:
                        check_model(published, self.model, self.location)
                    tx = PostgresTransaction(conn, self.location, published, fresh=fresh, progress=progress)
                    yield tx
                    tx.commit()
            except BaseException:
                for action in reversed(tx.undo if tx else []):
                    action()
                raise
            if tx.changed >= VACUUM_AFTER:  # removed rows leave HNSW and the planner's statistics stale until vacuumed
                with reachable(self.location):
                    conn.execute("VACUUM (ANALYZE) paragraphs, terms, term_stats, occurrences, documents")
            for action in tx.after:
                action()
        finally:
            conn.close()  # releases the writers' lock

    def merge_due(self) -> bool:
        return False  # every write is already one whole generation

    def merge(self, *, progress: Progress | None = None) -> dict | None:
        return None


def check_model(manifest: dict, model: str, location: str) -> None:
    if manifest.get("format_version") != schema.FORMAT_VERSION:
        raise IndexMismatch(f"the index in {location} has format {manifest.get('format_version')}, this version reads "
                            f"{schema.FORMAT_VERSION}; re-index with `crisisbot index build`")
    if manifest.get("model") != model:
        raise IndexMismatch(
            f"the index was built with model {manifest.get('model')!r} but the configured model is {model!r}; "
            "re-index with `crisisbot index build` (or set CRISISBOT_MODEL back)"
        )
