"""The bot's own state in ``<data_dir>/state.sqlite``: answers behind buttons, feedback votes and the audit log.

What it holds about members, and for how long:

* user ids only as salted SHA-256 hashes; the salt is not in this file (the
  ``user_hash_salt`` setting, else ``<data_dir>/user-salt``, 0600);
* the text of public questions and /search queries (they were posted in a
  channel anyway); a ``private`` question is stored as ``(private question)``;
* answers, searches, "last answer" pointers and votes for ``max_age_days``
  (``prune`` deletes older ones; reads ignore them already);
* a thread's conversation: its last few questions and the paragraph ids cited, by
  thread id, with no user id (pruned with the answers); per-server settings;
* for /insights, one event per question asked (time, guild, language, answered or refused and why,
  citations; no user id at all), for ``max_age_days``;
* the audit log of moderator actions, kept;
* the channels auto-answered (/autoanswer), with the moderator who added each as a hash, until removed.

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
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from index.conversation import Turn
from index.fsutil import FILE_MODE, private_dir, private_file
from index.sqlite import immediate

PRIVATE_QUESTION = "(private question)"
# The guild of the interaction or mention being answered (None in a DM): set where they enter the bot
# (bot/app.py), read by ``record_asked`` (``asyncio.to_thread`` carries it to the worker thread).
ASKING_GUILD: ContextVar[int | None] = ContextVar("asking_guild", default=None)
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

# --- auto-answer channels (/autoanswer): one row per channel; the moderator who added it as a salted hash ---
SCHEMA += """
CREATE TABLE IF NOT EXISTS autoanswer_channels (
    guild_id INTEGER NOT NULL, channel_id INTEGER PRIMARY KEY, tag_id INTEGER,
    say_nothing_found INTEGER NOT NULL, added_by TEXT NOT NULL, added REAL NOT NULL
);
"""

# Conversations in Discord threads and per-server settings (bot/cogs/threads.py): a thread id and the
# turns of its conversation (questions asked there and the paragraph ids cited), no user ids.
SCHEMA += """
CREATE TABLE IF NOT EXISTS conversations (
    thread_id TEXT PRIMARY KEY, turns TEXT NOT NULL, opened INTEGER NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (guild_id, key)
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
class AutoAnswerChannel:
    guild_id: int
    channel_id: int
    tag_id: int | None  # a forum's tag a post must carry; None: every post (and every text channel)
    say_nothing_found: bool  # post a short "nothing in my sources" instead of staying silent
    added_by: str  # the moderator's salted hash
    added: float


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

                "conversations": db.execute("DELETE FROM conversations WHERE updated < ?", (cutoff,)).rowcount,
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

    # --- asked events, for /insights (kept max_age_days; no user ids at all) ---

    def record_asked(self, answer, answer_id: str | None = None, *, private: bool = False, guild_id: int | None = None) -> None:
        """One question asked: when (UTC), where (``guild_id``, default ``ASKING_GUILD``; None for a DM), its language,
        answered or refused and why, what it cited; a private question's text is not stored.  Nothing says who asked."""
        guild_id = ASKING_GUILD.get() if guild_id is None else guild_id
        cited = json.dumps([{"paragraph_id": c.paragraph_id, "title": c.title, "url": c.url} for c in answer.citations])
        self._asked_table  # noqa: B018 (created on first use)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO asked VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), None if guild_id is None else str(guild_id), answer_id, int(answer.abstained), answer.language,
                 PRIVATE_QUESTION if private else answer.question, cited, answer.reason or ""),
            )

    def asked_since(self, days: float, guild_id: int | None = None) -> list[dict]:
        """The asked events of the last ``days`` (never older than max_age_days), oldest first; one guild's, or all."""
        since = max(self._cutoff(), time.time() - DAY * days)
        where, values = "time >= ?", [since]
        if guild_id is not None:
            where, values = where + " AND guild_id = ?", values + [str(guild_id)]
        self._asked_table  # noqa: B018
        with self._lock:
            rows = self._db.execute(
                f"SELECT time, guild_id, answer_id, abstained, language, question, citations, reason FROM asked WHERE {where} ORDER BY time",
                values,
            ).fetchall()
        keys = ("time", "guild_id", "answer_id", "abstained", "language", "question", "citations", "reason")
        events = [dict(zip(keys, row)) for row in rows]
        for event in events:
            event["abstained"], event["citations"] = bool(event["abstained"]), json.loads(event["citations"])
        return events

    def votes_since(self, days: float) -> list[dict]:
        """Votes of the last ``days`` (never older than max_age_days): answer id, question, vote, time; no user."""
        since = max(self._cutoff(), time.time() - DAY * days)
        with self._lock:
            rows = self._db.execute(
                "SELECT answer_id, question, vote, time FROM feedback WHERE time >= ? ORDER BY time", (since,)
            ).fetchall()
        return [{"answer_id": a, "question": q, "vote": v, "time": t} for a, q, v, t in rows]

    def insights(self, days: float, *, guild_id: int | None = None, vocabulary=None, top: int = 10):
        """``index.insights.Insights`` of the last ``days``: one guild's (votes only on its answers), or all."""
        from index.insights import compute

        return compute(self.asked_since(days, guild_id), self.votes_since(days), days=days, now=time.time(),
                       vocabulary=vocabulary, top=top, only_known_answers=guild_id is not None)

    def prune_asked(self, max_age_days: float | None = None) -> int:
        """Delete asked events older than ``max_age_days`` (default: the state's own); returns how many."""
        self._asked_table  # noqa: B018
        with self._transaction() as db:
            return db.execute("DELETE FROM asked WHERE time < ?", (self._cutoff(max_age_days),)).rowcount

    @functools.cached_property
    def _asked_table(self) -> str:
        """The asked table, created the first time it is needed (its schema lives with its queries)."""
        with self._transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS asked (time REAL NOT NULL, guild_id TEXT, answer_id TEXT, abstained INTEGER NOT NULL,"
                " language TEXT NOT NULL, question TEXT NOT NULL, citations TEXT NOT NULL, reason TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS asked_time ON asked (time)")
        return "asked"
    # --- auto-answer channels (/autoanswer) ---

    def set_autoanswer(self, guild_id: int, channel_id: int, *, tag_id: int | None, say_nothing_found: bool,
                       added_by: int) -> AutoAnswerChannel:
        """Auto-answer in ``channel_id`` (replacing its earlier settings); ``added_by`` is stored hashed."""
        entry = AutoAnswerChannel(guild_id, channel_id, tag_id, say_nothing_found, self.user_hash(added_by), time.time())
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO autoanswer_channels VALUES (?, ?, ?, ?, ?, ?)",
                       (guild_id, channel_id, tag_id, int(say_nothing_found), entry.added_by, entry.added))
        return entry

    def remove_autoanswer(self, guild_id: int, channel_id: int) -> bool:
        """Stop auto-answering in ``channel_id``; False when it was not auto-answered."""
        with self._transaction() as db:
            return db.execute("DELETE FROM autoanswer_channels WHERE guild_id = ? AND channel_id = ?",
                              (guild_id, channel_id)).rowcount > 0

    def autoanswer_channels(self, guild_id: int | None = None) -> list[AutoAnswerChannel]:
        """The auto-answered channels (of one guild, or all), oldest first."""
        where, args = ("WHERE guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT guild_id, channel_id, tag_id, say_nothing_found, added_by, added FROM autoanswer_channels {where} "
                "ORDER BY added", args
            ).fetchall()
        return [AutoAnswerChannel(g, c, t, bool(s), a, when) for g, c, t, s, a, when in rows]

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

    # --- conversations in threads, and per-server settings (bot/cogs/threads.py) ---

    def conversation(self, thread_id: int) -> Conversation | None:
        """The stored turns of a thread's conversation (oldest first), unless older than max_age_days."""
        with self._lock:
            row = self._db.execute(
                "SELECT turns, opened FROM conversations WHERE thread_id = ? AND updated >= ?", (str(thread_id), self._cutoff())
            ).fetchone()
        if row is None:
            return None
        return Conversation(thread_id, [Turn.from_json(t) for t in json.loads(row[0])], bool(row[1]))

    def add_turn(self, thread_id: int, turn: Turn, *, keep: int, opened: bool = False) -> Conversation:
        """Append ``turn`` to the thread's conversation, keeping its last ``keep`` turns.

        ``opened``: the bot opened this thread (every member message there may be a follow-up);
        once set it stays set.  Read and write are one transaction, so two follow-ups at once both count.
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT turns, opened FROM conversations WHERE thread_id = ? AND updated >= ?", (str(thread_id), self._cutoff())
            ).fetchone()
            turns = [Turn.from_json(t) for t in json.loads(row[0])] if row else []
            turns = (turns + [turn])[-keep:] if keep > 0 else []
            opened = opened or bool(row and row[1])
            db.execute("INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, ?)",
                       (str(thread_id), json.dumps([t.to_json() for t in turns]), int(opened), time.time()))
        return Conversation(thread_id, turns, opened)

    def guild_setting(self, guild_id: int, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM guild_settings WHERE guild_id = ? AND key = ?", (str(guild_id), key)).fetchone()
        return row[0] if row else None

    def set_guild_setting(self, guild_id: int, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO guild_settings VALUES (?, ?, ?)", (str(guild_id), key, value))


@dataclass(frozen=True)
class Conversation:
    thread_id: int
    turns: list[Turn]  # oldest first
    opened: bool  # the bot opened the thread (from an answer)
