"""The bot state's tables: SQLite DDL (run on open) and the same tables as numbered PostgreSQL migrations.

Both hold the same columns, so the SQL of ``bot/state/store.py`` runs on either; in Postgres times are
``DOUBLE PRECISION`` (``REAL`` is 4 bytes there), Discord ids ``BIGINT``, the audit id an identity column.
A new table or column is one more line in ``SCHEMA`` and one more entry in ``MIGRATIONS``.
"""

from __future__ import annotations

SERIES = "bot_state"  # its name in state_migrations (index/database.py)

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

# Asked events (/insights, no user ids), each server's default language, and the members' cooldowns
# (by salted hash: one row per member and kind, the time of the last question let through).
SCHEMA += """
CREATE TABLE IF NOT EXISTS asked (
    time REAL NOT NULL, guild_id TEXT, answer_id TEXT, abstained INTEGER NOT NULL,
    language TEXT NOT NULL, question TEXT NOT NULL, citations TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS asked_time ON asked (time);
CREATE TABLE IF NOT EXISTS guild_language (guild_id INTEGER PRIMARY KEY, language TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cooldowns (
    user_hash TEXT NOT NULL, kind TEXT NOT NULL, last REAL NOT NULL, PRIMARY KEY (user_hash, kind)
);
"""

MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE answers (
    answer_id text PRIMARY KEY, question text NOT NULL, citations text NOT NULL, created double precision NOT NULL
);
CREATE INDEX answers_created ON answers (created);
CREATE TABLE searches (
    search_id text PRIMARY KEY, query text NOT NULL, since text, until text,
    exclude text NOT NULL, user_hash text NOT NULL, created double precision NOT NULL
);
CREATE TABLE last_answer (user_hash text PRIMARY KEY, answer_id text NOT NULL);
CREATE TABLE audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time double precision NOT NULL, actor text NOT NULL,
    actor_id text, action text NOT NULL, target text NOT NULL, result text NOT NULL, ok integer NOT NULL
);
CREATE TABLE feedback (
    answer_id text NOT NULL, question text NOT NULL, paragraph_ids text NOT NULL,
    user_hash text NOT NULL, vote integer NOT NULL, time double precision NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
CREATE TABLE autoanswer_channels (
    guild_id bigint NOT NULL, channel_id bigint PRIMARY KEY, tag_id bigint,
    say_nothing_found integer NOT NULL, added_by text NOT NULL, added double precision NOT NULL
);
CREATE TABLE conversations (
    thread_id text PRIMARY KEY, turns text NOT NULL, opened integer NOT NULL, updated double precision NOT NULL
);
CREATE TABLE guild_settings (
    guild_id text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (guild_id, key)
);
CREATE TABLE asked (
    time double precision NOT NULL, guild_id text, answer_id text, abstained integer NOT NULL,
    language text NOT NULL, question text NOT NULL, citations text NOT NULL, reason text NOT NULL
);
CREATE INDEX asked_time ON asked (time);
CREATE TABLE guild_language (guild_id bigint PRIMARY KEY, language text NOT NULL);
CREATE TABLE cooldowns (
    user_hash text NOT NULL, kind text NOT NULL, last double precision NOT NULL, PRIMARY KEY (user_hash, kind)
);
""",
}
