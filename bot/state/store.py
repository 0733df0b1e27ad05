"""The bot's state, one class over the database seam of index/database.py (SQLite file or PostgreSQL).

What it holds about members, and for how long:

* user ids only as salted SHA-256 hashes; the salt is never stored next to them (the
  ``user_hash_salt`` setting, else ``<data_dir>/user-salt``, 0600).  In PostgreSQL, shared by every
  process of the bot, the ``meta`` table keeps a check of the salt (a hash of it, not the salt): a
  process with another salt refuses to start instead of making hashes the others do not recognise;
* the text of public questions and /search queries (they were posted in a channel anyway); a
  ``private`` question is stored as ``(private question)``;
* answers, searches, "last answer" pointers and votes for ``max_age_days`` (``prune`` deletes older
  ones; reads ignore them already);
* a thread's conversation: its last few questions and the paragraph ids cited, by thread id, with no
  user id (pruned with the answers); per-server settings;
* for /insights, one event per question asked (time, guild, language, answered or refused and why,
  citations; no user id at all), for ``max_age_days``;
* each member's last question let through the cooldown (by hash; pruned a day later);
* the audit log of moderator actions, kept;
* the channels auto-answered (/autoanswer), with the moderator who added it as a hash, until removed.

In SQLite the data dir is 0700 and state.sqlite (with its -wal and -shm) 0600.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from bot.state.salt import SALT_FILE, shared_salt
from bot.state.schema import MIGRATIONS, SCHEMA, SERIES
from index.conversation import Turn
from index.database import Database, Transaction, open_database
from index.errors import CrisisError
from index.fsutil import private_dir

PRIVATE_QUESTION = "(private question)"
# The guild of the interaction or mention being answered (None in a DM): set where they enter the bot
# (bot/app.py), read by ``record_asked`` (``asyncio.to_thread`` carries it to the worker thread).
ASKING_GUILD: ContextVar[int | None] = ContextVar("asking_guild", default=None)
DAY = 86_400.0
LANGUAGES_TTL = 30.0  # seconds a process trusts its copy of the servers' languages
SALT_CHECK = "salt_check"  # the meta row holding a hash of the salt (PostgreSQL)


class SaltMismatch(CrisisError):
    """The shared state's hashes were made with another salt."""


def check_salt(db: Transaction, salt: str, location: str) -> None:
    """In a shared state's write transaction: keep a hash of ``salt`` (never the salt) in ``meta`` unless one is
    there, the first writer's; SaltMismatch when the one there is another salt's."""
    check = hashlib.sha256(f"crisisbot salt check:{salt}".encode()).hexdigest()
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (SALT_CHECK, check))
    if db.execute("SELECT value FROM meta WHERE key = ?", (SALT_CHECK,)).fetchone()[0] != check:
        raise SaltMismatch(
            f"the bot state in {location} was written with another salt for user ids; every process "
            "sharing it needs the same CRISISBOT_USER_HASH_SALT (or the same data dir's user-salt file)")


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


class BotState:
    """The state in ``path`` (SQLite), or in the PostgreSQL database at ``database_url``; safe to share
    between the event loop and worker threads, and (in PostgreSQL) between processes."""

    def __init__(self, path: Path, *, salt: str | None = None, max_age_days: float = 30.0, database_url: str | None = None):
        self.max_age_days = max_age_days
        self.db: Database = open_database(path=path, url=database_url, series=SERIES, sqlite_schema=SCHEMA,
                                          migrations=MIGRATIONS, secure_delete=True)
        self._salt_file, self._configured_salt = path.parent / SALT_FILE, salt
        if self.db.backend == "sqlite":
            self._take_salt_out()

    @classmethod
    def open(cls, settings, *, check_salt: bool = False) -> BotState:
        """The state ``settings`` say: PostgreSQL with a ``database_url``, else ``<data_dir>/state.sqlite``.

        ``check_salt`` (the bot, at start): in PostgreSQL, SaltMismatch now rather than at a member's first click
        when this process's salt is not the one the shared state was written with."""
        url, salt = getattr(settings, "database_url", None), getattr(settings, "user_hash_salt", None)
        state = cls(settings.data_dir / "state.sqlite", salt=salt.get_secret_value() if salt else None,
                    max_age_days=getattr(settings, "state_max_age_days", 30.0),
                    database_url=url.get_secret_value() if url else None)
        if check_salt and state.db.backend != "sqlite":
            try:
                state._salt  # noqa: B018
            except BaseException:
                state.close()
                raise
        return state

    @classmethod
    def migrate(cls, settings) -> tuple[str, int, list[int]] | None:
        """Apply the pending migrations of the state's tables in PostgreSQL: (where, version, applied); None for SQLite."""
        url = getattr(settings, "database_url", None)
        if url is None:
            return None
        from index.database import PostgresDatabase

        db = PostgresDatabase(url.get_secret_value(), SERIES, MIGRATIONS)
        db.close()
        return db.location, db.version, db.applied

    def _take_salt_out(self) -> None:
        """An older version kept the salt in the meta table, next to the hashes: it moves to the salt
        file (so existing hashes stay valid) and out of this database."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row is not None:
            shared_salt(self._salt_file, row[0])
            with self._transaction() as db:
                db.execute("DELETE FROM meta WHERE key = 'salt'")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and out of the write-ahead log

    @functools.cached_property
    def _salt(self) -> str:
        """The configured salt, else the salt file's (made on first use: the CLI's audit needs none).
        In PostgreSQL it must be the salt of every other process: checked against the ``meta`` row."""
        salt = self._configured_salt
        if not salt:
            private_dir(self._salt_file.parent)  # 0700; with PostgreSQL nothing else made it
            salt = shared_salt(self._salt_file, secrets.token_hex(16))
        if self.db.backend != "sqlite":
            with self._transaction() as db:
                check_salt(db, salt, self.db.location)
        return salt

    def _transaction(self):
        """One write transaction: committed when the block ends, rolled back on any exception."""
        return self.db.transaction()

    def _cutoff(self, max_age_days: float | None = None) -> float:
        return time.time() - DAY * (self.max_age_days if max_age_days is None else max_age_days)

    def close(self) -> None:
        self.db.close()

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
        row = self.db.execute(
            "SELECT question, citations FROM answers WHERE answer_id = ? AND created >= ?", (answer_id, self._cutoff())
        ).fetchone()
        if row is None:
            return None
        return StoredAnswer(answer_id, row[0], [StoredCitation(**c) for c in json.loads(row[1])])

    def remember_last(self, user_id: int, answer_id: str) -> None:
        """The answer ``/source n`` reads for this user."""
        with self._transaction() as db:
            db.execute("INSERT INTO last_answer VALUES (?, ?) ON CONFLICT (user_hash) DO UPDATE SET answer_id = excluded.answer_id", (self.user_hash(user_id), answer_id))

    def last_answer(self, user_id: int) -> StoredAnswer | None:
        row = self.db.execute("SELECT answer_id FROM last_answer WHERE user_hash = ?", (self.user_hash(user_id),)).fetchone()
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
        row = self.db.execute(
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
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_hash) DO UPDATE SET"
                " question = excluded.question, paragraph_ids = excluded.paragraph_ids, vote = excluded.vote, time = excluded.time",
                (answer_id, stored.question, ids, self.user_hash(user_id), vote, time.time()),
            )
        return True

    def feedback(self) -> list[tuple]:
        return self.db.execute(
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
                "cooldowns": db.execute("DELETE FROM cooldowns WHERE last < ?", (max(cutoff, time.time() - DAY),)).rowcount,
            }
        return deleted

    # --- cooldowns (one row per member and kind, shared by every process) ---

    def cooldown(self, user_id: int, kind: str, seconds: float) -> float:
        """Let a member's ``kind`` of request through at most once per ``seconds``: 0 when it may go now (and the
        time is taken), else the seconds left.  One statement: the row keeps its time while the cooldown runs."""
        now = time.time()
        with self._transaction() as db:
            last = db.execute(
                "INSERT INTO cooldowns VALUES (?, ?, ?) ON CONFLICT (user_hash, kind) DO UPDATE SET"
                " last = CASE WHEN cooldowns.last <= ? THEN excluded.last ELSE cooldowns.last END RETURNING last",
                (self.user_hash(user_id), kind, now, now - seconds),
            ).fetchone()[0]
        return 0.0 if last == now else max(0.0, seconds - (now - last))

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
        rows = self.db.execute(
            "SELECT time, actor, actor_id, action, target, result, ok FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [AuditEntry(*row[:6], bool(row[6])) for row in rows]

    # --- asked events, for /insights (kept max_age_days; no user ids at all) ---

    def record_asked(self, answer, answer_id: str | None = None, *, private: bool = False, guild_id: int | None = None) -> None:
        """One question asked: when (UTC), where (``guild_id``, default ``ASKING_GUILD``; None for a DM), its language,
        answered or refused and why, what it cited; a private question's text is not stored.  Nothing says who asked."""
        guild_id = ASKING_GUILD.get() if guild_id is None else guild_id
        cited = json.dumps([{"paragraph_id": c.paragraph_id, "title": c.title, "url": c.url} for c in answer.citations])
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
        rows = self.db.execute(
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
        rows = self.db.execute(
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
        with self._transaction() as db:
            return db.execute("DELETE FROM asked WHERE time < ?", (self._cutoff(max_age_days),)).rowcount


    # --- auto-answer channels (/autoanswer) ---

    def set_autoanswer(self, guild_id: int, channel_id: int, *, tag_id: int | None, say_nothing_found: bool,
                       added_by: int) -> AutoAnswerChannel:
        """Auto-answer in ``channel_id`` (replacing its earlier settings); ``added_by`` is stored hashed."""
        entry = AutoAnswerChannel(guild_id, channel_id, tag_id, say_nothing_found, self.user_hash(added_by), time.time())
        with self._transaction() as db:
            db.execute("INSERT INTO autoanswer_channels VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET"
                       " guild_id = excluded.guild_id, tag_id = excluded.tag_id, say_nothing_found = excluded.say_nothing_found,"
                       " added_by = excluded.added_by, added = excluded.added",
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
        rows = self.db.execute(
            f"SELECT guild_id, channel_id, tag_id, say_nothing_found, added_by, added FROM autoanswer_channels {where} "
            "ORDER BY added", args
        ).fetchall()
        return [AutoAnswerChannel(g, c, t, bool(s), a, when) for g, c, t, s, a, when in rows]

    # --- each server's default language (/language) ---

    @property
    def _guild_languages(self) -> dict[int, str]:
        """Every server's default language (a few rows), kept in memory and read again after ``LANGUAGES_TTL``
        seconds: another process sharing the state may have changed one."""
        cached = self.__dict__.get("_languages")
        if cached is None or time.monotonic() - cached[0] > LANGUAGES_TTL:
            cached = (time.monotonic(), dict(self.db.execute("SELECT guild_id, language FROM guild_language").fetchall()))
            self.__dict__["_languages"] = cached
        return cached[1]

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
                db.execute("INSERT INTO guild_language (guild_id, language) VALUES (?, ?)"
                           " ON CONFLICT (guild_id) DO UPDATE SET language = excluded.language", (int(guild_id), language))
        if language is None:
            languages.pop(int(guild_id), None)
        else:
            languages[int(guild_id)] = language

    # --- conversations in threads, and per-server settings (bot/cogs/threads.py) ---

    def conversation(self, thread_id: int) -> Conversation | None:
        """The stored turns of a thread's conversation (oldest first), unless older than max_age_days."""
        row = self.db.execute(
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
            db.lock(f"conversation:{thread_id}")  # two follow-ups at once, in two processes: one after the other
            row = db.execute(
                "SELECT turns, opened FROM conversations WHERE thread_id = ? AND updated >= ?", (str(thread_id), self._cutoff())
            ).fetchone()
            turns = [Turn.from_json(t) for t in json.loads(row[0])] if row else []
            turns = (turns + [turn])[-keep:] if keep > 0 else []
            opened = opened or bool(row and row[1])
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?) ON CONFLICT (thread_id) DO UPDATE SET"
                       " turns = excluded.turns, opened = excluded.opened, updated = excluded.updated",
                       (str(thread_id), json.dumps([t.to_json() for t in turns]), int(opened), time.time()))
        return Conversation(thread_id, turns, opened)

    def guild_setting(self, guild_id: int, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM guild_settings WHERE guild_id = ? AND key = ?", (str(guild_id), key)).fetchone()
        return row[0] if row else None

    def set_guild_setting(self, guild_id: int, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO guild_settings VALUES (?, ?, ?) ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value",
                       (str(guild_id), key, value))


@dataclass(frozen=True)
class Conversation:
    thread_id: int
    turns: list[Turn]  # oldest first
    opened: bool  # the bot opened the thread (from an answer)
