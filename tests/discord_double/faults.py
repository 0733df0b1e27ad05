"""Faults Discord really produces, injected into the wire-level double.

REST: a queue of faults per (method, path pattern); the next matching request
gets the fault instead of an answer (429 with the body and headers Discord
sends, 5xx, 404 "Unknown interaction").  Faulted requests are recorded in
``faulted``, never in ``requests``, so ``requests`` holds exactly what Discord
accepted.  Gateway: op 7 RECONNECT, op 9 INVALID SESSION and dropped sockets,
with ``wait_reconnected`` to wait for the client's new IDENTIFY (READY) or
RESUME (RESUMED).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord_double.server import DiscordDouble, Request

# The paths of the routes the bot answers with (without the /api/v10 prefix).
INTERACTION_CALLBACK = r"/interactions/\d+/[^/]+/callback"
WEBHOOK_EDIT = r"/webhooks/\d+/[^/]+/messages/@original"
CHANNEL_MESSAGES = r"/channels/\d+/messages"


@dataclass
class Fault:
    """One injected failure: an HTTP status and, for 429, how long to wait."""

    status: int
    retry_after: float = 0.0
    code: int = 0  # Discord's JSON error code, e.g. 10062 Unknown interaction

    def response(self) -> web.Response:
        if self.status == 429:
            body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": False}
            headers = {
                "Content-Type": "application/json",
                "Retry-After": str(max(1, math.ceil(self.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
                "X-RateLimit-Bucket": "double-bucket",
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
            }
            return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)
        if self.status == 502:  # what a proxy in front of Discord sends: HTML, not JSON
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        messages = {404: "Unknown interaction", 500: "500: Internal Server Error", 503: "upstream connect error"}
        body = {"message": messages.get(self.status, "error"), "code": self.code}
        return web.Response(status=self.status, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


@dataclass
class FaultedRequest:
    request: Request
    fault: Fault


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    faults: deque[Fault] = field(default_factory=deque)


class FaultyDiscordDouble(DiscordDouble):
    def __init__(self) -> None:
        super().__init__()
        self._rules: list[_Rule] = []
        self.faulted: list[FaultedRequest] = []
        self.sessions: list[tuple[str, Any]] = []  # ("READY" | "RESUMED", socket entry), in order

    # --- REST faults ---
    def inject(self, method: str, path_pattern: str, *faults: Fault) -> None:
        """The next ``len(faults)`` requests matching get these faults, in order."""
        self._rules.append(_Rule(method.upper(), re.compile(path_pattern + r"\Z"), deque(faults)))

    def rate_limit(self, method: str, path_pattern: str, retry_after: float = 0.5, times: int = 1) -> None:
        self.inject(method, path_pattern, *[Fault(429, retry_after) for _ in range(times)])

    def server_error(self, method: str, path_pattern: str, status: int = 500, times: int = 1) -> None:
        self.inject(method, path_pattern, *[Fault(status) for _ in range(times)])

    def pending_faults(self) -> int:
        return sum(len(rule.faults) for rule in self._rules)

    def _take(self, method: str, path: str) -> Fault | None:
        for rule in self._rules:
            if rule.faults and rule.method == method and rule.pattern.match(path):
                return rule.faults.popleft()
        return None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        fault = self._take(request.method, path)
        if fault is None:
            return await super()._rest(request)
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        else:
            await request.read()
        faulted = FaultedRequest(Request(request.method, path, dict(request.query), body), fault)
        async with self._changed:
            self.faulted.append(faulted)
            self._changed.notify_all()
        return fault.response()

    # --- gateway faults ---
    async def _dispatch_to(self, entry, event: str, data: dict) -> None:
        if event in ("READY", "RESUMED"):
            self.sessions.append((event, entry))
        await super()._dispatch_to(entry, event, data)

    async def send_op(self, op: int, d: Any = None) -> None:
        """Send a non-dispatch opcode on every live gateway socket."""
        for entry in list(self._sockets):
            await self._send(entry, {"op": op, "d": d})

    async def request_reconnect(self) -> None:
        """op 7 RECONNECT: the client closes and RESUMEs on a new socket."""
        await self.send_op(7)

    async def invalidate_session(self, resumable: bool) -> None:
        """op 9 INVALID SESSION: ``d=false`` makes the client IDENTIFY again, ``d=true`` RESUME."""
        await self.send_op(9, resumable)

    async def wait_reconnected(self, after: int, timeout: float = 30) -> str:
        """Wait for a new session started after ``len(sessions) == after`` to be the only live socket.

        Returns "READY" (the client identified again) or "RESUMED".
        """
        async def settled() -> str:
            while True:
                if len(self.sessions) > after:
                    event, entry = self.sessions[-1]
                    if self._sockets == [entry]:
                        return event
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(settled(), timeout)
