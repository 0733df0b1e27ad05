"""A loopback Discord server speaking the real protocol, for driving the real discord.py client.

REST: the routes a bot uses to log in, sync commands, answer interactions and
post messages; every request is recorded as a :class:`Request`.  Gateway:
HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, with zlib-stream or
zstd-stream compressed frames (one compressor per connection), as discord.py asks for.
Tests inject dispatches (INTERACTION_CREATE, MESSAGE_CREATE) and wait for the
bot's requests.  Threads, message context menus and Discord's limits (2,000-character
messages, 100-character thread names, 3 s to acknowledge, 429s) are in threads.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord_double.threads import ThreadsMixin

APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
OWNER_ID = 900000000000000300
LOG_CHANNEL_ID = 900000000000000201
MODERATOR_ROLE_ID = 900000000000000400
MODERATOR_ROLE = "Corpus moderators"
MEMBER_PERMISSIONS = 3072  # view channel + send messages
MANAGE_GUILD = 1 << 5

DISCORD_EPOCH_MS = 1_420_070_400_000
_last_id = 0


def snowflake() -> str:
    """A new id that, like Discord's, tells when it was made (discord.py reads ``created_at`` from it)."""
    global _last_id
    _last_id = max((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22, _last_id + 1)
    return str(_last_id)


def user_payload(user_id: int, name: str, bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None, "bot": bot}


@dataclass
class Request:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any  # the JSON body, or a multipart request's payload_json
    at: float = field(default_factory=time.perf_counter)


class DiscordDouble(ThreadsMixin):
    def __init__(self) -> None:
        super().__init__()  # threads, context menus and Discord's limits: tests/discord_double/threads.py
        self.requests: list[Request] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._sockets: list[tuple[web.WebSocketResponse, Any]] = []
        self._seq = 0
        self._changed = asyncio.Condition()
        self.sent_at: dict[str, float] = {}  # interaction id -> when it was dispatched
        self.messages: dict[str, dict] = {}  # message id -> payload (channel messages, webhook messages)
        self._originals: dict[str, str] = {}  # interaction token -> id of its original response message
        self.uploads: dict[str, bytes] = {}  # attachment id -> bytes served under /attachments/
        self.intents = 0  # the gateway intents of the last IDENTIFY
        self.shard_count = 1  # what GET /gateway/bot recommends (shards.py: more, with a guild on each)
        self.shard_of: dict[int, int] = {}  # id(gateway socket) -> the shard it IDENTIFYed (or RESUMEd) as

    # --- lifecycle ---
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- recording ---
    async def _record(self, request: Request) -> None:
        async with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[Request], bool], timeout: float = 30, start: int = 0) -> Request:
        """The first recorded request (from index ``start``) matching ``predicate``."""
        async def find() -> Request:
            async with self._changed:
                while True:
                    for request in self.requests[start:]:
                        if predicate(request):
                            return request
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def wait_ready(self, timeout: float = 30) -> None:
        async def ready() -> None:
            async with self._changed:
                while not self._sockets:
                    await self._changed.wait()

        await asyncio.wait_for(ready(), timeout)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.uploads.get(request.match_info["attachment_id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # --- REST ---
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
        received = Request(request.method, path, dict(request.query), body)
        refusal = self.refusal(request.method, path, body)  # Discord's limits (threads.py)
        if refusal is not None:
            return await self.refuse(received, refusal)
        await self._record(received)
        thread = await self.thread_route(request.method, path, body)  # thread creation (threads.py)
        # Discord sends exactly "application/json" (discord.py compares the header verbatim).
        return web.Response(body=json.dumps(thread or self._respond(request.method, path, body)).encode(),
                            headers={"Content-Type": "application/json"})

    def _respond(self, method: str, path: str, body: Any) -> Any:
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return user_payload(BOT_ID, "crisisbot", bot=True)
        if path in ("/oauth2/applications/@me", "/applications/@me"):
            return {
                "id": str(APP_ID), "name": "crisisbot", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "00",
                "owner": user_payload(OWNER_ID, "owner"), "flags": 0,
            }
        if path == "/gateway/bot":
            return {"url": self.gateway_url, "shards": self.shard_count,
                    "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            # Discord answers with every field; a context menu's description is "" (discord.py reads it).
            return [{"description": "", **c, "id": snowflake(), "application_id": str(APP_ID), "version": "1"} for c in body or []]
        if parts[0] == "interactions" and parts[-1] == "callback":
            data = (body or {}).get("data") or {}
            if body.get("type") in (4, 7):  # a message now: remember it as the interaction's original
                self._message(data, self._originals.setdefault(parts[2], snowflake()), webhook=True)
            return {"interaction": {"id": parts[1], "type": 2,
                                    "response_message_loading": body.get("type") == 5,
                                    "response_message_ephemeral": bool(data.get("flags", 0) & 64)}}
        if parts[0] == "webhooks":
            if method == "DELETE":
                return {}
            # /webhooks/{app}/{token}[/messages/{id|@original}]
            token = parts[2] if len(parts) > 2 else ""
            message_id = parts[-1] if parts[-2:-1] == ["messages"] else snowflake()
            if message_id == "@original":
                message_id = self._originals.setdefault(token, snowflake())
            return self._message(body or {}, message_id, webhook=True)
        if parts[0] == "channels" and parts[-1] == "messages" and method == "POST":
            return self._message(body or {}, snowflake(), channel_id=parts[1])
        return {}

    def _message(self, body: dict, message_id: str, channel_id: str | int = CHANNEL_ID, webhook: bool = False) -> dict:
        payload = {
            "id": message_id, "channel_id": str(channel_id), "type": 0,
            "author": user_payload(BOT_ID, "crisisbot", bot=True),
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "attachments": [], "mentions": [], "mention_roles": [],
            "mention_everyone": False, "pinned": False, "tts": False, "flags": body.get("flags", 0),
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(), "edited_timestamp": None,
        }
        if webhook:
            payload["webhook_id"] = str(APP_ID)
        self.messages[message_id] = payload
        return payload

    # --- gateway ---
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        compressor = self._compressor(request.query.get("compress"))
        entry = (ws, compressor)
        await self._send(entry, {"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT and frame.type != WSMsgType.BINARY:
                break
            message = json.loads(frame.data)
            op = message["op"]
            if op == 1:
                await self._send(entry, {"op": 11})
            elif op == 2:
                self.intents = message["d"].get("intents", 0)  # what the bot asked for (forums.py strips content by it)
                sharding = message["d"].get("shard")  # [shard id, shard count], as a sharded bot sends it
                shard = sharding[0] if sharding else 0
                self.shard_of[id(ws)] = shard
                guilds = self.guild_payloads(shard)
                await self._dispatch_to(entry, "READY", {
                    "v": 10, "user": user_payload(BOT_ID, "crisisbot", bot=True),
                    "application": {"id": str(APP_ID), "flags": 0},
                    "session_id": f"session-{shard}", "resume_gateway_url": self.gateway_url,
                    "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
                    **({"shard": sharding} if sharding else {}),
                })
                for guild in guilds:  # the test guild carries its active threads, as Discord sends them
                    threads = {"threads": self.active_threads()} if guild["id"] == str(GUILD_ID) else {}
                    await self._dispatch_to(entry, "GUILD_CREATE", {**guild, **threads})
                async with self._changed:
                    self._sockets.append(entry)
                    self._changed.notify_all()
            elif op == 6:
                self.shard_of[id(ws)] = int(str(message["d"].get("session_id", "session-0")).rpartition("-")[2] or 0)
                await self._dispatch_to(entry, "RESUMED", {})
                async with self._changed:
                    self._sockets.append(entry)
                    self._changed.notify_all()
        if entry in self._sockets:
            self._sockets.remove(entry)
        return ws

    def guild_payloads(self, shard: int) -> list[dict]:
        """The guilds shard ``shard`` gets in its READY (one shard: the one test guild)."""
        return [self.guild_payload()]

    def routes_to(self, entry, data: dict) -> bool:
        """Whether a dispatch about ``data`` goes to the gateway connection ``entry`` (one shard: every one)."""
        return True

    @staticmethod
    def guild_payload() -> dict:
        return {
            "id": str(GUILD_ID), "name": "Test guild", "icon": None, "owner_id": str(OWNER_ID),
            "unavailable": False, "member_count": 2, "large": False,
            "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": "3072", "position": 0,
                       "color": 0, "hoist": False, "managed": False, "mentionable": False},
                      {"id": str(MODERATOR_ROLE_ID), "name": MODERATOR_ROLE, "permissions": "3072", "position": 1,
                       "color": 0, "hoist": False, "managed": False, "mentionable": True}],
            "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "general", "position": 0,
                          "permission_overwrites": [], "guild_id": str(GUILD_ID)},
                         {"id": str(LOG_CHANNEL_ID), "type": 0, "name": "mod-log", "position": 1,
                          "permission_overwrites": [], "guild_id": str(GUILD_ID)}],
            "members": [], "threads": [], "emojis": [], "stickers": [], "voice_states": [], "presences": [],
            "features": [], "joined_at": "2024-01-01T00:00:00+00:00",
        }

    @staticmethod
    def _compressor(kind: str | None):
        """One stream compressor per connection, of the kind discord.py asked for (None: plain text frames)."""
        if kind == "zlib-stream":
            return zlib.compressobj()
        if kind == "zstd-stream":  # discord.py asks for it when the zstandard package is installed
            import zstandard

            return zstandard.ZstdCompressor().compressobj()
        return None

    async def _send(self, entry: tuple[web.WebSocketResponse, Any], payload: dict) -> None:
        ws, compressor = entry
        # Discord's gateway speaks UTF-8 JSON: text it cannot encode (lone surrogates) never reaches a bot.
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if compressor is None:
            await ws.send_str(data.decode("utf-8"))
        elif isinstance(compressor, type(zlib.compressobj())):
            await ws.send_bytes(compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))
        else:
            import zstandard

            await ws.send_bytes(compressor.compress(data) + compressor.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))

    async def _dispatch_to(self, entry, event: str, data: dict) -> None:
        self._seq += 1
        await self._send(entry, {"op": 0, "t": event, "s": self._seq, "d": data})

    async def dispatch(self, event: str, data: dict) -> None:
        await self.wait_ready()
        for entry in list(self._sockets):
            if self.routes_to(entry, data):
                await self._dispatch_to(entry, event, data)

    async def drop_connection(self) -> None:
        """Close the gateway sockets (the client reconnects and RESUMEs)."""
        for ws, _ in list(self._sockets):
            await ws.close(code=4000)

    # --- injecting user actions ---
    def _interaction(self, kind: int, data: dict, user_id: int, guild: bool, message: dict | None = None,
                     permissions: int = MEMBER_PERMISSIONS, roles: tuple[int, ...] = (), locale: str = "en-US",
                     guild_locale: str = "en-US", guild_id: int = GUILD_ID) -> dict:
        interaction_id = snowflake()
        payload: dict = {
            "id": interaction_id, "application_id": str(APP_ID), "type": kind, "data": data,
            "token": f"token-{interaction_id}", "version": 1, "channel_id": str(CHANNEL_ID),
            "locale": locale, "attachment_size_limit": 8 * 1024 * 1024, "app_permissions": "3072",
            "entitlements": [], "authorizing_integration_owners": {}, "context": 0 if guild else 1,
        }
        user = user_payload(user_id, f"user{user_id}")
        if guild:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = guild_locale
            payload["channel"] = {"id": str(CHANNEL_ID), "type": 0, "name": "general", "guild_id": str(guild_id),
                                  "position": 0, "permission_overwrites": []}
            payload["member"] = {"user": user, "roles": [str(r) for r in roles], "joined_at": "2024-01-01T00:00:00+00:00",
                                 "deaf": False, "mute": False, "permissions": str(permissions), "flags": 0}
        else:
            payload["channel"] = {"id": str(CHANNEL_ID), "type": 1, "recipients": [user]}
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        return payload

    def _command_data(self, name: str, options: dict | None, files: dict | None, focused: str | None = None) -> dict:
        """APPLICATION_COMMAND data; ``name`` may be "group sub" for a subcommand."""
        listed = []
        for key, value in (options or {}).items():
            kind = 5 if isinstance(value, bool) else (4 if isinstance(value, int) else 3)
            option = {"name": key, "type": kind, "value": value}
            if key == focused:
                option["focused"] = True
            listed.append(option)
        resolved: dict = {}
        for key, (filename, content) in (files or {}).items():
            attachment_id = snowflake()
            self.uploads[attachment_id] = content
            url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
            resolved.setdefault("attachments", {})[attachment_id] = {
                "id": attachment_id, "filename": filename, "size": len(content), "url": url, "proxy_url": url,
                "content_type": "application/octet-stream",
            }
            listed.append({"name": key, "type": 11, "value": attachment_id})
        top, _, sub = name.partition(" ")
        if sub:
            listed = [{"name": sub, "type": 1, "options": listed}]
        data = {"id": snowflake(), "name": top, "type": 1, "options": listed}
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(self, name: str, options: dict | None = None, *, user: int = 1001, guild: bool = True,
                    files: dict[str, tuple[str, bytes]] | None = None, permissions: int = MEMBER_PERMISSIONS,
                    roles: tuple[int, ...] = (), locale: str = "en-US", guild_locale: str = "en-US",
                    guild_id: int = GUILD_ID) -> dict:
        """Send a slash command ("ask", or "sources add" for a subcommand); returns the interaction payload.

        ``files`` maps an attachment option to (filename, bytes), served by this double as Discord's CDN would.
        ``locale`` is the member's Discord language, ``guild_locale`` the server's.
        """
        payload = self._interaction(2, self._command_data(name, options, files), user, guild, permissions=permissions,
                                    roles=roles, locale=locale, guild_locale=guild_locale, guild_id=guild_id)
        self.sent_at[payload["id"]] = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(self, name: str, options: dict, focused: str, *, user: int = 1001,
                           permissions: int = MEMBER_PERMISSIONS, roles: tuple[int, ...] = ()) -> dict:
        """An APPLICATION_COMMAND_AUTOCOMPLETE interaction while typing option ``focused``."""
        payload = self._interaction(4, self._command_data(name, options, None, focused), user, True,
                                    permissions=permissions, roles=roles)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def message_with(self, custom_id: str) -> dict:
        """The latest message the bot sent that carries a component with ``custom_id``."""
        for message in reversed(list(self.messages.values())):
            for row in message["components"]:
                if any(c.get("custom_id") == custom_id for c in row.get("components", [])):
                    return message
        raise KeyError(f"no message carries a component {custom_id!r}")

    def add_message_with_buttons(self, *custom_ids: str) -> dict:
        """A bot message carrying buttons with ``custom_ids``, as if the bot had sent it earlier."""
        buttons = [{"type": 2, "style": 2, "label": f"button {i}", "custom_id": c} for i, c in enumerate(custom_ids)]
        return self._message({"components": [{"type": 1, "components": buttons}]}, snowflake(), webhook=True)

    async def click(self, custom_id: str, *, user: int = 1001, guild: bool = True, locale: str = "en-US",
                    guild_id: int = GUILD_ID) -> dict:
        """Click a button with ``custom_id`` on the bot message that carries it (as Discord sends it)."""
        message = self.message_with(custom_id)
        payload = self._interaction(3, {"custom_id": custom_id, "component_type": 2}, user, guild, message, locale=locale,
                                    guild_id=guild_id)
        self.sent_at[payload["id"]] = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def mention(self, content: str, *, user: int = 1001) -> dict:
        """A guild channel message that mentions the bot."""
        author = user_payload(user, f"user{user}")
        payload = {
            "id": snowflake(), "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID), "type": 0,
            "author": author, "content": content, "embeds": [], "components": [], "attachments": [],
            "mentions": [user_payload(BOT_ID, "crisisbot", bot=True)], "mention_roles": [],
            "mention_everyone": False, "pinned": False, "tts": False, "flags": 0,
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(), "edited_timestamp": None,
            "member": {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0},
        }
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload
