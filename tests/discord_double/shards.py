"""The Discord double with shards: two guilds, each on the shard Discord would put it on.

``GET /gateway/bot`` recommends ``shard_count`` shards; a connection IDENTIFYing as
``shard: [id, count]`` gets in its READY only the guilds of that shard, ``(guild_id >> 22) %
shard_count`` as Discord computes it, and from then on only their events (direct messages go to
shard 0, as Discord sends them).  With two shards the test guild (``GUILD_ID``) is on shard 1 and
``SECOND_GUILD_ID`` on shard 0.
"""

from __future__ import annotations

import asyncio

from tests.discord_double.server import CHANNEL_ID, GUILD_ID, LOG_CHANNEL_ID, DiscordDouble

SECOND_GUILD_ID = 900000000004194405  # (id >> 22) % 2 == 0: the other shard of two
SECOND_CHANNEL_ID = 900000000004194500
SECOND_LOG_CHANNEL_ID = 900000000004194501


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


class ShardedDiscordDouble(DiscordDouble):
    def __init__(self, shard_count: int = 2) -> None:
        super().__init__()
        self.shard_count = shard_count
        self.guilds = [GUILD_ID, SECOND_GUILD_ID]
        self.identified: list[int] = []  # the shard of every IDENTIFY, in order

    def guild_payloads(self, shard: int) -> list[dict]:
        self.identified.append(shard)
        return [self.payload_of(g) for g in self.guilds if shard_of(g, self.shard_count) == shard]

    def payload_of(self, guild_id: int) -> dict:
        guild = self.guild_payload()
        if guild_id == GUILD_ID:
            return guild
        channels = {str(CHANNEL_ID): str(SECOND_CHANNEL_ID), str(LOG_CHANNEL_ID): str(SECOND_LOG_CHANNEL_ID)}
        guild.update(id=str(guild_id), name="Second guild")
        guild["roles"] = [dict(role, id=str(guild_id)) if role["id"] == str(GUILD_ID) else role for role in guild["roles"]]
        guild["channels"] = [dict(c, id=channels[c["id"]], guild_id=str(guild_id)) for c in guild["channels"]]
        return guild

    def routes_to(self, entry, data: dict) -> bool:
        guild_id = data.get("guild_id")
        wanted = shard_of(int(guild_id), self.shard_count) if guild_id else 0
        return self.shard_of.get(id(entry[0])) == wanted

    def _interaction(self, *args, guild_id: int = GUILD_ID, **kwargs) -> dict:
        payload = super()._interaction(*args, guild_id=guild_id, **kwargs)
        if guild_id != GUILD_ID and "guild_id" in payload:
            payload["channel_id"] = payload["channel"]["id"] = str(SECOND_CHANNEL_ID)
        return payload

    async def wait_shards(self, shards, timeout: float = 60) -> None:
        """Until a gateway connection is open for each of ``shards``."""
        async def connected() -> None:
            async with self._changed:
                while not set(shards) <= {self.shard_of.get(id(ws)) for ws, _ in self._sockets}:
                    await self._changed.wait()

        await asyncio.wait_for(connected(), timeout)
