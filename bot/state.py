"""The bot's own state in ``<data_dir>/state.sqlite``: answers behind buttons, and feedback votes."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY, question TEXT NOT NULL, citations TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS searches (
    search_id TEXT PRIMARY KEY, query TEXT NOT NULL, since TEXT, until TEXT,
    exclude TEXT NOT NULL, user_hash TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS last_answer (user_hash TEXT PRIMARY KEY, answer_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, actor TEXT NOT NULL, actor_id TEXT,
    action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL, ok INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL, question TEXT NOT NULL, paragraph_ids TEXT NOT NULL,
    user_hash TEXT NOT NULL, vote INTEGER NOT NULL, time REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
"""


@dataclass(frozen=True)
class StoredCitation:
    n: int
    title: str
    url: str | None
    date: str | None
    source: str
    text: str
    paragraph_id: int


@dataclass(frozen=True)
class AuditEntry:
    time: float
    actor: str  # a display name, or "cli:<os user>", or "scheduler"
    actor_id: str | None
    action: str  # "sources add", "sources remove", "reindex", "refresh"
    target: str
    result: str
    ok: bool


@dataclass(frozen=True)
class StoredSearch:
    search_id: str
    query: str
    since: str | None
    until: str | None
    exclude: list[int]  # paragraph ids not to show again (the ones an answer already cited)
    user_hash: str


@dataclass(frozen=True)
class StoredAnswer:
    answer_id: str
    question: str
    citations: list[StoredCitation]


class BotState:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
            row = self._db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        self._salt = row[0]

    def close(self) -> None:
        self._db.close()

    def user_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()

    def save_answer(self, question: str, citations: list[StoredCitation]) -> str:
        answer_id = uuid.uuid4().hex[:16]
        blob = json.dumps([c.__dict__ for c in citations])
        with self._lock:
            self._db.execute("INSERT INTO answers VALUES (?, ?, ?, ?)", (answer_id, question, blob, time.time()))
        return answer_id

    def audit(self, actor: str, action: str, target: str, result: str, *, ok: bool = True, actor_id: int | str | None = None) -> AuditEntry:
        """Record a moderator action; returns the stored entry."""
        entry = AuditEntry(time.time(), actor, None if actor_id is None else str(actor_id), action, target, result, ok)
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (time, actor, actor_id, action, target, result, ok) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (entry.time, entry.actor, entry.actor_id, entry.action, entry.target, entry.result, int(entry.ok)),
            )
        return entry

    def recent_audit(self, limit: int = 10) -> list[AuditEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT time, actor, actor_id, action, target, result, ok FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [AuditEntry(*row[:6], bool(row[6])) for row in rows]

    def remember_last(self, user_id: int, answer_id: str) -> None:
        """The answer ``/source n`` reads for this user."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO last_answer VALUES (?, ?)", (self.user_hash(user_id), answer_id))

    def last_answer(self, user_id: int) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute("SELECT answer_id FROM last_answer WHERE user_hash = ?", (self.user_hash(user_id),)).fetchone()
        return self.answer(row[0]) if row else None

    def save_search(self, query: str, user_id: int, *, since: str | None = None, until: str | None = None,
                    exclude: list[int] | None = None) -> str:
        search_id = uuid.uuid4().hex[:16]
        with self._lock:
            self._db.execute(
                "INSERT INTO searches VALUES (?, ?, ?, ?, ?, ?, ?)",
                (search_id, query, since, until, json.dumps(exclude or []), self.user_hash(user_id), time.time()),
            )
        return search_id

    def search(self, search_id: str) -> StoredSearch | None:
        with self._lock:
            row = self._db.execute(
                "SELECT query, since, until, exclude, user_hash FROM searches WHERE search_id = ?", (search_id,)
            ).fetchone()
        if row is None:
            return None
        return StoredSearch(search_id, row[0], row[1], row[2], json.loads(row[3]), row[4])

    def answer(self, answer_id: str) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT question, citations FROM answers WHERE answer_id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            return None
        return StoredAnswer(answer_id, row[0], [StoredCitation(**c) for c in json.loads(row[1])])

    def vote(self, answer_id: str, user_id: int, vote: int) -> bool:
        """Record (or change) a user's vote; False when the answer is unknown."""
        stored = self.answer(answer_id)
        if stored is None:
            return False
        ids = json.dumps([c.paragraph_id for c in stored.citations])
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, stored.question, ids, self.user_hash(user_id), vote, time.time()),
            )
        return True

    def feedback(self) -> list[tuple]:
        with self._lock:
            return self._db.execute(
                "SELECT answer_id, question, paragraph_ids, user_hash, vote FROM feedback ORDER BY time"
            ).fetchall()
