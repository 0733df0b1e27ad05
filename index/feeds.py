"""Live news from feeds (RSS, Atom) and news sitemaps: subscriptions polled on their own schedule.

One poll of one subscription is one conditional GET (If-None-Match, If-Modified-Since) through the
same guarded fetcher as pages (index/fetch.py: every hop checked, the body bounded).  A new or
changed entry is indexed from the feed's own full text when it has enough, else its page is fetched
and extracted like any URL source (every item URL checked too).  What one poll changes in the index
is one store write (adds, replacements and removals together), and the subscription's state is
saved after it is published (index/subscriptions.py).

A 304 costs no parsing; behind it at most ``feed_rechecks_per_poll`` item pages are re-checked
(pages that answered 404/410 first, then those checked longest ago, each at most every 6 h, with a
conditional GET on the page's own validators), so a page taken down is still removed after
``feed_misses_before_removal`` misses while the feed does not change.

Retention: an item no longer listed is marked so at the first poll that reads the listing without it,
and forgotten ``feed_item_max_age_days`` later; its passages stay indexed.  If it is listed again,
its document is recognised by its id and the kept record's text hash (written by this subscription):
the page is read, but nothing is added or written unless its text changed (then it is an update).

Schedule: next poll = interval x uniform(0.9, 1.1); after a failure min(interval x 2^failures, 6 h),
or the server's Retry-After when longer.  An index write held by another writer (WriteInProgress)
is not a failure: the poll is tried again at the next tick, with nothing of it saved.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from index.documents import Document
from index.entries import Entry, FeedProblem, Listing, parse_feed, parse_sitemap
from index.errors import CrisisError, FetchError, WriteInProgress
from index.fetch import FetchPolicy, check_url, fetch_document, guarded_get, url_document_id
from index.formats import outlet_for
from index.polls import FeedPoll, PollReport, next_poll_after, retry_after_seconds
from index.subscriptions import Item, Subscription, SubscriptionStore
from index.text import content_hash

if TYPE_CHECKING:  # the service calls this module
    from index.service import CrisisService

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 60.0  # the index was being written by someone else: try again at about the next tick
MAX_CHILD_SITEMAPS = 20  # children of a sitemap index read in one poll (newest first)
GONE = (404, 410)
RECHECK_SECONDS = 6 * 3600.0  # a listed item's page is fetched again at most this often (to see it changed or gone)
DAY = 86_400.0


class Poller:
    """Polls subscriptions for one service; ``clock`` and ``rng`` are there for tests."""

    def __init__(self, service: CrisisService, store: SubscriptionStore, *, clock=time.time, rng: random.Random | None = None):
        self.service = service
        self.store = store
        self.settings = service.settings
        self.clock = clock
        self.rng = rng or random.Random()
        self.feed_policy: FetchPolicy = replace(service.fetch_policy, max_bytes=self.settings.feed_max_bytes)
        self._ids: tuple[object, frozenset[str]] | None = None  # (read view, its document ids): ``_published``

    async def poll(self, *, force: bool = False, only: list[str] | None = None) -> PollReport:
        """Poll the subscriptions that are due (all with ``force``; ``only`` these URLs), one after another."""
        now = self.clock()
        subscriptions = self.store.all() if force or only else self.store.due(now)
        if only is not None:
            subscriptions = [s for s in subscriptions if s.url in only]
        report = PollReport()
        for subscription in subscriptions:
            report.polls.append(await self.poll_one(subscription))
        return report

    async def poll_one(self, subscription: Subscription) -> FeedPoll:
        sub = replace(subscription)
        poll = FeedPoll(sub.url, sub.kind, "failed")
        now = self.clock()
        headers = {name: value for name, value in (("If-None-Match", sub.etag), ("If-Modified-Since", sub.last_modified)) if value}
        try:
            response = await guarded_get(sub.url, self.feed_policy, headers=headers, what=sub.kind)
            poll.http_status = response.status
            if response.status == 304:
                listing = None
            elif response.status != 200:
                wait = retry_after_seconds(response.headers.get("Retry-After"), now)
                raise _Failure(f"the server answered HTTP {response.status}", wait)
            elif sub.kind == "sitemap":
                listing = await self._read_sitemap(response.body, sub)
            else:
                listing = await asyncio.to_thread(parse_feed, response.body, response.headers, response.url)
        except (FetchError, FeedProblem, _Failure) as exc:
            return self._failed(sub, poll, str(exc), now, getattr(exc, "retry_after", None))
        entries = [] if listing is None else listing.entries
        items: dict[str, Item] = {}  # the known items the listing names
        checks: list[Item] = []
        if listing is None:  # nothing changed: a few pages re-checked, so one taken down is still noticed
            work, checks = self._rechecks(sub, now)
            poll.rechecked = len(work) + len(checks)
        else:
            sub.title, poll.note = listing.title or sub.title, listing.note
            poll.seen = sub.seen = len(entries)
            items = self.store.items_with_keys(sub.url, sorted({entry.key for entry in entries}))
            work, poll.deferred = self._work(sub, entries, items)
        documents, removals, changed_items, dropped = await self._read_items(sub, work, items, poll)
        for item in checks:
            await self._check_page(item, now, poll, removals, changed_items, dropped)
        unlisted = [] if listing is None else self._relisted(sub, entries, items, changed_items, dropped)
        try:
            if documents or removals:
                await asyncio.to_thread(self.service.write_pages, documents, removals)
        except WriteInProgress as exc:
            poll.outcome, poll.error = "busy", f"{exc}; tried again at the next tick"
            poll.added, poll.updated, poll.removed = [], [], []
            sub.next_poll = poll.next_poll = now + BUSY_RETRY_SECONDS
            self.store.save_poll(sub, [], [])
            return poll
        except CrisisError as exc:
            return self._failed(sub, poll, f"the index write failed: {exc}", now, None)
        if listing is not None and not poll.deferred:  # a deferred entry needs the full listing again next time
            sub.etag, sub.last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            dates = [e.published for e in entries if e.published]
            if sub.kind == "sitemap" and dates:
                sub.newest = max(dates + ([sub.newest] if sub.newest else []))
        poll.outcome = "not modified" if listing is None else ("updated" if poll.changed else "unchanged")
        sub.last_poll, sub.http_status, sub.failures, sub.last_error = now, response.status, 0, poll.note or None
        sub.added_items += len(poll.added)
        sub.updated_items += len(poll.updated)
        sub.removed_items += len(poll.removed)
        sub.rechecked_items += poll.rechecked
        sub.next_poll = poll.next_poll = next_poll_after(sub, now, failed=False, rng=self.rng)
        poll.pruned = self.store.save_poll(sub, changed_items, dropped, unlisted=unlisted, now=now,
                                           prune_before=now - self.settings.feed_item_max_age_days * DAY)
        return poll

    def _relisted(self, sub: Subscription, entries: list[Entry], items: dict[str, Item], changed: list[Item],
                  dropped: list[str]) -> list[str]:
        """Who left the listing (their keys, returned: marked as gone from it when saved), and who came back (their
        rows, marked as listed again, added to ``changed``)."""
        listed = {entry.key for entry in entries}
        saved = {item.key for item in changed} | set(dropped)
        changed += [replace(item, unlisted_since=None) for key, item in items.items()
                    if item.unlisted_since is not None and key not in saved]
        return sorted(self.store.listed_keys(sub.url) - listed - set(dropped))

    def _rechecks(self, sub: Subscription, now: float) -> tuple[list[tuple[None, Item]], list[Item]]:
        """At a 304, within ``feed_rechecks_per_poll``: the items whose page was missing (fetched whole, as at any poll),
        then the listed items whose page was checked longest ago, not within RECHECK_SECONDS (a conditional GET)."""
        limit = self.settings.feed_rechecks_per_poll
        missing = [item for item in self.store.missing_items(sub.url) if item.url][:limit]
        oldest = self.store.oldest_checked(sub.url, now - RECHECK_SECONDS, limit + len(missing)) if limit > len(missing) else []
        taken = {item.key for item in missing}
        return [(None, item) for item in missing], [item for item in oldest if item.key not in taken][:limit - len(missing)]

    async def _check_page(self, known: Item, now: float, poll: FeedPoll, removals: list[str], changed: list[Item],
                          dropped: list[str]) -> None:
        """Re-check an indexed item's page with a conditional GET (its text is not extracted again): 404/410 is a miss, and
        the last of ``feed_misses_before_removal`` removes it; 200 or 304 keeps it; anything else changes nothing."""
        item = replace(known, checked=now)
        headers = {name: value for name, value in (("If-None-Match", item.etag), ("If-Modified-Since", item.last_modified))
                   if value}
        try:
            response = await guarded_get(item.url, self.service.fetch_policy, headers=headers, what="web page")
        except FetchError as exc:  # a timeout, a refused address: not a miss
            poll.item_errors.append((item.url, str(exc)))
            changed.append(item)
            return
        if response.status in GONE:
            item.misses += 1
            if item.misses >= self.settings.feed_misses_before_removal:
                removals.append(item.document_id)
                poll.removed.append(item.url)
                dropped.append(item.key)
                return
        elif response.status in (200, 304):
            item.misses = 0
            item.etag = response.headers.get("ETag", item.etag)
            item.last_modified = response.headers.get("Last-Modified", item.last_modified)
        else:
            poll.item_errors.append((item.url, f"the server answered HTTP {response.status}"))
        changed.append(item)

    def _failed(self, sub: Subscription, poll: FeedPoll, reason: str, now: float, retry_after: float | None) -> FeedPoll:
        """A failed poll: nothing indexed changes; the error and the backoff are saved."""
        sub.failures += 1
        sub.last_poll, sub.http_status, sub.last_error = now, poll.http_status, reason
        sub.next_poll = poll.next_poll = next_poll_after(sub, now, failed=True, retry_after=retry_after, rng=self.rng)
        poll.outcome, poll.error = "failed", reason
        self.store.save_poll(sub, [], [])
        log.warning("poll of %s failed: %s", sub.url, reason)
        return poll

    async def _read_sitemap(self, body: bytes, sub: Subscription) -> Listing:
        """A sitemap's entries; for a sitemap index, those of its children changed since the last poll (newest first)."""
        listing = await asyncio.to_thread(parse_sitemap, body)
        if not listing.sitemaps:
            return listing
        children = [(url, mod) for url, mod in listing.sitemaps if not (sub.newest and mod and mod <= sub.newest)]
        children.sort(key=lambda c: c[1] or "", reverse=True)
        entries: list[Entry] = []
        for url, _ in children[:MAX_CHILD_SITEMAPS]:
            response = await guarded_get(url, self.feed_policy, what="sitemap")
            if response.status != 200:
                raise _Failure(f"the child sitemap {url} answered HTTP {response.status}", None)
            child = parse_sitemap(response.body)
            if child.sitemaps:
                raise FeedProblem(f"{url}: a sitemap index inside a sitemap index is not followed")
            entries.extend(child.entries)
        return Listing(listing.title, entries, [])

    def _work(self, sub: Subscription, entries: list[Entry], items: dict[str, Item]) -> tuple[list[tuple[Entry | None, Item | None]], int]:
        """What to fetch this poll (new and changed entries, newest first, within the budget), and how many wait."""
        fresh = []
        for entry in entries:
            known = items.get(entry.key)
            if known is not None and known.fingerprint == entry.fingerprint and not known.misses:
                continue
            if sub.kind == "sitemap" and known is None and sub.newest and entry.published and entry.published <= sub.newest:
                continue  # only URLs newer than the last poll
            fresh.append((entry, known))
        fresh.sort(key=lambda pair: pair[0].published or "", reverse=True)
        listed = {entry.key for entry in entries}
        # Items whose page answered 404/410 last time and that the feed no longer lists: checked again.
        missing = [(None, item) for item in self.store.missing_items(sub.url) if item.key not in listed]
        # Pages indexed from their link and still listed: checked again (changed text, or gone) every RECHECK_SECONDS,
        # oldest first, with what the budget leaves.
        now = self.clock()
        stale = sorted(((entry, items[entry.key]) for entry in entries
                        if entry.key in items and not entry.full_text and items[entry.key].document_id
                        and (entry, items[entry.key]) not in fresh and now - items[entry.key].checked >= RECHECK_SECONDS),
                       key=lambda pair: pair[1].checked)
        budget = self.settings.feed_max_items_per_poll
        work = (fresh + missing + stale)[:budget]
        return work, max(0, len(fresh) - budget)

    async def _read_items(self, sub: Subscription, work, items: dict[str, Item], poll: FeedPoll):
        """Fetch or take the text of each entry; the documents to write, the ids to remove, the item rows to save."""
        documents: list[Document] = []
        removals: list[str] = []
        changed: list[Item] = []
        dropped: list[str] = []
        now = self.clock()
        for entry, known in work:
            url = entry.url if entry is not None else known.url
            key = entry.key if entry is not None else known.key
            item = replace(known) if known is not None else Item(sub.url, key, url, entry.fingerprint)
            item.url, item.checked = url, now
            if entry is not None:
                item.fingerprint, item.unlisted_since = entry.fingerprint, None
            try:
                document = await self._document(sub, entry, url, key)
            except FetchError as exc:
                if exc.status in GONE:
                    item.misses += 1
                    if item.misses >= self.settings.feed_misses_before_removal:
                        if item.document_id:
                            removals.append(item.document_id)
                            poll.removed.append((entry.title if entry else "") or url or key)
                        dropped.append(key)
                        continue
                else:
                    poll.item_errors.append((url or key, str(exc)))
                    if exc.transient:  # tried again next poll: the item is not recorded, the feed is read whole again
                        poll.deferred += 1
                        continue
                changed.append(item)
                continue
            item.misses = 0
            text_hash = content_hash("\n".join(document.paragraphs))
            if known is None and (indexed := self._indexed_text_hash(sub, document.id)) is not None:
                item.document_id, item.text_hash = document.id, indexed  # forgotten, and back: the same document
            if item.document_id == document.id and item.text_hash == text_hash:
                changed.append(item)  # the entry changed, its text did not
                continue
            (poll.updated if item.document_id == document.id else poll.added).append(document.title)
            if item.document_id and item.document_id != document.id:
                removals.append(item.document_id)
            item.document_id, item.text_hash = document.id, text_hash
            documents.append(document)
            changed.append(item)
        return documents, removals, changed, dropped

    def _indexed_text_hash(self, sub: Subscription, document_id: str) -> str | None:
        """The text hash of a document this subscription indexed and that is still indexed (its kept record,
        index/kept.py), else None.  A forgotten item that comes back is recognised by it: written again only if its
        text changed, and then as an update."""
        record = self.service.kept.page(document_id)
        if record is None or record.get("feed") != sub.url or not self._published(document_id):
            return None  # never kept, another feed's, or kept by a write that never published (killed mid-poll)
        return record.get("content_hash")

    def _published(self, document_id: str) -> bool:
        """Whether the published index holds ``document_id`` (the ids read once per published index)."""
        if not self.service.has_index():
            return False
        view = self.service.snapshot()
        if self._ids is None or self._ids[0] is not view:
            self._ids = (view, frozenset(d.id for d in view.documents()))
        return document_id in self._ids[1]

    async def _document(self, sub: Subscription, entry: Entry | None, url: str | None, key: str) -> Document:
        """The item's document: the feed's own full text, else its page fetched and extracted."""
        settings = self.settings
        outlet = sub.title or outlet_for(url or sub.url)
        if entry is not None and entry.full_text:
            from index.ingest import LoadReport, finish

            if url:
                url = check_url(url, self.service.fetch_policy)  # a citation link is a URL like any other
            document = Document(id=url_document_id(url) if url else "feed-" + content_hash(sub.url + key)[:10],
                                title=entry.title or url or sub.title, paragraphs=list(entry.full_text), origin=sub.url,
                                url=url, date=entry.date, outlet=outlet)
            finish(document, LoadReport(), settings.min_paragraph_chars, max_chars=settings.max_paragraph_chars,
                   max_paragraphs=settings.max_paragraphs_per_source)
            if not document.paragraphs:
                raise FetchError("the feed's text has no paragraph long enough to index")
            document.meta["source_url"] = url or sub.url
        else:
            if not url:
                raise FetchError("the entry has neither a link nor enough text of its own")
            document = await fetch_document(url, self.service.fetch_policy, min_chars=settings.min_paragraph_chars)
            if entry is not None:
                document.title = entry.title or document.title
                document.date = entry.date or document.date
            document.outlet = outlet or document.outlet
        document.meta["feed"] = sub.url
        document.meta["content_hash"] = content_hash("\n".join(document.paragraphs))
        return document


class _Failure(Exception):
    def __init__(self, message: str, retry_after: float | None):
        super().__init__(message)
        self.retry_after = retry_after
