"""Feed and sitemap subscriptions and what their polls learned, in ``<data dir>/feeds.sqlite`` or, with a
database URL, in tables of that PostgreSQL database (index/database.py; shared by every process).

One row per subscription (url, kind, interval, the validators of its last answer, when it was
and will next be polled, its counters and last error) and one row per item seen in it (key,
url, the fingerprint of its entry, the hash of the text indexed, the document id, consecutive
404/410 misses).  WAL; everything one poll learned is written in one transaction, after the
index write it made was published, so a crash leaves at worst an item that is added again
(same document id: replaced, not doubled).  WAL applies to the SQLite file.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from index.database import PostgresDatabase, Transaction, open_database

SERIES = "feeds"  # its name in state_migrations (index/database.py)

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

MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE subscriptions (
    url text PRIMARY KEY, kind text NOT NULL, interval_minutes double precision NOT NULL, added double precision NOT NULL,
    added_by text NOT NULL, title text NOT NULL DEFAULT '', etag text, last_modified text, newest text,
    last_poll double precision, next_poll double precision NOT NULL, http_status integer, failures integer NOT NULL DEFAULT 0,
    last_error text, seen bigint NOT NULL DEFAULT 0, added_items bigint NOT NULL DEFAULT 0,
    updated_items bigint NOT NULL DEFAULT 0, removed_items bigint NOT NULL DEFAULT 0
);
CREATE INDEX subscriptions_next_poll ON subscriptions (next_poll);
CREATE TABLE items (
    feed text NOT NULL REFERENCES subscriptions(url) ON DELETE CASCADE, key text NOT NULL, url text,
    fingerprint text NOT NULL, text_hash text, document_id text, misses integer NOT NULL DEFAULT 0,
    checked double precision NOT NULL,
    PRIMARY KEY (feed, key)
);
""",
}


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

    def __init__(self, path: Path, *, database_url: str | None = None):
        self.path = path
        self.db = open_database(path=path, url=database_url, series=SERIES, sqlite_schema=SCHEMA, migrations=MIGRATIONS,
                                foreign_keys=True)

    @staticmethod
    def migrate(database_url: str) -> tuple[str, int, list[int]]:
        """Apply the pending migrations of its PostgreSQL tables: (where, version, applied)."""
        db = PostgresDatabase(database_url, SERIES, MIGRATIONS)
        db.close()
        return db.location, db.version, db.applied

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> contextlib.AbstractContextManager[Transaction]:
        """One write transaction, rolled back on any exception."""
        return self.db.transaction()

    # --- subscriptions ---

    def add(self, subscription: Subscription) -> bool:
        """False when the URL is already subscribed (nothing changes)."""
        with self.transaction() as db:
            return _insert(db, "subscriptions", asdict(subscription), conflict="(url) DO NOTHING") > 0

    def remove(self, url: str) -> list[Item]:
        """Drop a subscription; its items (their documents are the caller's to remove)."""
        with self.transaction() as db:
            items = self._items(db, url)
            db.execute("DELETE FROM subscriptions WHERE url = ?", (url,))
        return items

    def get(self, url: str) -> Subscription | None:
        row = self.db.execute(f"SELECT {_columns(Subscription)} FROM subscriptions WHERE url = ?", (url,)).fetchone()
        return Subscription(*row) if row else None

    def all(self) -> list[Subscription]:
        rows = self.db.execute(f"SELECT {_columns(Subscription)} FROM subscriptions ORDER BY added, url").fetchall()
        return [Subscription(*row) for row in rows]

    def due(self, now: float) -> list[Subscription]:
        rows = self.db.execute(f"SELECT {_columns(Subscription)} FROM subscriptions WHERE next_poll <= ? ORDER BY next_poll",
                               (now,)).fetchall()
        return [Subscription(*row) for row in rows]

    # --- items ---

    def items(self, feed: str) -> dict[str, Item]:
        return {item.key: item for item in self._items(self.db, feed)}

    @staticmethod
    def _items(db, feed: str) -> list[Item]:
        rows = db.execute(f"SELECT {_columns(Item)} FROM items WHERE feed = ?", (feed,)).fetchall()
        return [Item(*row) for row in rows]

    def save_poll(self, subscription: Subscription, changed: list[Item], dropped: list[str]) -> None:
        """What one poll learned, in one transaction: the subscription's row, changed items, items dropped (by key)."""
        with self.transaction() as db:
            values = asdict(subscription)
            url = values.pop("url")
            db.execute(f"UPDATE subscriptions SET {', '.join(f'{k} = ?' for k in values)} WHERE url = ?", [*values.values(), url])
            updates = ", ".join(f"{f.name} = excluded.{f.name}" for f in fields(Item) if f.name not in ("feed", "key"))
            for item in changed:
                _insert(db, "items", asdict(item), conflict=f"(feed, key) DO UPDATE SET {updates}")
            db.executemany("DELETE FROM items WHERE feed = ? AND key = ?", [(subscription.url, key) for key in dropped])


def _columns(cls) -> str:
    return ", ".join(f.name for f in fields(cls))


def _insert(db: Transaction, table: str, values: dict, *, conflict: str) -> int:
    """INSERT ... ON CONFLICT ``conflict``; the rows inserted or updated."""
    sql = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)}) ON CONFLICT {conflict}"
    return db.execute(sql, list(values.values())).rowcount
