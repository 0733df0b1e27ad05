"""Feed and sitemap subscriptions and what their polls learned, in ``<data dir>/feeds.sqlite``.

One row per subscription (url, kind, interval, the validators of its last answer, when it was
and will next be polled, its counters and last error) and one row per item seen in it (key,
url, the fingerprint of its entry, the hash of the text indexed, the document id, consecutive
404/410 misses).  WAL; everything one poll learned is written in one transaction, after the
index write it made was published, so a crash leaves at worst an item that is added again
(same document id: replaced, not doubled).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from index.fsutil import private_dir, private_file
from index.sqlite import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    url TEXT PRIMARY KEY, kind TEXT NOT NULL, interval_minutes REAL NOT NULL, added REAL NOT NULL, added_by TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '', etag TEXT, last_modified TEXT, newest TEXT,
    last_poll REAL, next_poll REAL NOT NULL, http_status INTEGER, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    seen INTEGER NOT NULL DEFAULT 0, added_items INTEGER NOT NULL DEFAULT 0, updated_items INTEGER NOT NULL DEFAULT 0,
    removed_items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    feed TEXT NOT NULL REFERENCES subscriptions(url) ON DELETE CASCADE, key TEXT NOT NULL, url TEXT,
    fingerprint TEXT NOT NULL, text_hash TEXT, document_id TEXT, misses INTEGER NOT NULL DEFAULT 0, checked REAL NOT NULL,
    PRIMARY KEY (feed, key)
);
"""


@dataclass
class Subscription:
    url: str
    kind: str  # "feed" or "sitemap"
    interval_minutes: float
    added: float
    added_by: str
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    newest: str | None = None  # sitemaps: the newest date seen; only URLs newer than it are fetched
    last_poll: float | None = None
    next_poll: float = 0.0
    http_status: int | None = None
    failures: int = 0
    last_error: str | None = None
    seen: int = 0
    added_items: int = 0
    updated_items: int = 0
    removed_items: int = 0


@dataclass
class Item:
    feed: str
    key: str
    url: str | None
    fingerprint: str
    text_hash: str | None = None
    document_id: str | None = None  # None while nothing of it is indexed
    misses: int = 0
    checked: float = field(default_factory=time.time)


class SubscriptionStore:
    """The subscriptions and their items; thread-safe (the bot polls in a worker thread)."""

    def __init__(self, path: Path):
        private_dir(path.parent)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        private_file(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        return immediate(self._db, self._lock)

    # --- subscriptions ---

    def add(self, subscription: Subscription) -> bool:
        """False when the URL is already subscribed (nothing changes)."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM subscriptions WHERE url = ?", (subscription.url,)).fetchone():
                return False
            _insert(db, "subscriptions", asdict(subscription))
        return True

    def remove(self, url: str) -> list[Item]:
        """Drop a subscription; its items (their documents are the caller's to remove)."""
        with self.transaction() as db:
            items = self._items(db, url)
            db.execute("DELETE FROM subscriptions WHERE url = ?", (url,))
        return items

    def get(self, url: str) -> Subscription | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_columns(Subscription)} FROM subscriptions WHERE url = ?", (url,)).fetchone()
        return Subscription(*row) if row else None

    def all(self) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_columns(Subscription)} FROM subscriptions ORDER BY added, url").fetchall()
        return [Subscription(*row) for row in rows]

    def due(self, now: float) -> list[Subscription]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_columns(Subscription)} FROM subscriptions WHERE next_poll <= ? ORDER BY next_poll",
                                    (now,)).fetchall()
        return [Subscription(*row) for row in rows]

    # --- items ---

    def items(self, feed: str) -> dict[str, Item]:
        with self._lock:
            return {item.key: item for item in self._items(self._db, feed)}

    @staticmethod
    def _items(db: sqlite3.Connection, feed: str) -> list[Item]:
        rows = db.execute(f"SELECT {_columns(Item)} FROM items WHERE feed = ?", (feed,)).fetchall()
        return [Item(*row) for row in rows]

    def save_poll(self, subscription: Subscription, changed: list[Item], dropped: list[str]) -> None:
        """What one poll learned, in one transaction: the subscription's row, changed items, items dropped (by key)."""
        with self.transaction() as db:
            values = asdict(subscription)
            db.execute(f"UPDATE subscriptions SET {', '.join(f'{k} = :{k}' for k in values)} WHERE url = :url", values)
            for item in changed:
                _insert(db, "items", asdict(item), replace=True)
            db.executemany("DELETE FROM items WHERE feed = ? AND key = ?", [(subscription.url, key) for key in dropped])


def _columns(cls) -> str:
    return ", ".join(f.name for f in fields(cls))


def _insert(db: sqlite3.Connection, table: str, values: dict, *, replace: bool = False) -> None:
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    db.execute(f"{verb} INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values)
