"""Fetching a news page by URL, safely, and turning it into a Document.

A URL comes from a moderator, so it is treated as hostile: only http(s), a
connect and total timeout, a size cap read in chunks, a bounded number of
redirects (each hop checked again), HTML only, and no private, loopback or
link-local targets unless the operator allows them.

The host is judged as the HTTP client reads it (yarl's URL, after IDNA and
NFKC), so ``127。0。0。1`` or ``①②⑦.0.0.1`` is the loopback address it becomes,
not a name.  The addresses are checked again where the connection is made:
by the resolver the connection uses, so a name cannot resolve to a public
address for the check and a private one for the request, and by the socket
factory every connection passes, IP literals and redirect hops included
(aiohttp connects to an IP literal without asking the resolver).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver

from index import ingest
from index.config import Settings
from index.errors import FetchError
from index.text import content_hash

HTML_TYPES = ("text/html", "application/xhtml+xml")
_DEFAULTS = Settings.model_fields
USER_AGENT = "crisisbot/0.1 (+news citation bot)"


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of one fetch; ``from_settings`` is how the service makes it, and the defaults are the settings'."""

    timeout_seconds: float = _DEFAULTS["fetch_timeout_seconds"].default
    max_bytes: int = _DEFAULTS["fetch_max_bytes"].default
    max_redirects: int = 5
    allow_private: bool = _DEFAULTS["allow_private_urls"].default
    # What is kept of the extracted article (the same bounds as files: index/ingest.finish).
    max_paragraph_chars: int = _DEFAULTS["max_paragraph_chars"].default
    max_paragraphs: int = _DEFAULTS["max_paragraphs_per_source"].default

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        return cls(
            timeout_seconds=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            allow_private=settings.allow_private_urls,
            max_paragraph_chars=settings.max_paragraph_chars,
            max_paragraphs=settings.max_paragraphs_per_source,
        )


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
ENDS_IN_A_NUMBER = re.compile(r"(^|\.)([0-9]+|0x[0-9a-f]*)$")  # parsed as IPv4 by browsers and inet_aton


def _views(address: str) -> list[IPAddress]:
    """The address and any IPv4 address it carries (mapped, compatible, 6to4, NAT64); ValueError if not an address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not isinstance(ip, ipaddress.IPv6Address):
        return [ip]
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    embedded = ip.sixtofour
    if embedded is None and (ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1)):
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return [ip] if embedded is None else [ip, embedded]


def _is_public(address: str) -> bool:
    return all(ip.is_global and not ip.is_multicast for ip in _views(address))


def _is_link_local(address: str) -> bool:
    """169.254.0.0/16 and fe80::/10: where cloud metadata services live, never an intranet site."""
    return any(ip.is_link_local for ip in _views(address))


def _address_refusal(address: str, allow_private: bool) -> str | None:
    """Why a connection to this address (as given to connect()) must not be made, or None."""
    try:
        if _is_link_local(address):
            return f"refusing a connection to {address}: link-local addresses (cloud metadata) are never fetched"
        if not allow_private and not _is_public(address):
            return f"refusing a connection to {address}: it is a private or local address"
    except ValueError:
        return f"refusing a connection to {address!r}: not an IP address"
    return None


class _RefusedAddress(OSError):
    """Raised by the socket factory; aiohttp wraps it in a ClientConnectorError."""


class AddressGuard:
    """The socket factory of a fetch's connector: checks the address of every connection it opens.

    aiohttp hands every address it connects to (resolved, cached or an IP literal, first request
    or redirect hop) to this factory before connect(), so nothing reaches a refused address.
    """

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self.refused: FetchError | None = None

    def socket_factory(self, addr_info) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        reason = _address_refusal(str(sockaddr[0]), self.allow_private)
        if reason is not None:
            self.refused = self.refused or FetchError(reason)
            raise _RefusedAddress(errno.EACCES, reason)
        return socket.socket(family=family, type=kind, proto=proto)


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


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def check_url(url: str, policy: FetchPolicy) -> str:
    """The URL, stripped, if its form and host are acceptable; FetchError otherwise.

    The host is the one the HTTP client will connect to: yarl's, as aiohttp uses it.
    """
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - urllib checks the port only when asked
        client = yarl.URL(url)  # what aiohttp will request
        scheme, raw_host, user, password = client.scheme, client.raw_host, client.user, client.password
    except ValueError as exc:  # UnicodeError (IDNA) included
        raise FetchError(f"not a valid URL: {_one_line(exc)}") from None
    if scheme not in ("http", "https"):
        what = f"not {scheme}:" if scheme else "and this is not a URL"
        raise FetchError(f"only http:// and https:// URLs can be added, {what}")
    if not raw_host or not parsed.hostname:
        raise FetchError("the URL has no host name")
    if user or password or parsed.username or parsed.password:
        raise FetchError("URLs with a user name or password are not accepted")
    _check_host(parsed.hostname, raw_host, policy)
    return url


def _check_host(written: str, host: str, policy: FetchPolicy) -> None:
    """Judge the client's host (``host``); ``written`` is the host as urllib read the text."""
    bare = host.rstrip(".")
    literal = ":" in bare or ENDS_IN_A_NUMBER.search(bare) is not None
    if literal:
        try:
            address = str(ipaddress.ip_address(bare))
        except ValueError:
            raise FetchError(f"refusing {written}: not a canonical IP address") from None
        if _is_link_local(address):
            raise FetchError(f"refusing {written}: link-local addresses (cloud metadata) are never fetched")
        if not policy.allow_private and not _is_public(address):
            raise FetchError(f"refusing {written}: it is a private or local address ({address})")
        if not written.isascii():
            raise FetchError(f"refusing {written}: an IP address ({address}) spelled with look-alike characters")
        if bare != host:
            raise FetchError(f"refusing {written}: not a canonical IP address")
        return
    if not HOST_NAME.fullmatch(host):
        raise FetchError(f"refusing {written}: not a valid host name")
    if written.isascii() and written.lower() != host:
        raise FetchError(f"refusing {written}: the URL is ambiguous (the HTTP client reads the host as {host})")
    if not policy.allow_private and (bare == "localhost" or bare.endswith(".localhost")):
        raise FetchError(f"refusing {bare}: it is a local address")


@dataclass
class Response:
    """What a guarded GET got: the final URL, the status, the headers, and the body (read only for a 200)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    charset: str | None = None

    def text(self) -> str:
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Retry-After", "Content-Location", "Content-Language")


async def guarded_get(url: str, policy: FetchPolicy, *, headers: dict[str, str] | None = None, max_bytes: int | None = None,
                      content_types: tuple[str, ...] | None = None, what: str = "page") -> Response:
    """GET ``url`` under the policy: every hop checked, the body read in chunks up to ``max_bytes``.

    Any status but a redirect is returned (the body only for a 200: a 304, 404 or 503 is the
    caller's to judge); ``content_types`` refuses a 200 of another type before its body is read.
    ``headers`` are sent with every hop (e.g. If-None-Match).  FetchError says why not.
    """
    url = check_url(url, policy)
    limit = policy.max_bytes if max_bytes is None else max_bytes
    timeout = aiohttp.ClientTimeout(total=policy.timeout_seconds, sock_connect=min(10.0, policy.timeout_seconds))
    guard = AddressGuard(policy.allow_private)
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy.allow_private), socket_factory=guard.socket_factory, limit=4)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector, headers={"User-Agent": USER_AGENT}) as session:
            for _ in range(policy.max_redirects + 1):
                guard.refused = None
                async with session.get(url, allow_redirects=False, headers=headers) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location")
                        if not location:
                            raise FetchError(f"HTTP {response.status} redirect without a Location")
                        url = check_url(urljoin(url, location), policy)
                        continue
                    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
                    result = Response(url, response.status, kept)
                    if response.status != 200:
                        return result
                    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                    if content_types is not None and ctype and ctype not in content_types:
                        raise FetchError(f"not a {what} (Content-Type {ctype})")
                    declared = response.content_length
                    if declared is not None and declared > limit:
                        raise FetchError(f"the {what} is {declared // 1024} KiB, over the {limit // 1024} KiB limit")
                    body = bytearray()
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        body.extend(chunk)
                        if len(body) > limit:
                            raise FetchError(f"the {what} is over the {limit // 1024} KiB limit")
                    result.body, result.charset = bytes(body), response.charset
                    return result
            raise FetchError(f"more than {policy.max_redirects} redirects")
    except FetchError:
        raise
    except asyncio.TimeoutError:
        raise FetchError(f"the server did not answer within {policy.timeout_seconds:g} s", transient=True) from None
    except aiohttp.ClientConnectorError as exc:
        if guard.refused is not None:
            raise guard.refused from None
        if isinstance(exc.__cause__, FetchError):
            raise exc.__cause__ from None
        raise FetchError(f"cannot connect to {urlparse(url).hostname}: {exc.strerror or exc.os_error}", transient=True) from None
    except aiohttp.ClientError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, FetchError):
            raise cause from None
        raise FetchError(f"the download failed: {exc.__class__.__name__}", transient=True) from None


async def fetch_html(url: str, policy: FetchPolicy) -> tuple[str, str]:
    """(final URL, HTML text) of a page; FetchError with the reason otherwise (``status`` set for an HTTP error)."""
    response = await guarded_get(url, policy, content_types=HTML_TYPES, what="web page")
    if response.status != 200:
        raise FetchError(f"the server answered HTTP {response.status}", status=response.status)
    return response.url, response.text()


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
    ingest.finish(doc, report, min_chars, max_chars=policy.max_paragraph_chars, max_paragraphs=policy.max_paragraphs)
    doc.warnings = report.warnings  # e.g. paragraphs cut: for the moderator's reply
    if not doc.paragraphs:
        raise FetchError("no article text could be extracted from the page")
    doc.id = url_document_id(requested)
    doc.origin = requested
    doc.meta["source_url"] = requested
    doc.meta["content_hash"] = content_hash("\n".join(doc.paragraphs))
    return doc
