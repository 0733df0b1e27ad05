"""What the small SQLite stores of the service and the bot (feeds.sqlite, state.sqlite) share."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def immediate(db: sqlite3.Connection, lock: threading.Lock | threading.RLock) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``db`` (shared by threads under ``lock``): BEGIN IMMEDIATE, committed when the
    block ends, rolled back on any exception."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
