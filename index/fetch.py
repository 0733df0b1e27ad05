"""Fetching a news page by URL, safely, and turning it into a Document.

A URL comes from a moderator, so it is treated as hostile: only http(s), a
connect and total timeout, a size cap read in chunks, a bounded number of
redirects (each hop checked again), HTML only, and no private, loopback or
link-local targets unless the operator allows them.  The address check lives
in the resolver the connection itself uses, so a name cannot resolve to a
public address for the check and a private one for the request.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver

from index import ingest

HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "crisisbot/0.1 (+news citation bot)"


class FetchError(Exception):
    """A page that cannot be added, with a reason fit to show a moderator."""


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        return cls(
            timeout_seconds=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            allow_private=settings.allow_private_urls,
        )


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _is_link_local(address: str) -> bool:
    """169.254.0.0/16 and fe80::/10: where cloud metadata services live, never an intranet site."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_link_local


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default and refuses non-public addresses."""

    def __init__(self, allow_private: bool):
        self._inner = ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        infos = await self._inner.resolve(host, port, family)
        metadata = [i["host"] for i in infos if _is_link_local(i["host"])]
        if metadata:  # refused even when private addresses are allowed
            raise FetchError(f"refusing {host}: it resolves to a link-local address ({metadata[0]})")
        if not self._allow_private:
            blocked = [i["host"] for i in infos if not _is_public(i["host"])]
            if blocked:
                raise FetchError(f"refusing {host}: it resolves to a private or local address ({blocked[0]})")
        return infos

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, policy: FetchPolicy) -> str:
    """The URL, stripped, if its form is acceptable; FetchError otherwise."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        what = f"not {parsed.scheme}:" if parsed.scheme else "and this is not a URL"
        raise FetchError(f"only http:// and https:// URLs can be added, {what}")
    if not parsed.hostname:
        raise FetchError("the URL has no host name")
    if parsed.username or parsed.password:
        raise FetchError("URLs with a user name or password are not accepted")
    host = parsed.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and _is_link_local(host):
        raise FetchError(f"refusing {host}: link-local addresses (cloud metadata) are never fetched")
    if literal is not None and not policy.allow_private and not _is_public(host):
        raise FetchError(f"refusing {host}: it is a private or local address")
    if host in ("localhost",) and not policy.allow_private:
        raise FetchError("refusing localhost: it is a local address")
    return url


async def fetch_html(url: str, policy: FetchPolicy) -> tuple[str, str]:
    """(final URL, HTML text) of a page; FetchError with the reason otherwise."""
    url = check_url(url, policy)
    timeout = aiohttp.ClientTimeout(total=policy.timeout_seconds, sock_connect=min(10.0, policy.timeout_seconds))
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy.allow_private), limit=4)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector, headers={"User-Agent": USER_AGENT}) as session:
            for _ in range(policy.max_redirects + 1):
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location")
                        if not location:
                            raise FetchError(f"HTTP {response.status} redirect without a Location")
                        url = check_url(urljoin(url, location), policy)
                        continue
                    if response.status != 200:
                        raise FetchError(f"the server answered HTTP {response.status}")
                    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                    if ctype and ctype not in HTML_TYPES:
                        raise FetchError(f"not a web page (Content-Type {ctype})")
                    declared = response.content_length
                    if declared is not None and declared > policy.max_bytes:
                        raise FetchError(f"the page is {declared // 1024} KiB, over the {policy.max_bytes // 1024} KiB limit")
                    body = bytearray()
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        body.extend(chunk)
                        if len(body) > policy.max_bytes:
                            raise FetchError(f"the page is over the {policy.max_bytes // 1024} KiB limit")
                    charset = response.charset or "utf-8"
                    try:
                        return url, bytes(body).decode(charset, errors="replace")
                    except LookupError:
                        return url, bytes(body).decode("utf-8", errors="replace")
            raise FetchError(f"more than {policy.max_redirects} redirects")
    except FetchError:
        raise
    except asyncio.TimeoutError:
        raise FetchError(f"the server did not answer within {policy.timeout_seconds:g} s") from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.__cause__, FetchError):
            raise exc.__cause__ from None
        raise FetchError(f"cannot connect to {urlparse(url).hostname}: {exc.strerror or exc.os_error}") from None
    except aiohttp.ClientError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, FetchError):
            raise cause from None
        raise FetchError(f"the download failed: {exc.__class__.__name__}") from None


def url_document_id(url: str) -> str:
    """Stable id of a URL source, so a refresh replaces it rather than adding a copy."""
    return "url-" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]


async def fetch_document(url: str, policy: FetchPolicy, *, min_chars: int = 25) -> ingest.Document:
    """Fetch and extract an article; FetchError if there is nothing usable."""
    requested = check_url(url, policy)
    final_url, html = await fetch_html(requested, policy)
    try:
        [doc] = await asyncio.to_thread(ingest.read_html, final_url, html, url=final_url)
    except ingest.MalformedSource as exc:
        raise FetchError(str(exc)) from None
    report = ingest.LoadReport()
    ingest.finish(doc, report, min_chars)
    if not doc.paragraphs:
        raise FetchError("no article text could be extracted from the page")
    doc.id = url_document_id(requested)
    doc.origin = requested
    doc.meta["source_url"] = requested
    doc.meta["content_hash"] = hashlib.sha256("\n".join(doc.paragraphs).encode("utf-8")).hexdigest()
    return doc
