"""Feed and sitemap subscriptions and what their polls learned, in ``<data dir>/feeds.sqlite`` or, with a
database URL, in tables of that PostgreSQL database (index/database.py; shared by every process).

One row per subscription (url, kind, interval, the validators of its last answer, when it was
and will next be polled, its counters and last error) and one row per item seen in it (key,
url, the fingerprint of its entry, the hash of the text indexed, the document id, consecutive
404/410 misses, when its page was last checked and the page's validators, since when the feed no
longer lists it).  WAL; everything one poll learned is written in one transaction, after the
index write it made was published, so a crash leaves at worst an item that is added again
(same document id: replaced, not doubled).  WAL applies to the SQLite file.

Items that left the feed longer ago than the retention age are forgotten (``prune_before``); their
documents stay indexed.  A poll reads only the rows it needs (the listed keys, the items whose page
was missing, the oldest-checked few), through indexes on (feed, checked) of the listed items, (feed, unlisted_since) and the items with misses,
never the whole table.

A new column is one more line in ``SCHEMA`` (new files), ``SQLITE_COLUMNS`` (files made before it)
and one more entry in ``MIGRATIONS`` (PostgreSQL).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from index.database import PostgresDatabase, Transaction, open_database

SERIES = "feeds"  # its name in state_migrations (index/database.py)
KEYS_PER_QUERY = 500  # keys in one IN (...) (SQLite allows 999 parameters in older builds)

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    url TEXT PRIMARY KEY, kind TEXT NOT NULL, interval_minutes REAL NOT NULL, added REAL NOT NULL, added_by TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '', etag TEXT, last_modified TEXT, newest TEXT,
    last_poll REAL, next_poll REAL NOT NULL, http_status INTEGER, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    seen INTEGER NOT NULL DEFAULT 0, added_items INTEGER NOT NULL DEFAULT 0, updated_items INTEGER NOT NULL DEFAULT 0,
    removed_items INTEGER NOT NULL DEFAULT 0, pruned_items INTEGER NOT NULL DEFAULT 0,
    rechecked_items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    feed TEXT NOT NULL REFERENCES subscriptions(url) ON DELETE CASCADE, key TEXT NOT NULL, url TEXT,
    fingerprint TEXT NOT NULL, text_hash TEXT, document_id TEXT, misses INTEGER NOT NULL DEFAULT 0, checked REAL NOT NULL,
    unlisted_since REAL, etag TEXT, last_modified TEXT,
    PRIMARY KEY (feed, key)
);
"""

# Columns added after the first release: (table, column, declaration), added to older feeds.sqlite files on open.
SQLITE_COLUMNS = [
    ("subscriptions", "pruned_items", "INTEGER NOT NULL DEFAULT 0"),
    ("subscriptions", "rechecked_items", "INTEGER NOT NULL DEFAULT 0"),
    ("items", "unlisted_since", "REAL"),
    ("items", "etag", "TEXT"),
    ("items", "last_modified", "TEXT"),
]

INDEXES = """
CREATE INDEX IF NOT EXISTS items_listed_checked ON items (feed, checked) WHERE unlisted_since IS NULL;
CREATE INDEX IF NOT EXISTS items_unlisted ON items (feed, unlisted_since);
CREATE INDEX IF NOT EXISTS items_missing ON items (feed) WHERE misses > 0;
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
    2: """
ALTER TABLE subscriptions ADD COLUMN pruned_items bigint NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN rechecked_items bigint NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN unlisted_since double precision;
ALTER TABLE items ADD COLUMN etag text;
ALTER TABLE items ADD COLUMN last_modified text;
""" + INDEXES,
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
    pruned_items: int = 0  # items forgotten: gone from the feed longer than the retention age
    rechecked_items: int = 0  # item pages re-checked at polls the feed answered 304


@dataclass
class Item:
    feed: str
    key: str
    url: str | None
    fingerprint: str
    text_hash: str | None = None
    document_id: str | None = None  # None while nothing of it is indexed
    misses: int = 0
    checked: float = field(default_factory=time.time)  # when its page (or entry) was last read
    unlisted_since: float | None = None  # the first poll whose listing did not have it; None while listed
    etag: str | None = None  # the validators of its page's last re-check (a conditional GET next time)
    last_modified: str | None = None


class SubscriptionStore:
    """The subscriptions and their items; thread-safe (the bot polls in a worker thread)."""

    def __init__(self, path: Path, *, database_url: str | None = None):
        self.path = path
        self.db = open_database(path=path, url=database_url, series=SERIES, sqlite_schema=SCHEMA, migrations=MIGRATIONS,
                                foreign_keys=True)
        if self.db.backend == "sqlite":
            _upgrade_sqlite(self.db)

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
        """Every item of a feed (a poll never needs them all: see the reads below)."""
        return {item.key: item for item in self._items(self.db, feed)}

    @staticmethod
    def _items(db, feed: str) -> list[Item]:
        rows = db.execute(f"SELECT {_columns(Item)} FROM items WHERE feed = ?", (feed,)).fetchall()
        return [Item(*row) for row in rows]

    def items_with_keys(self, feed: str, keys: list[str]) -> dict[str, Item]:
        """The items of these keys (those a listing names), by key."""
        found: dict[str, Item] = {}
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start:start + KEYS_PER_QUERY]
            rows = self.db.execute(f"SELECT {_columns(Item)} FROM items WHERE feed = ? AND key IN ({', '.join('?' * len(chunk))})",
                                   [feed, *chunk]).fetchall()
            found.update((row[1], Item(*row)) for row in rows)
        return found

    def missing_items(self, feed: str) -> list[Item]:
        """Items whose page answered 404 or 410 at its last check."""
        rows = self.db.execute(f"SELECT {_columns(Item)} FROM items WHERE feed = ? AND misses > 0 ORDER BY checked", (feed,))
        return [Item(*row) for row in rows.fetchall()]

    def oldest_checked(self, feed: str, before: float, limit: int) -> list[Item]:
        """Up to ``limit`` items still listed, indexed from a page and last checked before ``before``, oldest first."""
        rows = self.db.execute(f"SELECT {_columns(Item)} FROM items WHERE feed = ? AND checked < ? AND unlisted_since IS NULL"
                               " AND document_id IS NOT NULL AND url IS NOT NULL ORDER BY checked LIMIT ?", (feed, before, limit))
        return [Item(*row) for row in rows.fetchall()]

    def listed_keys(self, feed: str) -> set[str]:
        """The keys of the items the feed listed last time (not yet marked as gone from it)."""
        return {row[0] for row in self.db.execute("SELECT key FROM items WHERE feed = ? AND unlisted_since IS NULL",
                                                  (feed,)).fetchall()}

    def save_poll(self, subscription: Subscription, changed: list[Item], dropped: list[str], *, unlisted: list[str] = (),
                  now: float | None = None, prune_before: float | None = None) -> int:
        """What one poll learned, in one transaction: changed items, items dropped (by key), items the listing no longer
        has (``unlisted``: marked as gone from it at ``now``), items gone from it before ``prune_before`` forgotten
        (their documents stay indexed), then the subscription's row (``pruned_items`` counting those).  The items
        forgotten."""
        with self.transaction() as db:
            updates = ", ".join(f"{f.name} = excluded.{f.name}" for f in fields(Item) if f.name not in ("feed", "key"))
            for item in changed:
                _insert(db, "items", asdict(item), conflict=f"(feed, key) DO UPDATE SET {updates}")
            db.executemany("DELETE FROM items WHERE feed = ? AND key = ?", [(subscription.url, key) for key in dropped])
            db.executemany("UPDATE items SET unlisted_since = ? WHERE feed = ? AND key = ? AND unlisted_since IS NULL",
                           [(now, subscription.url, key) for key in unlisted])
            pruned = 0
            if prune_before is not None:
                pruned = db.execute("DELETE FROM items WHERE feed = ? AND unlisted_since < ?",
                                    (subscription.url, prune_before)).rowcount
                subscription.pruned_items += pruned
            values = asdict(subscription)
            url = values.pop("url")
            db.execute(f"UPDATE subscriptions SET {', '.join(f'{k} = ?' for k in values)} WHERE url = ?", [*values.values(), url])
        return pruned


def _upgrade_sqlite(db) -> None:
    """Add the columns a feeds.sqlite made by an older version lacks, then the indexes (which need them)."""
    with db.transaction() as tx:
        for table, column, declaration in SQLITE_COLUMNS:
            if column not in {row[1] for row in tx.execute(f"PRAGMA table_info({table})").fetchall()}:
                tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        for statement in filter(str.strip, INDEXES.split(";")):
            tx.execute(statement)


def _columns(cls) -> str:
    return ", ".join(f.name for f in fields(cls))


def _insert(db: Transaction, table: str, values: dict, *, conflict: str) -> int:
    """INSERT ... ON CONFLICT ``conflict``; the rows inserted or updated."""
    sql = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)}) ON CONFLICT {conflict}"
    return db.execute(sql, list(values.values())).rowcount
