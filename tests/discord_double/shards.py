"""The Discord double with shards: two guilds, each on the shard Discord would put it on.

``GET /gateway/bot`` recommends ``shard_count`` shards; a connection IDENTIFYing as
``shard: [id, count]`` gets in its READY only the guilds of that shard, ``(guild_id >> 22) %
shard_count`` as Discord computes it, and from then on only their events (direct messages go to
shard 0, as Discord sends them).  With two shards the test guild (``GUILD_ID``) is on shard 1 and
``SECOND_GUILD_ID`` on shard 0.
"""

from __future__ import annotations

import asyncio
import contextvars
import os

from aiohttp import web

from tests.discord_double.server import CHANNEL_ID, GUILD_ID, LOG_CHANNEL_ID, DiscordDouble, Request

SECOND_GUILD_ID = 900000000004194405  # (id >> 22) % 2 == 0: the other shard of two
SECOND_CHANNEL_ID = 900000000004194500
SECOND_LOG_CHANNEL_ID = 900000000004194501
_peer: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar("peer", default=None)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


class ShardedDiscordDouble(DiscordDouble):
    def __init__(self, shard_count: int = 2) -> None:
        super().__init__()
        self.shard_count = shard_count
        self.guilds = [GUILD_ID, SECOND_GUILD_ID]
        self.identified: list[int] = []  # the shard of every IDENTIFY, in order
        self.delivered: dict[str, list[int]] = {}  # dispatched id (interaction, message) -> the shards it went to
        self.processes: list[int] = []  # pids of bot processes: each recorded request then names its sender's (.pid)

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
        shard = self.shard_of.get(id(entry[0]))
        if shard == wanted and "id" in data:
            self.delivered.setdefault(str(data["id"]), []).append(shard)
        return shard == wanted

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        if self.processes:
            _peer.set((request.transport.get_extra_info("peername")[1], self.port))  # type: ignore[union-attr]
        return await super()._rest(request)

    async def _record(self, request: Request) -> None:
        peer = _peer.get()
        request.pid = socket_owner(*peer, self.processes) if peer else None  # type: ignore[attr-defined]
        await super()._record(request)

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


def socket_owner(local_port: int, remote_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` owns the loopback TCP connection from ``local_port`` to ``remote_port`` (Linux /proc)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port and int(fields[2].rsplit(":", 1)[1], 16) == remote_port:
                inode = fields[9]
                break
        if inode:
            break
    if inode is None:
        return None
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None
