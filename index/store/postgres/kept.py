"""KeptInPostgres: the copies of added sources (index/kept.py) as rows of the index's database.

One row a copy in ``kept_sources`` (name, kind, bytes, SHA-256, added time; migration 2 of
``schema``).  A write changes them through the index write's own connection, so they are published
with it by one commit, or rolled back with it: a discarded write leaves no copy behind, and a removed
source's row is gone for everyone once the removal commits.  Every host behind the database sees the
same copies, whatever its data dir.

A document read from a copy has the origin ``kept:<name>``, the same on every host.  For the readers,
``readable`` writes the copies to a private temporary folder for as long as the block runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import psycopg

from index.fsutil import FILE_MODE, private_dir
from index.kept import FILE, KeptFolder, KeptSources, check_name, kind_of
from index.store.protocol import NoIndex, Transaction

if TYPE_CHECKING:
    from index.store.postgres.store import PostgresStore

PREFIX = "kept:"
FETCH_ROWS = 50  # copies held in memory at once while they are written out for a rebuild


class KeptInPostgres(KeptSources):
    """The copies in the database of ``store`` (a ``PostgresStore``)."""

    def __init__(self, store: PostgresStore):
        self.store = store
        self.location = f"{store.location} (kept_sources)"

    def _conn(self, tx: Transaction | None) -> psycopg.Connection:
        """The write's connection (inside its transaction), else this thread's reading one."""
        return tx.conn if tx is not None else self.store.connection()  # type: ignore[attr-defined]

    def origin(self, name: str) -> str:
        return PREFIX + name

    def name_of(self, origin: str) -> str | None:
        return origin[len(PREFIX):] if origin.startswith(PREFIX) else None

    def names(self) -> list[str]:
        try:
            return [row[0] for row in self._conn(None).execute("SELECT name FROM kept_sources ORDER BY name")]
        except NoIndex:  # a database crisisbot never wrote to
            return []

    def read(self, name: str, tx: Transaction | None = None) -> bytes | None:
        try:
            row = self._conn(tx).execute("SELECT data FROM kept_sources WHERE name = %s", (name,)).fetchone()
        except NoIndex:
            return None
        return bytes(row[0]) if row else None

    def write(self, name: str, data: bytes, tx: Transaction) -> None:
        self._conn(tx).execute(
            """INSERT INTO kept_sources (name, kind, data, sha256) VALUES (%s, %s, %s, %s)
               ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, data = EXCLUDED.data, sha256 = EXCLUDED.sha256,
                                                added_at = now()""",
            (check_name(name), kind_of(name), data, hashlib.sha256(data).hexdigest()),
        )

    def adopt(self, folder: KeptFolder, tx: Transaction) -> list[str]:
        """Move in the copies an earlier version kept in ``folder`` on this host, and give the documents read from
        them the origin they have here; the names they have here.  A file whose name is taken by other bytes
        gets ``<stem>-<hash>`` (as ``keep_files`` does); a page whose name is taken keeps the copy already here."""
        adopted = []
        for name in folder.names():
            data = folder.read(name) or b""
            here, existing = name, self.read(name, tx)
            if existing is not None and existing != data and kind_of(name) == FILE:
                path = PurePosixPath(name)
                here = str(path.with_name(f"{path.stem}-{hashlib.sha1(data).hexdigest()[:8]}{path.suffix}"))
                existing = self.read(here, tx)
            if existing is None:
                self.write(here, data, tx)
            self._conn(tx).execute("UPDATE documents SET origin = %s WHERE origin = %s", (self.origin(here), folder.origin(name)))
            adopted.append(here)
        return adopted

    def set_aside(self, name: str, tx: Transaction) -> None:
        """Deleted in the write's transaction: others keep reading it until the commit, a rollback brings it back."""
        self._conn(tx).execute("DELETE FROM kept_sources WHERE name = %s", (name,))

    @contextmanager
    def readable(self, tx: Transaction, names: Sequence[str] | None = None) -> Iterator[Path | None]:
        conn = self._conn(tx)
        where, params = ("WHERE name = ANY(%s)", (list(names),)) if names is not None else ("", ())
        if not conn.execute(f"SELECT EXISTS (SELECT 1 FROM kept_sources {where})", params).fetchone()[0]:
            yield None
            return
        folder = Path(tempfile.mkdtemp(prefix="crisisbot-kept-"))  # 0700
        try:
            with conn.cursor(name="kept_sources_out") as cursor:  # server-side: the copies stream, FETCH_ROWS at a time
                cursor.itersize = FETCH_ROWS
                cursor.execute(f"SELECT name, data FROM kept_sources {where} ORDER BY name", params)
                for name, data in cursor:
                    path = folder / check_name(name)
                    private_dir(path.parent)
                    # 0600 and no fsync: a scratch copy, gone after the block (an fsync each made it ~10x slower: bench/kept_sources.py)
                    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as f:
                        f.write(data)
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
