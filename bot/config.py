"""Settings for the Discord bot: the core's settings plus the Discord-only ones."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

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
    # --- several processes (bot/leader.py; README "Operations: several processes") ---
    shard_count: int | None = Field(
        None, ge=1, le=1024, description="Discord shards in all; with shard_ids this process connects only those (unset: one shard)."
    )
    shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        None, description="The shards this process connects, comma-separated, e.g. 0,1 (needs shard_count; unset: all of them)."
    )
    leader_check_seconds: float = Field(
        5.0, gt=0, le=300, description="How often a process checks (or tries to take) the leadership that runs feed polls "
                                       "and scheduled refreshes, when several share CRISISBOT_DATABASE_URL.",
    )

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, value):
        """'0,1' (the environment's form) or a list; blank means unset."""
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not parts:
                return None
            try:
                return [int(part) for part in parts]
            except ValueError:
                raise ValueError(f"shard ids are whole numbers separated by commas, like 0,1 (got {value.strip()!r})") from None
        return value

    @model_validator(mode="after")
    def _shards_in_range(self):
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("CRISISBOT_SHARD_IDS needs CRISISBOT_SHARD_COUNT (the number of shards in all)")
        outside = sorted({i for i in self.shard_ids if not 0 <= i < self.shard_count})
        if outside:
            raise ValueError(f"shard ids go from 0 to {self.shard_count - 1} with {self.shard_count} shards; "
                             f"{', '.join(map(str, outside))} is out of range")
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("a shard id is listed twice in CRISISBOT_SHARD_IDS")
        return self

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def syncs_commands(self) -> bool:
        """Whether this process syncs the command tree: the one running shard 0 (every process would do the same PUT)."""
        return self.shard_ids is None or 0 in self.shard_ids
