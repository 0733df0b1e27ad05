"""A wire-level Discord test double: REST under ``/api/v10`` and a zlib-stream gateway on 127.0.0.1."""

from __future__ import annotations

import contextlib

import discord
import yarl

from tests.discord_double.server import APP_ID, BOT_ID, CHANNEL_ID, GUILD_ID, DiscordDouble, Request

__all__ = ["APP_ID", "BOT_ID", "CHANNEL_ID", "GUILD_ID", "DiscordDouble", "Request", "point_discord_at", "serving"]


def point_discord_at(api_base: str, gateway_url: str, setattr=setattr) -> None:
    """Send discord.py's REST calls and its gateway connection to a double on loopback.

    Pass ``monkeypatch.setattr`` as ``setattr`` to have pytest undo it after the test."""
    setattr(discord.http.Route, "BASE", api_base)
    setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway_url))


@contextlib.asynccontextmanager
async def serving(server: DiscordDouble, monkeypatch):
    """Start ``server``, point discord.py at it for this test, close it afterwards."""
    await server.start()
    point_discord_at(server.api_base, server.gateway_url, monkeypatch.setattr)
    try:
        yield server
    finally:
        await server.close()
