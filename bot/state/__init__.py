"""The bot's own state: answers behind buttons, feedback votes, the audit log, asked events, auto-answer
channels, server settings, conversations in threads and cooldowns.

In ``<data_dir>/state.sqlite``, or in PostgreSQL (``database_url``) where every process of the bot shares
it (bot/state/store.py; the tables in bot/state/schema.py; the database seam in index/database.py).
"""

from bot.state.salt import SALT_FILE, shared_salt
from bot.state.schema import MIGRATIONS, SCHEMA
from bot.state.store import (
    ASKING_GUILD,
    DAY,
    PRIVATE_QUESTION,
    AuditEntry,
    AutoAnswerChannel,
    BotState,
    Conversation,
    SaltMismatch,
    StoredAnswer,
    StoredCitation,
    StoredSearch,
)

__all__ = [
    "ASKING_GUILD", "DAY", "MIGRATIONS", "PRIVATE_QUESTION", "SALT_FILE", "SCHEMA", "AuditEntry", "AutoAnswerChannel",
    "BotState", "Conversation", "SaltMismatch", "StoredAnswer", "StoredCitation", "StoredSearch", "shared_salt",
]
