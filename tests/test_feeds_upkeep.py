"""Keeping a feed's items bounded and current: items gone from the feed are forgotten after the retention
age (their passages stay, and they are recognised if they come back), and behind a feed that answers
304 a few item pages are re-checked per poll, so a page taken down is still removed.  Loopback feed
server, real fetcher, real index, the bundled model."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from index import store
from index.feeds import DAY, RECHECK_SECONDS, Poller
from index.service import CrisisService
from index.subscriptions import Item, Subscription, SubscriptionStore
from tests.feedserver import news_page
from tests.helpers import make_settings

pytestmark = pytest.mark.timeout(180)

NOW = 1_700_000_000.0
PLACES = ["Kherson", "Mykolaiv", "Zaporizhzhia", "Kharkiv", "Sumy", "Chernihiv"]


def story(place: str) -> tuple[str, list[str]]:
    """A page of two paragraphs about ``place``, different enough from the others not to collapse into them."""
    return f"Shelling reported in {place}", [
        f"Officials in {place} said the regional administration building was struck overnight and that two people were "
        f"wounded while firefighters from {place} worked until the morning to put out the blaze.",
        f"The head of the {place} military administration asked residents to stay in shelters until the shelling "
        f"stopped, and said that buses would take those who wished to leave {place} in the morning.",
    ]


def feed_xml(name: str, slugs: list[str], build: int = 0) -> str:
    items = "".join(f"<item><title>{story(slug.split('-')[-1])[0]}</title><link>{{base}}/news/{slug}</link><guid isPermaLink='false'>{slug}</guid>"
                    "<pubDate>Sat, 05 Nov 2022 08:00:00 GMT</pubDate></item>" for slug in slugs)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{name}</title>"
            f"<lastBuildDate>{build}</lastBuildDate>{items}</channel></rss>")


@pytest.fixture
def feed_service(tmp_path, built_data_dir, embedder):
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    settings = make_settings(data_dir, allow_private_urls=True, fetch_timeout_seconds=5, feed_item_max_age_days=30,
                             feed_rechecks_per_poll=2, feed_misses_before_removal=3)
    return CrisisService(settings, embedder=embedder)


class Clock:
    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def poll(service, clock):
    [result] = asyncio.run(Poller(service, service.subscriptions, clock=clock).poll(force=True)).polls
    return result


def ids(service) -> set[str]:
    return {d.id for d in service.documents()}


def serve(server, prefix: str, places: list[str]) -> list[str]:
    slugs = [f"{prefix}-{place}" for place in places]
    for slug, place in zip(slugs, places, strict=True):
        server.news[slug] = news_page(*story(place))
    return slugs


def one_story_feed(service, server, name: str, place: str) -> tuple[str, str, Clock]:
    """A feed of one story (its page served), subscribed and polled once: the story's slug, the feed's URL, the clock."""
    [slug] = serve(server, name, [place])
    server.set_feed(f"{name}.xml", feed_xml(f"{name.title()} Wire", [slug]))
    feed = server.url(f"/feeds/{name}.xml")
    service.feeds_add(feed)
    clock = Clock()
    assert len(poll(service, clock).added) == 1
    return slug, feed, clock


def test_items_gone_from_the_feed_are_forgotten_after_the_retention_age_and_recognised_when_they_return(feed_service, server):
    first, second = serve(server, "prune", PLACES[:2])
    server.set_feed("prune.xml", feed_xml("Prune Wire", [first, second]))
    feed = server.url("/feeds/prune.xml")
    feed_service.feeds_add(feed)
    clock = Clock()
    assert len(poll(feed_service, clock).added) == 2
    indexed = ids(feed_service)
    server.set_feed("prune.xml", feed_xml("Prune Wire", [second], build=1))  # the first story leaves the feed
    clock.now += 3600
    left_at = clock.now
    assert poll(feed_service, clock).outcome == "unchanged"
    items = feed_service.subscriptions.items(feed)
    assert (items[first].unlisted_since, items[second].unlisted_since) == (left_at, None)
    clock.now = left_at + 30 * DAY  # exactly the retention age: kept
    assert poll(feed_service, clock).pruned == 0 and first in feed_service.subscriptions.items(feed)
    clock.now += 1
    result = poll(feed_service, clock)
    assert result.outcome == "not modified" and result.pruned == 1 and "1 old items forgotten" in result.summary()
    assert list(feed_service.subscriptions.items(feed)) == [second]
    assert feed_service.subscriptions.get(feed).pruned_items == 1
    assert ids(feed_service) == indexed  # forgetting the item never removes its passages
    # It comes back: recognised by its indexed document, neither added again nor written.
    published, requests = store.current_folder(feed_service.data_dir), len(server.hits)
    server.set_feed("prune.xml", feed_xml("Prune Wire", [first, second], build=2))
    clock.now += 3600
    result = poll(feed_service, clock)
    assert (result.added, result.updated, result.outcome) == ([], [], "unchanged")
    assert server.hits[requests:] == ["/feeds/prune.xml", f"/news/{first}"]
    assert store.current_folder(feed_service.data_dir) == published and ids(feed_service) == indexed
    back = feed_service.subscriptions.items(feed)[first]
    assert back.document_id and back.unlisted_since is None
    hits = feed_service.search("firefighters worked until the morning to put out the blaze", k=20)
    assert sum(f"Officials in {PLACES[0]} said" in p.paragraph.text for p in hits) == 1


def test_an_item_kept_by_a_write_that_never_published_is_added_not_taken_for_returning(feed_service, server):
    """A poll killed after keeping a page's record but before its write published leaves the record behind: the
    next poll must index the item, not take it for a forgotten one that came back."""
    [slug] = serve(server, "unpublished", PLACES[4:5])
    server.set_feed("unpublished.xml", feed_xml("Unpublished Wire", [slug]))
    feed = server.url("/feeds/unpublished.xml")
    feed_service.feeds_add(feed)
    clock = Clock()
    before = ids(feed_service)
    [added] = poll(feed_service, clock).added
    [document_id] = ids(feed_service) - before
    assert feed_service.kept.page(document_id) is not None
    feed_service.remove_documents([document_id])  # unpublished again, its kept record left: as after the kill
    with feed_service.subscriptions.transaction() as db:
        db.execute("DELETE FROM items WHERE feed = ?", (feed,))
    server.set_feed("unpublished.xml", feed_xml("Unpublished Wire", [slug], build=1))
    clock.now += 3600
    result = poll(feed_service, clock)
    assert result.added == [added] and ids(feed_service) - before == {document_id}


def full_text_feed(tonnes: str, listed: bool, build: int) -> str:
    """A feed whose one item carries its own full text (no page to fetch), or lists nothing."""
    paragraphs = [
        f"The cargo ship Sabre left Chornomorsk on Friday morning carrying {tonnes} tonnes of wheat bound for Egypt, the "
        "port authority said, the fourth grain ship to sail from the port since the corridor opened.",
        "Inspectors of the joint coordination centre in Istanbul checked the vessel before it entered the Bosphorus, and "
        "said that nine more ships were waiting for inspection at anchor off the Turkish coast.",
        "Ukraine's infrastructure ministry said that exports through the corridor could reach three million tonnes a "
        "month by the autumn if the ports kept working at the pace of the first weeks.",
    ]
    item = ("<item><title>Sabre sails from Chornomorsk with wheat</title><guid isPermaLink='false'>sabre</guid>"
            "<content:encoded><![CDATA[" + "".join(f"<p>{p}</p>" for p in paragraphs) + "]]></content:encoded></item>")
    return ("<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
            f"<title>Port Wire</title><lastBuildDate>{build}</lastBuildDate>{item if listed else ''}</channel></rss>")


def test_a_forgotten_item_that_comes_back_with_changed_text_is_an_update_not_a_second_copy(feed_service, server):
    server.set_feed("port.xml", full_text_feed("33,000", listed=True, build=0))
    feed = server.url("/feeds/port.xml")
    feed_service.feeds_add(feed)
    clock = Clock()
    assert poll(feed_service, clock).added == ["Sabre sails from Chornomorsk with wheat"]
    indexed = ids(feed_service)
    server.set_feed("port.xml", full_text_feed("33,000", listed=False, build=1))
    poll(feed_service, clock)
    clock.now += 31 * DAY
    assert poll(feed_service, clock).pruned == 1 and feed_service.subscriptions.items(feed) == {}
    server.set_feed("port.xml", full_text_feed("35,500", listed=True, build=2))
    clock.now += 60
    result = poll(feed_service, clock)
    assert (result.added, result.updated) == ([], ["Sabre sails from Chornomorsk with wheat"])
    assert ids(feed_service) == indexed
    texts = [p.paragraph.text for p in feed_service.search("Sabre left Chornomorsk carrying tonnes of wheat", k=10)]
    assert sum("35,500 tonnes" in t for t in texts) == 1 and not any("33,000 tonnes" in t for t in texts)


def test_a_304_feed_whose_item_page_turns_410_is_removed_after_the_configured_rechecks(feed_service, server):
    slug, feed, clock = one_story_feed(feed_service, server, "recheck", PLACES[2])
    indexed = ids(feed_service)
    clock.now += 600  # checked within RECHECK_SECONDS: only the feed is asked
    requests = len(server.conditional)
    assert poll(feed_service, clock).rechecked == 0 and [p for p, _ in server.conditional[requests:]] == ["/feeds/recheck.xml"]
    clock.now += RECHECK_SECONDS
    result = poll(feed_service, clock)  # still there: its first re-check learns its ETag, the next is conditional
    assert (result.http_status, result.rechecked, result.removed) == (304, 1, [])
    etag = feed_service.subscriptions.items(feed)[slug].etag
    assert etag
    server.gone[slug] = 410
    try:
        removed_at = None
        for n in range(1, 5):
            clock.now += RECHECK_SECONDS + 1
            requests = len(server.conditional)
            result = poll(feed_service, clock)
            assert result.outcome == "not modified" and result.rechecked == 1, n
            assert server.conditional[requests:][0] == ("/feeds/recheck.xml", feed_service.subscriptions.get(feed).etag)
            if n == 1:
                assert server.conditional[requests:][1] == (f"/news/{slug}", etag)  # a conditional GET
            if result.removed:
                removed_at = n
                break
            assert ids(feed_service) == indexed and feed_service.subscriptions.items(feed)[slug].misses == n
        assert removed_at == 3 and result.removed == [server.url(f"/news/{slug}")]
        assert ids(feed_service) == indexed - {next(iter(indexed - ids(feed_service)))} and len(ids(feed_service)) == len(indexed) - 1
        status = feed_service.subscriptions.get(feed)
        assert (status.removed_items, status.rechecked_items) == (1, 4) and feed_service.subscriptions.items(feed) == {}
    finally:
        del server.gone[slug]


def test_a_transient_503_on_a_recheck_is_not_a_miss(feed_service, server):
    slug, feed, clock = one_story_feed(feed_service, server, "flaky-recheck", PLACES[3])
    indexed = ids(feed_service)
    server.gone[slug] = 503
    try:
        for _ in range(5):  # more than feed_misses_before_removal
            clock.now += RECHECK_SECONDS + 1
            result = poll(feed_service, clock)
            assert result.rechecked == 1 and not result.removed and "HTTP 503" in result.summary()
            assert feed_service.subscriptions.items(feed)[slug].misses == 0
    finally:
        del server.gone[slug]
    assert ids(feed_service) == indexed


def test_the_pages_rechecked_behind_a_304_are_bounded_per_poll_and_taken_oldest_first(feed_service, server):
    slugs = serve(server, "many", PLACES)
    server.set_feed("many.xml", feed_xml("Many Wire", slugs))
    feed = server.url("/feeds/many.xml")
    feed_service.feeds_add(feed)
    clock = Clock()
    assert len(poll(feed_service, clock).added) == 6
    clock.now += RECHECK_SECONDS + 1
    seen: list[str] = []
    for _ in range(3):
        clock.now += 60
        requests = len(server.hits)
        result = poll(feed_service, clock)
        asked = server.hits[requests:]
        assert asked[0] == "/feeds/many.xml" and len(asked) == 3 and result.rechecked == 2, asked
        seen += asked[1:]
    assert sorted(seen) == sorted(f"/news/{slug}" for slug in slugs)  # each page once: oldest-checked first
    clock.now += 60
    requests = len(server.hits)
    assert poll(feed_service, clock).rechecked == 0 and server.hits[requests:] == ["/feeds/many.xml"]
    # Every page taken down at once: still no more than the feed and two pages a poll.
    for slug in slugs:
        server.gone[slug] = 404
    try:
        for _ in range(12):
            clock.now += RECHECK_SECONDS + 1
            requests = len(server.hits)
            poll(feed_service, clock)
            assert len(server.hits) - requests <= 3
        assert feed_service.subscriptions.items(feed) == {} and feed_service.subscriptions.get(feed).removed_items == 6
    finally:
        for slug in slugs:
            del server.gone[slug]


def test_a_poll_reads_only_the_item_rows_it_needs(feed_service, server, monkeypatch):
    slug, feed, clock = one_story_feed(feed_service, server, "rows", PLACES[4])
    stored = [Item(feed, f"old-{n}", f"https://example.org/{n}", "f", "h", f"doc-{n}", checked=NOW, unlisted_since=NOW)
              for n in range(3000)]
    feed_service.subscriptions.save_poll(feed_service.subscriptions.get(feed), stored, [])
    monkeypatch.setattr(SubscriptionStore, "items", lambda *_: pytest.fail("a poll read every item of the feed"))
    server.set_feed("rows.xml", feed_xml("Rows Wire", [slug], build=1))
    clock.now += 60
    assert poll(feed_service, clock).outcome == "unchanged"
    clock.now += 60
    assert poll(feed_service, clock).outcome == "not modified"


# --- the retention boundary, on the real store --------------------------------------------------

BOUNDARY = st.integers(-2, 2)


@hypothesis_settings(max_examples=60, deadline=None)
@given(max_age_days=st.sampled_from([0.5, 1, 7, 30, 365]),
       ages=st.lists(st.one_of(st.none(), st.integers(0, 400 * 86_400), BOUNDARY.map(lambda d: ("edge", d))), max_size=12))
def test_an_item_is_forgotten_exactly_when_it_has_been_gone_from_the_feed_longer_than_the_retention_age(tmp_path_factory,
                                                                                                      max_age_days, ages):
    folder = tmp_path_factory.mktemp("retention")
    subscriptions = SubscriptionStore(folder / "feeds.sqlite")
    feed = Subscription("https://example.org/feed.xml", "feed", 15.0, 0.0, "test")
    subscriptions.add(feed)
    limit = int(max_age_days * 86_400)
    seconds = [None if age is None else (limit + age[1] if isinstance(age, tuple) else age) for age in ages]
    items = [Item(feed.url, f"k{n}", None, "f", checked=0.0, unlisted_since=None if s is None else NOW - s)
             for n, s in enumerate(seconds)]
    subscriptions.save_poll(feed, items, [])
    pruned = subscriptions.save_poll(feed, [], [], now=NOW, prune_before=NOW - max_age_days * DAY)
    kept = set(subscriptions.items(feed.url))
    assert kept == {f"k{n}" for n, s in enumerate(seconds) if s is None or s <= limit}  # still listed, or not long gone
    assert pruned == len(seconds) - len(kept) == subscriptions.get(feed.url).pruned_items
    subscriptions.close()


OLD_SCHEMA = """
CREATE TABLE subscriptions (
    url TEXT PRIMARY KEY, kind TEXT NOT NULL, interval_minutes REAL NOT NULL, added REAL NOT NULL, added_by TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '', etag TEXT, last_modified TEXT, newest TEXT,
    last_poll REAL, next_poll REAL NOT NULL, http_status INTEGER, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    seen INTEGER NOT NULL DEFAULT 0, added_items INTEGER NOT NULL DEFAULT 0, updated_items INTEGER NOT NULL DEFAULT 0,
    removed_items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE items (
    feed TEXT NOT NULL REFERENCES subscriptions(url) ON DELETE CASCADE, key TEXT NOT NULL, url TEXT,
    fingerprint TEXT NOT NULL, text_hash TEXT, document_id TEXT, misses INTEGER NOT NULL DEFAULT 0, checked REAL NOT NULL,
    PRIMARY KEY (feed, key)
);
INSERT INTO subscriptions (url, kind, interval_minutes, added, added_by, next_poll, added_items)
    VALUES ('https://example.org/feed.xml', 'feed', 15, 1, 'cli', 0, 1);
INSERT INTO items (feed, key, url, fingerprint, text_hash, document_id, checked)
    VALUES ('https://example.org/feed.xml', 'a', 'https://example.org/a', 'f', 'h', 'url-a', 5);
"""


def test_a_feeds_database_of_the_first_version_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "feeds.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    for _ in range(2):  # opening it again changes nothing more
        subscriptions = SubscriptionStore(path)
        [feed] = subscriptions.all()
        assert (feed.added_items, feed.pruned_items, feed.rechecked_items) == (1, 0, 0)
        item = subscriptions.items(feed.url)["a"]
        assert (item.document_id, item.unlisted_since, item.etag) == ("url-a", None, None)
        assert [i.key for i in subscriptions.oldest_checked(feed.url, 10, 5)] == ["a"]
        subscriptions.close()
    with sqlite3.connect(path) as db:
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"items_listed_checked", "items_unlisted", "items_missing"} <= indexes


@pytest.fixture(params=["sqlite", "postgres"])
def subscriptions(request, tmp_path):
    """A subscription store on each backend."""
    url = request.getfixturevalue("postgres_database") if request.param == "postgres" else None
    opened = SubscriptionStore(tmp_path / "feeds.sqlite", database_url=url)
    yield opened
    opened.close()


def test_the_reads_a_poll_makes_and_forgetting_agree_on_both_backends(subscriptions):
    feed = Subscription("https://example.org/feed.xml", "feed", 15.0, 0.0, "test")
    other = Subscription("https://example.org/other.xml", "feed", 15.0, 0.0, "test")
    assert subscriptions.add(feed) and subscriptions.add(other)
    rows = [Item(feed.url, "listed-old", "https://example.org/1", "f", "h", "doc-1", checked=NOW - 7 * 3600),
            Item(feed.url, "listed-new", "https://example.org/2", "f", "h", "doc-2", checked=NOW - 60),
            Item(feed.url, "listed-older", "https://example.org/3", "f", "h", "doc-3", checked=NOW - 9 * 3600),
            Item(feed.url, "unindexed", "https://example.org/4", "f", checked=NOW - 9 * 3600, misses=1),
            Item(feed.url, "gone-long-ago", "https://example.org/5", "f", "h", "doc-5", checked=0.0, unlisted_since=NOW - 40 * DAY),
            Item(other.url, "listed-old", "https://example.org/1", "f", "h", "doc-1", checked=0.0)]
    subscriptions.save_poll(feed, rows[:5], [])
    subscriptions.save_poll(other, rows[5:], [])
    assert set(subscriptions.items_with_keys(feed.url, ["listed-old", "unindexed", "nothing"])) == {"listed-old", "unindexed"}
    assert [i.key for i in subscriptions.missing_items(feed.url)] == ["unindexed"]
    assert [i.key for i in subscriptions.oldest_checked(feed.url, NOW - 6 * 3600, 5)] == ["listed-older", "listed-old"]
    assert [i.key for i in subscriptions.oldest_checked(feed.url, NOW - 6 * 3600, 1)] == ["listed-older"]
    assert subscriptions.listed_keys(feed.url) == {"listed-old", "listed-new", "listed-older", "unindexed"}
    pruned = subscriptions.save_poll(feed, [], ["unindexed"], unlisted=["listed-new"], now=NOW, prune_before=NOW - 30 * DAY)
    assert pruned == 1 and subscriptions.get(feed.url).pruned_items == 1
    assert set(subscriptions.items(feed.url)) == {"listed-old", "listed-new", "listed-older"}
    assert subscriptions.items(feed.url)["listed-new"].unlisted_since == NOW
    assert subscriptions.listed_keys(feed.url) == {"listed-old", "listed-older"}
    assert set(subscriptions.items(other.url)) == {"listed-old"}  # another feed's items are its own


def test_a_recheck_passes_the_same_address_rules_as_any_fetch(feed_service, server):
    slug, feed, clock = one_story_feed(feed_service, server, "ssrf", PLACES[5])
    metadata = "http://169.254.169.254/latest/meta-data/"
    subscription = feed_service.subscriptions.get(feed)
    feed_service.subscriptions.save_poll(subscription, [Item(feed, "planted", metadata, "f", "h", "url-planted", checked=0.0)], [])
    clock.now += RECHECK_SECONDS + 1
    requests = len(server.hits)
    result = poll(feed_service, clock)
    assert result.rechecked == 2 and "link-local" in dict(result.item_errors)[metadata]
    assert server.hits[requests:] == ["/feeds/ssrf.xml", f"/news/{slug}"]
    planted = feed_service.subscriptions.items(feed)["planted"]
    assert planted.misses == 0 and planted.checked == clock.now  # not a miss; checked again last, after the others
