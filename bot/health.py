"""The bot's optional HTTP endpoint for operators: ``/healthz`` and ``/metrics`` (Prometheus text format).

Off unless ``CRISISBOT_HTTP_PORT`` is set; bound to ``CRISISBOT_HTTP_HOST`` (127.0.0.1 by default:
put a reverse proxy or the scraper on the same host rather than exposing it).  Started in
``CrisisBot.setup_hook``, stopped in ``close``.

``/healthz``: 200 with ``{"gateway": "ok", "index": "ok", "database": ...}`` when the gateway is
connected, an index is loaded and the database (when one is configured) answers; 503 with the same
keys saying what is wrong otherwise.  ``/metrics``: the service's registry (index/metrics.py) plus
the Discord acknowledgement latency the bot measures here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import aiohttp
import discord
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from bot.app import CrisisBot

log = logging.getLogger(__name__)

NOT_CONFIGURED = "not configured"


class EndpointUnavailable(RuntimeError):
    """The port cannot be listened on (taken, or a host this machine does not have)."""


def gateway_status(bot: CrisisBot) -> str:
    if bot.is_closed():
        return "closed"
    if getattr(bot, "draining", False):
        return "shutting down"
    if not bot.is_ready() or not gateway_open(bot):
        return "not connected"
    return "ok"


def gateway_open(bot: CrisisBot) -> bool:
    """Whether the gateway connection is open: every one of a sharded bot's (``bot.shards``)."""
    shards = getattr(bot, "shards", None)
    if shards is not None:
        return bool(shards) and not any(shard.is_closed() for shard in shards.values())
    return bot.ws is not None and bot.ws.open


def index_status(service) -> str:
    try:
        if not service.has_index():
            return "no index"
        service.snapshot()
    except Exception as exc:  # damaged or vanished: the reason is the status
        return f"unreadable: {type(exc).__name__}"
    return "ok"


def database_status(bot: CrisisBot) -> str:
    """"not configured" without ``database_url``; else whether the store behind it answers."""
    if not getattr(bot.settings, "database_url", None):
        return NOT_CONFIGURED
    try:
        bot.service.store.has_index()
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def health(bot: CrisisBot) -> tuple[bool, dict[str, str]]:
    """Whether the bot can answer, and each part's status (the index and database checks block: run off the loop)."""
    parts = {"gateway": gateway_status(bot), "index": index_status(bot.service), "database": database_status(bot)}
    ok = all(status in ("ok", NOT_CONFIGURED) for status in parts.values())
    return ok, parts


def acknowledgement_trace(observe) -> aiohttp.TraceConfig:
    """An aiohttp trace for discord.py's HTTP session: each interaction callback (the acknowledgement Discord
    waits for) is timed from the interaction's creation, read from its snowflake id."""
    trace = aiohttp.TraceConfig()

    async def on_request_end(session, context, params: aiohttp.TraceRequestEndParams) -> None:
        parts = params.url.path.split("/")
        if params.method == "POST" and len(parts) >= 3 and parts[-1] == "callback" and parts[-4] == "interactions":
            try:
                created = discord.utils.snowflake_time(int(parts[-3])).timestamp()
            except ValueError:
                return
            observe(time.time() - created)

    trace.on_request_end.append(on_request_end)
    return trace


class HealthServer:
    """The aiohttp app on ``host:port`` (port 0: any free port, then ``self.port``)."""

    def __init__(self, bot: CrisisBot, host: str, port: int):
        self.bot, self.host, self.port = bot, host, port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise EndpointUnavailable(f"cannot serve /healthz and /metrics on {self.host}:{self.port} "
                                      f"(CRISISBOT_HTTP_HOST, CRISISBOT_HTTP_PORT): {exc.strerror or exc}") from None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, request: web.Request) -> web.Response:
        ok, parts = await asyncio.to_thread(health, self.bot)
        return web.json_response(parts, status=200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, self.bot.service.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
