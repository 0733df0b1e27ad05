"""A loopback web server serving real article pages, and the ways a fetch can go wrong.

Runs on 127.0.0.1 in a thread of its own so both sync and async tests can use it.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiohttp import web

PAGES = Path(__file__).parent / "data" / "pages"


class PageServer:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.mutable_html = (PAGES / "eu-sanctions.html").read_text(encoding="utf-8")
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="page-server", daemon=True)
        self.port = 0

    # --- routes ---

    async def article(self, request: web.Request) -> web.Response:
        path = PAGES / f"{request.match_info['name']}.html"
        if not path.exists():
            return web.Response(status=404, text="not found")
        return web.Response(text=path.read_text(encoding="utf-8"), content_type="text/html")

    async def mutable(self, request: web.Request) -> web.Response:
        return web.Response(text=self.mutable_html, content_type="text/html")

    async def redirect_loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/redirect-loop?n={int(request.query.get('n', 0)) + 1}")

    async def redirect_to_article(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/articles/zaporizhzhia-inspectors")

    async def hang(self, request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="too late", content_type="text/html")

    async def huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"spam " * 2000 + b"</p>"
        for _ in range(2000):  # ~20 MB unless the client hangs up first
            try:
                await response.write(chunk)
            except (ConnectionResetError, RuntimeError):
                break
        return response

    async def pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4", content_type="application/pdf")

    async def empty(self, request: web.Request) -> web.Response:
        return web.Response(text="<html><head><title>Nothing</title></head><body><nav>Home</nav></body></html>", content_type="text/html")

    async def error(self, request: web.Request) -> web.Response:
        return web.Response(status=503, text="down")

    @web.middleware
    async def record(self, request: web.Request, handler):
        self.hits.append(request.path_qs)
        return await handler(request)

    # --- lifecycle ---

    def routes(self) -> list:
        return [
            web.get("/articles/{name}", self.article),
            web.get("/mutable", self.mutable),
            web.get("/redirect-loop", self.redirect_loop),
            web.get("/moved", self.redirect_to_article),
            web.get("/hang", self.hang),
            web.get("/huge", self.huge),
            web.get("/report.pdf", self.pdf),
            web.get("/empty", self.empty),
            web.get("/error", self.error),
        ]

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(middlewares=[self.record])
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    def start(self) -> PageServer:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown():
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
