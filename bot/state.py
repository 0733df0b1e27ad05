"""The bot's own state in ``<data_dir>/state.sqlite``: answers behind buttons, feedback votes and the audit log.

What it holds about members, and for how long:

* user ids only as salted SHA-256 hashes; the salt is not in this file (the
  ``user_hash_salt`` setting, else ``<data_dir>/user-salt``, 0600);
* the text of public questions and /search queries (they were posted in a
  channel anyway); a ``private`` question is stored as ``(private question)``;
* answers, searches, "last answer" pointers and votes for ``max_age_days``
  (``prune`` deletes older ones; reads ignore them already);
* the audit log of moderator actions, kept.

The data dir is 0700 and state.sqlite (with its -wal and -shm) 0600.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from index.fsutil import FILE_MODE, private_dir, private_file
from index.sqlite import immediate

PRIVATE_QUESTION = "(private question)"
SALT_FILE = "user-salt"
DAY = 86_400.0

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

    @classmethod
    def of(cls, citation) -> StoredCitation:
        """What the buttons need of a citation (``index.answer.Citation`` or a stored one)."""
        return cls(**{f.name: getattr(citation, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class AuditEntry:
    time: float
    actor: str  # a display name, or "cli:<os user>", or "scheduler"
    actor_id: str | None
    action: str  # "sources add", "sources remove", "reindex", "refresh"
    target: str
    result: str  # plain text: escape it to show it
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


def shared_salt(path: Path, candidate: str) -> str:
    """The salt in ``path``; when there is none yet, ``candidate`` is put there first.

    The file appears whole or not at all: the salt goes to a temporary file
    created with O_CREAT|O_EXCL (0600), which is then hard-linked to ``path``.
    A link never replaces an existing file, so of two processes racing, one
    salt wins and both read it back.
    """
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(candidate + "\n")
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: its salt stands
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    salt = path.read_text(encoding="ascii").strip()
    if not salt:
        raise RuntimeError(f"{path} is empty; delete it to start with a new salt (stored votes then lose their owner)")
    return salt


class BotState:
    """state.sqlite, safe to share between the event loop and worker threads."""

    def __init__(self, path: Path, *, salt: str | None = None, max_age_days: float = 30.0):
        private_dir(path.parent)
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        private_file(path)
        self.max_age_days = max_age_days
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
        self._db.executescript(SCHEMA)
        for suffix in ("-wal", "-shm"):  # files made by an older version may be 0644
            with contextlib.suppress(FileNotFoundError):
                private_file(path.with_name(path.name + suffix))
        self._salt_file, self._configured_salt = path.parent / SALT_FILE, salt
        self._take_salt_out()

    def _take_salt_out(self) -> None:
        """An older version kept the salt in the meta table, next to the hashes: it moves to the salt
        file (so existing hashes stay valid) and out of this database."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row is not None:
            shared_salt(self._salt_file, row[0])
            with self._transaction() as db:
                db.execute("DELETE FROM meta WHERE key = 'salt'")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and out of the write-ahead log

    @functools.cached_property
    def _salt(self) -> str:
        """The configured salt, else the salt file's (made on first use: the CLI's audit needs none)."""
        return self._configured_salt or shared_salt(self._salt_file, secrets.token_hex(16))

    def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on any exception."""
        return immediate(self._db, self._lock)

    def _cutoff(self, max_age_days: float | None = None) -> float:
        return time.time() - DAY * (self.max_age_days if max_age_days is None else max_age_days)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def user_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()

    # --- answers, searches and votes (kept max_age_days) ---

    def save_answer(self, question: str, citations: Sequence, *, private: bool = False) -> str:
        """Store an answer for its buttons (its citations as ``StoredCitation``); a private question's text is not stored."""
        answer_id = uuid.uuid4().hex[:16]
        blob = json.dumps([asdict(StoredCitation.of(c)) for c in citations])
        with self._transaction() as db:
            db.execute("INSERT INTO answers VALUES (?, ?, ?, ?)",
                       (answer_id, PRIVATE_QUESTION if private else question, blob, time.time()))
        return answer_id

    def answer(self, answer_id: str) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT question, citations FROM answers WHERE answer_id = ? AND created >= ?", (answer_id, self._cutoff())
            ).fetchone()
        if row is None:
            return None
        return StoredAnswer(answer_id, row[0], [StoredCitation(**c) for c in json.loads(row[1])])

    def remember_last(self, user_id: int, answer_id: str) -> None:
        """The answer ``/source n`` reads for this user."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO last_answer VALUES (?, ?)", (self.user_hash(user_id), answer_id))

    def last_answer(self, user_id: int) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute("SELECT answer_id FROM last_answer WHERE user_hash = ?", (self.user_hash(user_id),)).fetchone()
        return self.answer(row[0]) if row else None

    def save_search(self, query: str, user_id: int, *, since: str | None = None, until: str | None = None,
                    exclude: list[int] | None = None) -> str:
        search_id = uuid.uuid4().hex[:16]
        with self._transaction() as db:
            db.execute(
                "INSERT INTO searches VALUES (?, ?, ?, ?, ?, ?, ?)",
                (search_id, query, since, until, json.dumps(exclude or []), self.user_hash(user_id), time.time()),
            )
        return search_id

    def search(self, search_id: str) -> StoredSearch | None:
        with self._lock:
            row = self._db.execute(
                "SELECT query, since, until, exclude, user_hash FROM searches WHERE search_id = ? AND created >= ?",
                (search_id, self._cutoff()),
            ).fetchone()
        if row is None:
            return None
        return StoredSearch(search_id, row[0], row[1], row[2], json.loads(row[3]), row[4])

    def vote(self, answer_id: str, user_id: int, vote: int) -> bool:
        """Record (or change) a user's vote; False when the answer is unknown (or older than max_age_days)."""
        stored = self.answer(answer_id)
        if stored is None:
            return False
        ids = json.dumps([c.paragraph_id for c in stored.citations])
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, stored.question, ids, self.user_hash(user_id), vote, time.time()),
            )
        return True

    def feedback(self) -> list[tuple]:
        with self._lock:
            return self._db.execute(
                "SELECT answer_id, question, paragraph_ids, user_hash, vote FROM feedback ORDER BY time"
            ).fetchall()

    def prune(self, max_age_days: float | None = None) -> dict[str, int]:
        """Delete answers, searches and votes older than ``max_age_days`` (default: the state's own), and
        the "last answer" pointers to deleted answers; the audit log is kept.  Returns the rows deleted."""
        cutoff = self._cutoff(max_age_days)
        with self._transaction() as db:
            deleted = {
                "answers": db.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount,
                "searches": db.execute("DELETE FROM searches WHERE created < ?", (cutoff,)).rowcount,
                "feedback": db.execute("DELETE FROM feedback WHERE time < ?", (cutoff,)).rowcount,
                "last_answer": db.execute(
                    "DELETE FROM last_answer WHERE answer_id NOT IN (SELECT answer_id FROM answers)"
                ).rowcount,
            }
        return deleted

    # --- the audit log (kept) ---

    def audit(self, actor: str, action: str, target: str, result: str, *, ok: bool = True, actor_id: int | str | None = None) -> AuditEntry:
        """Record a moderator action (``result`` as plain text); returns the stored entry."""
        entry = AuditEntry(time.time(), actor, None if actor_id is None else str(actor_id), action, target, result, ok)
        with self._transaction() as db:
            db.execute(
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

    # --- each server's default language (/language) ---

    @functools.cached_property
    def _guild_languages(self) -> dict[int, str]:
        """Every server's default language, read once (a few rows) and kept in memory."""
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS guild_language (guild_id INTEGER PRIMARY KEY, language TEXT NOT NULL)")
            return dict(db.execute("SELECT guild_id, language FROM guild_language").fetchall())

    def guild_language(self, guild_id: int) -> str | None:
        """The language a moderator chose for this server, or None (then Discord's server locale counts)."""
        return self._guild_languages.get(int(guild_id))

    def set_guild_language(self, guild_id: int, language: str | None) -> None:
        """Set (or, with None, clear) a server's default language."""
        languages = self._guild_languages
        with self._transaction() as db:
            if language is None:
                db.execute("DELETE FROM guild_language WHERE guild_id = ?", (int(guild_id),))
            else:
                db.execute("INSERT OR REPLACE INTO guild_language (guild_id, language) VALUES (?, ?)", (int(guild_id), language))
        if language is None:
            languages.pop(int(guild_id), None)
        else:
            languages[int(guild_id)] = language
