"""What a feed or a sitemap lists: its entries, read from the bytes a poll got.

* Feeds (RSS 0.9x, 1.0, 2.0, Atom) are read by feedparser, after a strict XML gate (defusedxml)
  that refuses any DTD entity declaration, so an entity bomb is never expanded by anyone.
* Sitemaps (``urlset``, Google News ``news:`` extensions included) and sitemap indexes are read
  by defusedxml's ElementTree, which refuses entities, DTDs and external references.

An entry's key is its guid, else its link, else a hash of its text; its fingerprint is a hash
of what the feed says of it (link, title, dates, content), so a re-published entry is seen.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass

from index.errors import MalformedSource

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
MIN_FULL_TEXT_CHARS = 500  # the feed's own text is used when it has at least this much; else the page is fetched
BLOCK_TAGS = ("p", "li", "blockquote", "h2", "h3", "h4", "pre")


class FeedProblem(MalformedSource):
    """A feed or sitemap whose bytes cannot be read (malformed, entities, not a feed)."""


@dataclass(frozen=True)
class Entry:
    key: str
    url: str | None
    title: str
    published: str | None  # ISO timestamp (UTC) when the feed gives one
    full_text: list[str]  # the feed's own paragraphs when long enough to index, else []
    fingerprint: str

    @property
    def date(self) -> str | None:
        return self.published[:10] if self.published else None


@dataclass
class Listing:
    """One poll's reading: the feed's title and entries, or a sitemap index's child sitemaps."""

    title: str
    entries: list[Entry]
    sitemaps: list[tuple[str, str | None]]  # (url, lastmod) of the children of a sitemap index
    note: str = ""  # a recoverable oddity (e.g. the declared encoding was wrong)


def digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def _refuse_entities(body: bytes) -> None:
    """A strict parse that refuses entity declarations; a merely malformed document is let through to feedparser."""
    import defusedxml
    from defusedxml.ElementTree import ParseError, fromstring

    if b"<!ENTITY" in body:
        raise FeedProblem("refused: the document declares XML entities (never expanded: they can be a bomb)")
    try:
        fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise FeedProblem(f"refused: {exc}") from None
    except (ParseError, ValueError):
        pass


def paragraphs_of_html(html: str) -> list[str]:
    """The text blocks of an HTML fragment (a feed's content), in order."""
    import lxml.html
    from lxml.etree import ParserError

    try:
        root = lxml.html.fromstring(f"<div>{html}</div>")
    except (ParserError, ValueError):
        return []
    blocks = [" ".join(element.text_content().split()) for element in root.iter(*BLOCK_TAGS)]
    blocks = [b for b in blocks if b]
    if not blocks:
        blocks = [" ".join(line.split()) for line in root.text_content().splitlines() if line.strip()]
    return blocks


def _timestamp(parsed) -> str | None:
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC).isoformat(timespec="seconds")
    except (OverflowError, ValueError, TypeError):
        return None


def parse_feed(body: bytes, headers: dict[str, str], url: str) -> Listing:
    """A feed's title and entries; FeedProblem when nothing usable can be read."""
    import feedparser

    _refuse_entities(body)
    lowered = {name.lower(): value for name, value in headers.items()}
    lowered.setdefault("content-location", url)
    parsed = feedparser.parse(body, response_headers=lowered, sanitize_html=True, resolve_relative_uris=True)
    if parsed.bozo and not parsed.entries:
        raise FeedProblem(f"not a readable feed: {_one_line(parsed.get('bozo_exception'))}")
    if not parsed.version and not parsed.entries:
        raise FeedProblem("not a feed (no RSS or Atom root element)")
    note = ""
    if parsed.bozo:
        note = f"read despite a fault: {_one_line(parsed.get('bozo_exception'))}"
    entries = []
    for item in parsed.entries:
        link = item.get("link") or None
        title = " ".join((item.get("title") or "").split())
        published = _timestamp(item.get("published_parsed") or item.get("updated_parsed"))
        updated = _timestamp(item.get("updated_parsed"))
        content = "".join(c.get("value", "") for c in item.get("content") or [])
        summary = item.get("summary") or ""
        text = paragraphs_of_html(content or summary)
        full_text = text if sum(map(len, text)) >= MIN_FULL_TEXT_CHARS else []
        key = item.get("id") or link or "hash:" + digest(title, content or summary)
        entries.append(Entry(key, link, title, published, full_text, digest(link, title, published, updated, content or summary)))
    return Listing(" ".join((parsed.feed.get("title") or "").split()), entries, [], note)


def parse_sitemap(body: bytes) -> Listing:
    """A sitemap's URLs (with their news titles and dates) or a sitemap index's children."""
    import defusedxml
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise FeedProblem(f"refused: {exc}") from None
    except ParseError as exc:
        raise FeedProblem(f"not a readable sitemap: {_one_line(exc)}") from None
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        children = [(_text(s, "loc"), _text(s, "lastmod")) for s in root.iter(f"{SITEMAP_NS}sitemap")]
        return Listing("", [], [(loc, _iso(mod)) for loc, mod in children if loc])
    if root.tag != f"{SITEMAP_NS}urlset":
        raise FeedProblem(f"not a sitemap (root element {root.tag!r})")
    entries = []
    for node in root.iter(f"{SITEMAP_NS}url"):
        loc = _text(node, "loc")
        if not loc:
            continue
        news = node.find(f"{NEWS_NS}news")
        title = " ".join((news.findtext(f"{NEWS_NS}title") or "").split()) if news is not None else ""
        date = _iso(news.findtext(f"{NEWS_NS}publication_date")) if news is not None else None
        date = date or _iso(_text(node, "lastmod"))
        entries.append(Entry(loc, loc, title, date, [], digest(loc, title, date)))
    return Listing("", entries, [])


def _text(node, name: str) -> str | None:
    value = node.findtext(f"{SITEMAP_NS}{name}")
    return value.strip() if value and value.strip() else None


def _iso(value: str | None) -> str | None:
    """A W3C datetime (2022-03-01, 2022-03-01T10:00:00+02:00, ...Z) as an ISO timestamp in UTC."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())[:200] or (exc.__class__.__name__ if exc else "unknown error")
