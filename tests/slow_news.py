"""A loopback news site whose feeds list a few items with slow pages, and which records which
process asked for each page (Linux /proc; tests/discord_double/shards.py ``socket_owner``).

``/feeds/{name}.xml`` lists ``items`` entries ``"{Name} bulletin {n}"`` linking to ``/news/{name}/{n}``,
each page answering ``page_seconds`` late, so a poll of one feed lasts long enough to be killed in.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.discord_double.shards import socket_owner


class SlowNews:
    def __init__(self, items: int = 6, page_seconds: float = 0.5) -> None:
        self.items, self.page_seconds = items, page_seconds
        self.port = 0
        self.processes: list[int] = []  # pids to tell apart
        self.requests: list[tuple[str, int | None]] = []  # (path, pid of the asking process)
        self._runner: web.AppRunner | None = None

    async def start(self) -> SlowNews:
        app = web.Application()
        app.router.add_get("/feeds/{name}.xml", self.feed)
        app.router.add_get("/news/{name}/{n}", self.page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @staticmethod
    def titles(name: str, items: int) -> list[str]:
        return [f"{name.capitalize()} bulletin {n}" for n in range(items)]

    def pages_asked(self, name: str) -> int:
        return sum(path.startswith(f"/news/{name}/") for path, _ in self.requests)

    def _note(self, request: web.Request) -> None:
        peer = request.transport.get_extra_info("peername")[1]  # type: ignore[union-attr]
        self.requests.append((request.path, socket_owner(peer, self.port, self.processes)))

    async def feed(self, request: web.Request) -> web.Response:
        self._note(request)
        name = request.match_info["name"]
        items = "".join(f"<item><title>{title}</title><link>{self.url(f'/news/{name}/{n}')}</link><guid>{name}-{n}</guid>"
                        f"<pubDate>Mon, 0{n % 9 + 1} Aug 2022 09:00:00 GMT</pubDate></item>"
                        for n, title in enumerate(self.titles(name, self.items)))
        body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Slow Wire</title>{items}</channel></rss>"
        return web.Response(text=body, content_type="application/rss+xml")

    async def page(self, request: web.Request) -> web.Response:
        self._note(request)
        await asyncio.sleep(self.page_seconds)
        name, n = request.match_info["name"], int(request.match_info["n"])
        title = self.titles(name, n + 1)[n]
        paragraphs = "".join(f"<p>{title}, part {p}: engineers repaired pontoon bridge number {n} near the {name} river "
                             f"crossing at dawn while observers counted {n}{p} trucks.</p>" for p in range(3))
        return web.Response(text=f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}"
                                 f"</article></body></html>", content_type="text/html")
