"""Threads, message context menus and Discord's limits, for the wire-level double (mixed into DiscordDouble).

Routes: ``POST /channels/{id}/messages/{id}/threads`` (a public thread from a message: the thread's id
is the message's) and ``POST /channels/{id}/threads`` (a thread without a message; with a ``message``
body, a forum post), each followed by a THREAD_CREATE dispatch (``newly_created``), as Discord does.
Active threads are listed in GUILD_CREATE, so a bot that restarts knows them.

Limits, as Discord enforces them (a refused request is recorded in ``refused``, never in ``requests``):

* message content over 2,000 characters: 400 Invalid Form Body (50035, BASE_TYPE_MAX_LENGTH);
* a thread name not 1 to 100 characters: 400 Invalid Form Body (50035, BASE_TYPE_BAD_LENGTH);
* an interaction acknowledged more than ``ack_seconds`` (3 s) after it was sent: 404 Unknown
  interaction (10062); acknowledged twice: 400 (40060);
* a rate-limited route hit too fast: 429 with ``retry_after``.  The double announces no bucket in
  its successful responses, so the client learns of the limit from the 429 alone and must retry.

User actions: ``thread_message`` (a member's message in a thread; without the Message Content intent
its text reaches the bot only when it mentions the bot), ``slash_in_thread`` and ``message_command``
(a message context-menu command: type 2 with ``data.type`` 3, ``target_id`` and ``resolved.messages``).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord_double import server as wire  # the ids and payload helpers (a cycle: used at call time only)

MESSAGE_CONTENT_INTENT = 1 << 15
MAX_CONTENT = 2000
MAX_THREAD_NAME = 100
ACK_SECONDS = 3.0
THREAD_FROM_MESSAGE = r"/channels/(\d+)/messages/(\d+)/threads"
THREAD_WITHOUT_MESSAGE = r"/channels/(\d+)/threads"
PUBLIC_THREAD, PRIVATE_THREAD = 11, 12


@dataclass
class RouteLimit:
    """At most ``count`` requests per ``per`` seconds on routes matching ``pattern``, per channel."""

    method: str
    pattern: str
    count: int
    per: float


@dataclass
class Refusal:
    request: Any  # server.Request
    status: int
    body: dict
    at: float = field(default_factory=time.perf_counter)


def form_error(path: list[str], code: str, message: str) -> dict:
    """Discord's 400 body for one invalid field, e.g. ``["data", "content"]``."""
    errors: dict = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {key: errors}
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


def json_response(status: int, body: dict, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})})


class ThreadsMixin:
    def __init__(self) -> None:
        self.threads: dict[str, dict] = {}  # thread id -> channel payload
        self.refused: list[Refusal] = []
        self.intents = 0  # what the client asked for in IDENTIFY
        self.ack_seconds = ACK_SECONDS
        self.route_limits: list[RouteLimit] = [
            # Discord does not publish thread-creation limits; these are of the order bots meet.
            RouteLimit("POST", THREAD_FROM_MESSAGE, 5, 10.0),
            RouteLimit("POST", THREAD_WITHOUT_MESSAGE, 5, 10.0),
        ]
        self._hits: dict[tuple[str, str], collections.deque[float]] = {}
        self._acknowledged: set[str] = set()

    def limit_route(self, method: str, pattern: str, count: int, per: float) -> None:
        """Replace (or add) the rate limit of a route."""
        self.route_limits = [r for r in self.route_limits if (r.method, r.pattern) != (method, pattern)]
        self.route_limits.append(RouteLimit(method, pattern, count, per))

    # --- Discord's limits ---
    def refusal(self, method: str, path: str, body: Any) -> web.Response | None:
        """The error Discord would answer this request with, or None when it is accepted."""
        body = body if isinstance(body, dict) else {}
        parts = path.strip("/").split("/")
        if parts[0] == "interactions" and parts[-1] == "callback":
            interaction_id = parts[1]
            sent = self.sent_at.get(interaction_id)  # type: ignore[attr-defined]
            if sent is not None and time.perf_counter() - sent > self.ack_seconds:
                return json_response(404, {"message": "Unknown interaction", "code": 10062})
            if interaction_id in self._acknowledged:
                return json_response(400, {"message": "Interaction has already been acknowledged.", "code": 40060})
            content = (body.get("data") or {}).get("content")
            if isinstance(content, str) and len(content) > MAX_CONTENT:
                return json_response(400, form_error(["data", "content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
            self._acknowledged.add(interaction_id)
            return None
        sends = (parts[0] == "webhooks" and method in ("POST", "PATCH")) or (
            parts[0] == "channels" and "messages" in parts and method in ("POST", "PATCH") and parts[-1] != "threads")
        content = body.get("content")
        if sends and isinstance(content, str) and len(content) > MAX_CONTENT:
            return json_response(400, form_error(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
        if method == "POST" and (re.fullmatch(THREAD_FROM_MESSAGE, path) or re.fullmatch(THREAD_WITHOUT_MESSAGE, path)):
            name = body.get("name")
            if not isinstance(name, str) or not 1 <= len(name) <= MAX_THREAD_NAME:
                return json_response(400, form_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        return self._rate_limited(method, path)

    def _rate_limited(self, method: str, path: str) -> web.Response | None:
        now = time.monotonic()
        for limit in self.route_limits:
            match = re.fullmatch(limit.pattern, path)
            if limit.method != method or match is None:
                continue
            hits = self._hits.setdefault((limit.pattern, match.group(1) if match.groups() else ""), collections.deque())
            while hits and now - hits[0] >= limit.per:
                hits.popleft()
            if len(hits) >= limit.count:
                retry_after = round(limit.per - (now - hits[0]), 3)
                body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
                headers = {
                    "Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Limit": str(limit.count),
                    "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                    "X-RateLimit-Scope": "user", "Via": "1.1 google",  # without Via discord.py takes it for a Cloudflare ban
                }
                return json_response(429, body, headers)
            hits.append(now)
        return None

    async def refuse(self, request: Any, response: web.Response) -> web.Response:
        async with self._changed:  # type: ignore[attr-defined]
            self.refused.append(Refusal(request, response.status, json.loads(response.body)))  # type: ignore[arg-type]
            self._changed.notify_all()  # type: ignore[attr-defined]
        return response

    async def wait_refused(self, predicate, timeout: float = 30) -> Refusal:
        import asyncio

        async def find() -> Refusal:
            async with self._changed:  # type: ignore[attr-defined]
                while True:
                    for refusal in self.refused:
                        if predicate(refusal):
                            return refusal
                    await self._changed.wait()  # type: ignore[attr-defined]

        return await asyncio.wait_for(find(), timeout)

    # --- thread routes ---
    async def thread_route(self, method: str, path: str, body: Any) -> dict | None:
        """The created thread for a thread-creation route (after dispatching THREAD_CREATE), else None."""
        if method != "POST":
            return None
        body = body if isinstance(body, dict) else {}
        from_message = re.fullmatch(THREAD_FROM_MESSAGE, path)
        without = re.fullmatch(THREAD_WITHOUT_MESSAGE, path)
        if from_message:
            thread = self.thread_payload(from_message.group(1), body["name"], thread_id=from_message.group(2))
        elif without:
            thread = self.thread_payload(without.group(1), body["name"], kind=body.get("type", PRIVATE_THREAD))
            if isinstance(body.get("message"), dict):  # a forum post: the thread and its first message
                thread["message"] = self._message(body["message"], thread["id"], channel_id=thread["id"])  # type: ignore[attr-defined]
        else:
            return None
        self.threads[thread["id"]] = thread
        for entry in list(self._sockets):  # type: ignore[attr-defined]
            await self._dispatch_to(entry, "THREAD_CREATE", {**thread, "newly_created": True})  # type: ignore[attr-defined]
        return thread

    def thread_payload(self, parent_id: str | int, name: str, *, thread_id: str | None = None, kind: int = PUBLIC_THREAD,
                       owner_id: int | None = None) -> dict:
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        return {
            "id": thread_id or wire.snowflake(), "type": kind, "guild_id": str(wire.GUILD_ID), "parent_id": str(parent_id),
            "owner_id": str(owner_id or wire.BOT_ID), "name": name, "last_message_id": None, "rate_limit_per_user": 0,
            "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": now,
                                "locked": False, "create_timestamp": now},
        }

    def add_thread(self, name: str, *, owner_id: int = 1001) -> dict:
        """A thread a member opened earlier in the general channel (dispatch nothing: call before the bot connects
        for it to come in GUILD_CREATE, or ``await announce_thread`` after)."""
        thread = self.thread_payload(wire.CHANNEL_ID, name, owner_id=owner_id)
        self.threads[thread["id"]] = thread
        return thread

    async def announce_thread(self, thread: dict) -> None:
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})  # type: ignore[attr-defined]

    def active_threads(self) -> list[dict]:
        return [t for t in self.threads.values() if not t["thread_metadata"]["archived"]]

    # --- user actions ---
    def member_message(self, content: str, *, channel_id: str | int, user: int = 1001, mentions_bot: bool = False) -> dict:
        """A member's guild message as Discord delivers it to this client (no text without the Message Content
        intent, unless it mentions the bot)."""
        readable = mentions_bot or bool(self.intents & MESSAGE_CONTENT_INTENT)
        return {
            "id": wire.snowflake(), "channel_id": str(channel_id), "guild_id": str(wire.GUILD_ID), "type": 0,
            "author": wire.user_payload(user, f"user{user}"), "content": content if readable else "",
            "embeds": [], "components": [], "attachments": [],
            "mentions": [wire.user_payload(wire.BOT_ID, "crisisbot", bot=True)] if mentions_bot else [],
            "mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False, "flags": 0,
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(), "edited_timestamp": None,
            "member": {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0},
        }

    async def thread_message(self, thread_id: str | int, content: str, *, user: int = 1001, mentions_bot: bool = False) -> dict:
        """MESSAGE_CREATE for a member's message in a thread."""
        payload = self.member_message(content, channel_id=thread_id, user=user, mentions_bot=mentions_bot)
        payload["position"] = 1
        await self.dispatch("MESSAGE_CREATE", payload)  # type: ignore[attr-defined]
        return payload

    async def slash_in_thread(self, thread_id: str | int, name: str, options: dict | None = None, *, user: int = 1001) -> dict:
        """A slash command sent from inside a thread."""
        payload = self._interaction(2, self._command_data(name, options, None), user, True)  # type: ignore[attr-defined]
        thread = self.threads[str(thread_id)]
        payload["channel_id"], payload["channel"] = thread["id"], thread
        self.sent_at[payload["id"]] = time.perf_counter()  # type: ignore[attr-defined]
        await self.dispatch("INTERACTION_CREATE", payload)  # type: ignore[attr-defined]
        return payload

    async def message_command(self, name: str, target: dict, *, user: int = 1001, guild: bool = True, locale: str = "en-US") -> dict:
        """A message context-menu command ``name`` used on the message ``target`` by a member whose Discord is in ``locale``."""
        data = {"id": wire.snowflake(), "name": name, "type": 3, "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}}}
        payload = self._interaction(2, data, user, guild)  # type: ignore[attr-defined]
        payload["locale"] = locale
        self.sent_at[payload["id"]] = time.perf_counter()  # type: ignore[attr-defined]
        await self.dispatch("INTERACTION_CREATE", payload)  # type: ignore[attr-defined]
        return payload
