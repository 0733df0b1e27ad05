"""Settings for the Discord bot: the core's settings plus the Discord-only ones."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr

from index.config import Settings


class BotSettings(Settings):
    discord_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("DISCORD_TOKEN", "discord_token"),
        description="The bot token from the Discord developer portal.",
    )
    discord_guild_id: int | None = Field(
        None,
        validation_alias=AliasChoices("DISCORD_GUILD_ID", "discord_guild_id"),
        description="Sync commands to this one guild (instant) instead of globally.",
    )
    log_level: str = Field("WARNING", description="Log level of the CLI and the bot (DEBUG, INFO, WARNING, ERROR).")
    ask_cooldown_seconds: float = Field(10.0, ge=0, description="Per-user wait between two /ask.")
    moderator_role: str | None = Field(
        None, description="Members with this role (by name) may manage sources, besides those with Manage Server."
    )
    log_channel_id: int | None = Field(None, description="Channel where every moderator action is posted.")
    refresh_minutes: float | None = Field(
        None, gt=0, description="Re-fetch URL sources this often and re-index the pages that changed (off when unset)."
    )
    state_max_age_days: float = Field(
        30.0, gt=0, description="Stored answers and searches (behind buttons) and feedback older than this are deleted."
    )
    button_clicks_per_minute: int = Field(20, ge=1, description="Button clicks one member may make per minute.")
    max_messages_per_click: int = Field(3, ge=1, le=10, description="Most messages one 'Show sources' click sends.")
    user_hash_salt: SecretStr | None = Field(
        None, description="Salt for hashing user ids; unset: a random one kept in <data dir>/user-salt (0600)."
    )
    feeds_tick_seconds: float = Field(
        60.0, gt=0, description="How often the bot looks for feed and sitemap subscriptions due for a poll, in seconds."
    )
    max_upload_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest file /sources add accepts.")
    # --- operations (bot/health.py, bot/logs.py) ---
    http_port: int | None = Field(
        None, ge=0, le=65535, description="Serve /healthz and /metrics on this port (0: any free port; unset: off)."
    )
    http_host: str = Field("127.0.0.1", description="Address the /healthz and /metrics endpoint listens on.")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as text, or as one JSON object per line (for log shippers)."
    )
    # --- auto-answers in forum and help channels (/autoanswer), conversations in threads (bot/cogs/threads.py) ---
    read_message_content: bool = Field(
        False, description="Ask Discord for the privileged message-content intent: auto-answers then read a forum post's "
                           "text besides its title, and text channels can be auto-answered; every member message in a "
                           "thread the bot opened is a follow-up (turn it on in the developer portal too).",
    )
    autoanswer_min_evidence: float = Field(
        0.55, ge=0, description="Auto-answer a post only when its best passage's evidence reaches this (stricter than min_evidence).",
    )
    autoanswer_per_minute: int = Field(6, ge=1, description="Most auto-answers one channel gets in any 60 s.")
