"""A loopback web server serving real-shaped feeds and sitemaps (tests/data/feeds/), the article pages of
tests/webpages.py, news pages a test can change or take down, and the ways a feed goes wrong.

Feeds answer conditional GETs as a real server does: an ETag (a hash of the body) and a
Last-Modified, and 304 when the client's If-None-Match matches.  ``{base}`` in a feed file is the
server's own address.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiohttp import web

from tests.webpages import PageServer

FEEDS = Path(__file__).parent / "data" / "feeds"
TYPES = {".xml": "application/xml", ".rdf": "application/rdf+xml"}
LAST_MODIFIED = "Tue, 02 Aug 2022 09:40:00 GMT"
HUGE_BYTES = 50 * 1024 * 1024


def news_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title><meta property='og:site_name' content='Kyiv Wire'></head>"
            f"<body><article><h1>{title}</h1>{body}</article></body></html>")


class FeedServer(PageServer):
    def __init__(self) -> None:
        super().__init__()
        self.feeds: dict[str, bytes] = {}  # name -> body ({base} filled in at start)
        self.answer: dict[str, tuple[int, dict[str, str]]] = {}  # name -> (status, headers) served instead of the feed
        self.news: dict[str, str] = {}  # name -> HTML of /news/<name>
        self.gone: dict[str, int] = {}  # name -> 404 or 410 for /news/<name>
        self.conditional: list[tuple[str, str | None]] = []  # (path, If-None-Match) of every feed and news request
        self.huge_sent = 0

    def start(self) -> FeedServer:
        super().start()
        for path in FEEDS.iterdir():
            self.feeds[path.name] = path.read_bytes().replace(b"{base}", self.url("").encode())
        wrong = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Café de Kyiv</title><item>"
                 "<title>Ceasefire talks in Istanbul — Medinsky says café owners in Kyiv reopened</title>"
                 f"<link>{self.url('/articles/eu-sanctions')}</link><guid>latin-1-item</guid></item></channel></rss>")
        self.feeds["wrong-encoding.xml"] = wrong.encode("latin-1", errors="replace")
        return self

    def set_feed(self, name: str, text: str) -> None:
        self.feeds[name] = text.replace("{base}", self.url("")).encode("utf-8")

    # --- routes ---

    async def feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.conditional.append((request.path, request.headers.get("If-None-Match")))
        if name in self.answer:
            status, headers = self.answer[name]
            return web.Response(status=status, headers=headers, text="")
        if name not in self.feeds:
            return web.Response(status=404, text="no such feed")
        body = self.feeds[name]
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers, content_type=TYPES.get(Path(name).suffix, "application/xml"))

    async def huge_feed(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<item><title>" + b"spam " * 2000 + b"</title></item>"
        await response.write(b"<?xml version='1.0'?><rss version='2.0'><channel><title>Huge</title>")
        while self.huge_sent < HUGE_BYTES:
            try:
                await response.write(chunk)
            except (ConnectionResetError, RuntimeError):
                break
            self.huge_sent += len(chunk)
        return response

    async def to_metadata(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/feed.xml")

    async def news_item(self, request: web.Request) -> web.Response:
        """/news/<name>: the page, with an ETag (304 when If-None-Match matches), or its 404/410/503."""
        name = request.match_info["name"]
        self.conditional.append((request.path, request.headers.get("If-None-Match")))
        if name in self.gone:
            return web.Response(status=self.gone[name], text="gone")
        if name not in self.news:
            return web.Response(status=404, text="not found")
        etag = '"' + hashlib.sha1(self.news[name].encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=self.news[name], content_type="text/html", headers={"ETag": etag})

    async def sized(self, request: web.Request) -> web.StreamResponse:
        """/bytes/<n>?chunked=1: n bytes of a feed-like body, with a Content-Length or chunked."""
        size = int(request.match_info["size"])
        body = (b"<rss>" + b"x" * size)[:size]
        if request.query.get("chunked") != "1":
            return web.Response(body=body, content_type="application/xml")
        response = web.StreamResponse(headers={"Content-Type": "application/xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, size, 16 * 1024):
            await response.write(body[start:start + 16 * 1024])
        await response.write_eof()
        return response

    def routes(self) -> list:
        return [
            web.get("/bytes/{size}", self.sized),
            *super().routes(),
            web.get("/feeds/huge.xml", self.huge_feed),
            web.get("/feeds/to-metadata.xml", self.to_metadata),
            web.get("/feeds/{name}", self.feed),
            web.get("/news/{name}", self.news_item),
        ]
