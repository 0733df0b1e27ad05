"""A wire-level Discord test double: REST under ``/api/v10`` and a zlib-stream gateway on 127.0.0.1."""

from tests.discord_double.server import APP_ID, BOT_ID, CHANNEL_ID, GUILD_ID, DiscordDouble, Request

__all__ = ["APP_ID", "BOT_ID", "CHANNEL_ID", "GUILD_ID", "DiscordDouble", "Request"]
