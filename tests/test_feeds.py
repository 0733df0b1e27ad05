"""Feeds and news sitemaps polled from a loopback server: real RSS 2.0, RSS 1.0, Atom and Google News
sitemaps, and broken ones.  Real fetcher, real index, the bundled model."""

from __future__ import annotations

import asyncio
import random
import shutil

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from index import store
from index.errors import BadInput, FetchError
from index.feeds import RECHECK_SECONDS, Poller
from index.fetch import FetchPolicy, guarded_get
from index.polls import MAX_BACKOFF_SECONDS, next_poll_after, retry_after_seconds
from index.service import CrisisService
from index.subscriptions import Subscription
from tests.feedserver import news_page
from tests.helpers import make_settings

pytestmark = pytest.mark.timeout(180)

GRAIN_Q = "Which ship left Odesa carrying maize?"
KHERSON_TEXT = [
    ("Ukrainian officials said the regional administration building in Kherson was struck overnight by Russian artillery, "
     "and that two people were wounded while the fire spread to the archive on the ground floor of the building."),
    ("The head of the regional military administration asked residents of the right bank to stay in shelters until the "
     "shelling stopped, and said that buses would take those who wished to leave towards Mykolaiv in the morning."),
]


@pytest.fixture
def feed_service(tmp_path, built_data_dir, embedder):
    """A private copy of the bundled index that may fetch from loopback; feeds capped at 1 MiB."""
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    settings = make_settings(data_dir, allow_private_urls=True, fetch_timeout_seconds=5, feed_max_bytes=1024 * 1024)
    return CrisisService(settings, embedder=embedder)


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def poll(service, clock=None, **kwargs):
    poller = Poller(service, service.subscriptions, clock=clock or Clock())
    return asyncio.run(poller.poll(force=True, **kwargs))


def ids(service) -> set[str]:
    return {d.id for d in service.documents()}


def test_an_rss2_feed_indexes_full_text_items_and_fetched_pages_and_answers_cite_them(feed_service, server):
    feed = server.url("/feeds/rss2.xml")
    feed_service.feeds_add(feed)
    [result] = poll(feed_service).polls
    assert result.outcome == "updated" and result.http_status == 200 and result.seen == 3
    assert sorted(result.added) == ["EU agrees first sanctions package against Russia",
                                    "First grain ship leaves Odesa under the Black Sea deal",
                                    "IAEA inspectors reach the Zaporizhzhia nuclear plant"]
    answer = feed_service.ask(GRAIN_Q)
    assert not answer.abstained
    top = answer.citations[0]
    assert "Razoni" in top.text
    assert (top.title, top.source, top.date) == ("First grain ship leaves Odesa under the Black Sea deal", "Kyiv Wire", "2022-08-01")
    assert top.url == server.url("/news/grain-ship-odesa")
    status = feed_service.subscriptions.get(feed)
    assert (status.title, status.http_status, status.added_items, status.failures) == ("Kyiv Wire", 200, 3, 0)
    assert status.etag and status.next_poll > status.last_poll
    # A rebuild keeps them (their text is kept in the data dir), and a URL refresh leaves them to the poller.
    feed_service.build()
    assert "Razoni" in feed_service.ask(GRAIN_Q).citations[0].text
    assert feed_service.url_sources() == []


def test_a_poll_with_nothing_new_is_one_conditional_request_and_writes_nothing(feed_service, server):
    feed = server.url("/feeds/atom.xml")
    feed_service.feeds_add(feed)
    assert len(poll(feed_service).polls[0].added) == 2
    published, hits = store.current_folder(feed_service.data_dir), len(server.hits)
    [result] = poll(feed_service).polls
    assert (result.outcome, result.http_status, result.changed) == ("not modified", 304, False)
    assert server.hits[hits:] == ["/feeds/atom.xml"]
    assert server.conditional[-1][1] == feed_service.subscriptions.get(feed).etag
    assert store.current_folder(feed_service.data_dir) == published


def test_rss1_and_atom_items_carry_the_feed_title_and_their_dates(feed_service, server):
    feed_service.feeds_add(server.url("/feeds/rss1.rdf"))
    feed_service.feeds_add(server.url("/feeds/atom.xml"))
    report = poll(feed_service)
    assert [len(p.added) for p in report.polls] == [2, 2]
    documents = {d.title: d for d in feed_service.documents()}
    assert documents["Antonivskyi bridge hit again by Ukrainian rockets"].outlet == "Kherson Bulletin"
    assert documents["Antonivskyi bridge hit again by Ukrainian rockets"].date == "2022-07-27"
    assert documents["Ukrainian forces retake Izium in the Kharkiv counteroffensive"].date == "2022-09-11"
    answer = feed_service.ask("Which city did Ukrainian troops enter after Russian forces withdrew from the logistics hub?")
    assert answer.citations[0].source == "Donbas Dispatch" and "Izium" in answer.citations[0].text


def test_an_item_republished_with_changed_text_replaces_its_paragraphs(feed_service, server):
    feed_service.feeds_add(server.url("/feeds/changing.xml"))
    original = server.feeds["rss2.xml"].decode()
    server.feeds["changing.xml"] = original.encode()
    poll(feed_service)
    before = ids(feed_service)
    server.feeds["changing.xml"] = original.replace("26,000 tonnes of maize", "26,527 tonnes of corn").encode()
    try:
        [result] = poll(feed_service).polls
    finally:
        del server.feeds["changing.xml"]
    assert result.updated == ["First grain ship leaves Odesa under the Black Sea deal"] and not result.added
    assert ids(feed_service) == before
    texts = " ".join(p.paragraph.text for p in feed_service.search("Razoni left Odesa carrying", k=10))
    assert "26,527 tonnes of corn" in texts and "26,000 tonnes of maize" not in texts


def test_an_item_whose_page_is_gone_several_polls_in_a_row_is_removed(feed_service, server):
    server.news["kherson-admin"] = news_page("Kherson administration building shelled", KHERSON_TEXT)
    feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Kherson Bulletin</title><lastBuildDate>{n}</lastBuildDate>"
            "<item><title>Kherson administration building shelled</title><link>{base}/news/kherson-admin</link>"
            "<pubDate>Sat, 05 Nov 2022 08:00:00 GMT</pubDate></item></channel></rss>")
    server.set_feed("gone.xml", feed.replace("{n}", "0"))
    feed_service.feeds_add(server.url("/feeds/gone.xml"))
    clock = Clock()
    assert poll(feed_service, clock).polls[0].added == ["Kherson administration building shelled"]
    added = ids(feed_service)
    server.gone["kherson-admin"] = 410
    try:
        for n in range(1, 4):  # the feed changes a little every time; the page stays gone
            clock.now += RECHECK_SECONDS + 1
            server.set_feed("gone.xml", feed.replace("{n}", str(n)))
            [result] = poll(feed_service, clock).polls
            if n < 3:
                assert ids(feed_service) == added and not result.removed, n
        assert result.removed == ["Kherson administration building shelled"]
        assert len(ids(feed_service)) == len(added) - 1
        assert feed_service.subscriptions.get(server.url("/feeds/gone.xml")).removed_items == 1
    finally:
        del server.gone["kherson-admin"]


def test_a_news_sitemap_and_a_sitemap_index_fetch_only_urls_newer_than_the_last_poll(feed_service, server):
    feed_service.feeds_add(server.url("/feeds/sitemap-index.xml"))
    [result] = poll(feed_service).polls
    assert result.outcome == "updated" and len(result.added) == 2
    documents = {d.title: d for d in feed_service.documents()}
    assert documents["EU agrees first sanctions package against Russia"].date == "2022-02-23"
    # The child sitemap gains one newer URL and one older than the last poll: only the newer is fetched.
    server.news["kherson-admin"] = news_page("Kherson administration building shelled", KHERSON_TEXT)
    child = server.feeds["news-sitemap.xml"].decode()
    extra = ("<url><loc>{base}/news/kherson-admin</loc><lastmod>2022-11-05T08:00:00Z</lastmod></url>"
             "<url><loc>{base}/news/old-story</loc><lastmod>2022-01-05T08:00:00Z</lastmod></url></urlset>")
    server.set_feed("news-sitemap.xml", child.replace("</urlset>", extra))
    server.set_feed("sitemap-index.xml", server.feeds["sitemap-index.xml"].decode().replace("2022-09-01T12:30", "2022-11-05T08:30"))
    hits = len(server.hits)
    [result] = poll(feed_service).polls
    assert result.added == ["Kherson administration building shelled"]
    assert "/news/old-story" not in server.hits[hits:]
    assert feed_service.subscriptions.get(server.url("/feeds/sitemap-index.xml")).newest == "2022-11-05T08:00:00+00:00"


@pytest.mark.parametrize(("name", "outcome", "says"), [
    ("bomb.xml", "failed", "declares XML entities"),
    ("huge.xml", "failed", "over the 1024 KiB limit"),
    ("to-metadata.xml", "failed", "link-local"),
    ("missing.xml", "failed", "HTTP 404"),
    ("malformed.xml", "unchanged", "read despite a fault"),
    ("wrong-encoding.xml", "updated", "declared as utf-8"),
])
def test_a_broken_feed_gets_a_clear_status_and_loses_nothing_indexed(feed_service, server, name, outcome, says):
    before = ids(feed_service)
    feed_service.feeds_add(server.url(f"/feeds/{name}"))
    [result] = poll(feed_service).polls
    assert result.outcome == outcome and says in result.summary()
    assert before <= ids(feed_service)
    status = feed_service.subscriptions.get(server.url(f"/feeds/{name}"))
    if outcome == "failed":
        assert status.failures == 1 and says in status.last_error and ids(feed_service) == before
    if name == "huge.xml":
        assert server.huge_sent < 16 * 1024 * 1024  # the client hung up near its limit, not after 50 MB


def test_failures_back_off_and_retry_after_is_honoured(feed_service, server):
    feed = server.url("/feeds/down.xml")
    feed_service.feeds_add(feed)
    clock = Clock()
    server.answer["down.xml"] = (503, {"Retry-After": "7200"})
    try:
        [result] = poll(feed_service, clock).polls
        assert result.outcome == "failed" and result.http_status == 503
        assert result.next_poll - clock.now >= 7200
        del server.answer["down.xml"]
        server.answer["down.xml"] = (500, {})
        waits = []
        for _ in range(4):
            [result] = poll(feed_service, clock).polls
            waits.append(result.next_poll - clock.now)
        assert waits == [15 * 60 * 4, 15 * 60 * 8, 15 * 60 * 16, 6 * 3600]  # doubling, capped at 6 h
    finally:
        server.answer.pop("down.xml", None)


def test_a_poll_meeting_another_write_is_retried_at_the_next_tick_and_loses_nothing(feed_service, server):
    feed = server.url("/feeds/atom.xml")
    feed_service.feeds_add(feed)
    with feed_service.store.write():  # another writer holds the index
        [result] = poll(feed_service).polls
    assert result.outcome == "busy" and "another index write" in result.error
    status = feed_service.subscriptions.get(feed)
    assert status.etag is None and status.failures == 0 and feed_service.subscriptions.items(feed) == {}
    [result] = poll(feed_service).polls
    assert len(result.added) == 2


def test_subscriptions_are_checked_when_added(feed_service, server):
    with pytest.raises(FetchError, match="only http"):
        feed_service.feeds_add("file:///etc/passwd")
    with pytest.raises(BadInput, match="at least 5 minutes"):
        feed_service.feeds_add(server.url("/feeds/rss2.xml"), interval_minutes=1)
    feed_service.feeds_add(server.url("/feeds/rss2.xml"), interval_minutes=30)
    with pytest.raises(BadInput, match="already subscribed"):
        feed_service.feeds_add(server.url("/feeds/rss2.xml"))
    assert feed_service.feeds_add(server.url("/feeds/news-sitemap.xml")).kind == "sitemap"
    strict = CrisisService(make_settings(feed_service.data_dir), embedder=feed_service.embedder)
    with pytest.raises(FetchError, match="private or local"):
        strict.feeds_add(server.url("/feeds/atom.xml"))
    assert [s.url for s in feed_service.feeds_list()] == [server.url("/feeds/rss2.xml"), server.url("/feeds/news-sitemap.xml")]
    feed_service.feeds_remove(server.url("/feeds/rss2.xml"))
    with pytest.raises(BadInput, match="no subscription"):
        feed_service.feeds_remove(server.url("/feeds/rss2.xml"))


def test_item_links_pass_the_same_address_rules_as_pages(feed_service, server):
    text = "".join(f"<p>{p}</p>" for p in KHERSON_TEXT * 2)
    feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Odd links</title>"
            "<item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/</link><guid>a</guid></item>"
            "<item><title>Script</title><link>javascript:alert(1)</link><guid>b</guid>"
            f"<description><![CDATA[{text}]]></description></item></channel></rss>")
    server.set_feed("odd-links.xml", feed)
    before = ids(feed_service)
    feed_service.feeds_add(server.url("/feeds/odd-links.xml"))
    [result] = poll(feed_service).polls
    reasons = dict(result.item_errors)
    assert "link-local" in reasons["http://169.254.169.254/latest/meta-data/"]
    assert not result.added and ids(feed_service) == before
    assert len(result.item_errors) == 2


# --- boundaries: sizes and the schedule -------------------------------------------------------

@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(0, 200_000), limit=st.integers(1024, 150_000), chunked=st.booleans())
def test_a_feed_body_is_read_whole_up_to_the_limit_and_refused_past_it(server, size, limit, chunked):
    policy = FetchPolicy(allow_private=True, timeout_seconds=5)
    url = server.url(f"/bytes/{size}" + ("?chunked=1" if chunked else ""))
    if size <= limit:
        response = asyncio.run(guarded_get(url, policy, max_bytes=limit, what="feed"))
        assert response.status == 200 and len(response.body) == size
    else:
        with pytest.raises(FetchError, match=f"over the {limit // 1024} KiB limit"):
            asyncio.run(guarded_get(url, policy, max_bytes=limit, what="feed"))


@given(interval=st.floats(5, 10_080), failures=st.integers(0, 40), retry=st.one_of(st.none(), st.floats(0, 86_400)),
       failed=st.booleans(), seed=st.integers(0, 2**32))
def test_the_next_poll_is_jittered_backed_off_capped_and_never_before_retry_after(interval, failures, retry, failed, seed):
    subscription = Subscription("http://example.org/feed", "feed", interval, 0.0, "test", failures=failures)
    wait = next_poll_after(subscription, 1000.0, failed=failed, retry_after=retry, rng=random.Random(seed)) - 1000.0
    seconds = interval * 60
    expected_low = min(seconds * 2 ** max(1, failures), MAX_BACKOFF_SECONDS) if failed else 0.9 * seconds
    expected_high = min(seconds * 2 ** max(1, failures), MAX_BACKOFF_SECONDS) if failed else 1.1 * seconds
    # ``wait`` is next_poll - now: it may differ from the wait computed by the last bit of a float (1e-6 s is plenty)
    assert expected_low <= wait + 1e-6 or (retry is not None and abs(wait - retry) <= 1e-6)
    assert wait <= max(expected_high, retry or 0) + 1e-6
    assert retry is None or wait >= retry - 1e-6


@given(value=st.one_of(st.integers(0, 10**9).map(str), st.text(max_size=40), st.sampled_from(["²", "٣", "Wed, 21 Oct 2015 07:28:00 GMT"])))
def test_retry_after_is_read_or_ignored_never_an_error(value):
    seconds = retry_after_seconds(value, 1_700_000_000.0)
    assert seconds is None or 0 <= seconds <= 86_400
    if value.isascii() and value.isdigit():
        assert seconds == min(int(value), 86_400)


def test_wire_copies_from_two_outlets_collapse_into_one_passage_that_keeps_both(feed_service, server):
    wire = server.feeds["rss2.xml"].decode()
    copy = (wire.replace("<title>Kyiv Wire</title>", "<title>Black Sea Herald</title>")
            .replace("kyivwire-2022-08-01-grain", "herald-grain").replace("/news/grain-ship-odesa", "/news/herald-grain")
            .replace("First grain ship leaves Odesa under the Black Sea deal", "Razoni sails from Odesa with Ukrainian maize"))
    server.set_feed("herald.xml", copy)
    feed_service.feeds_add(server.url("/feeds/rss2.xml"))
    feed_service.feeds_add(server.url("/feeds/herald.xml"))
    report = poll(feed_service)
    assert "Razoni sails from Odesa with Ukrainian maize" in report.polls[1].added
    citation = feed_service.ask(GRAIN_Q).citations[0]
    carried = {citation.title, *citation.also_in}
    assert {"First grain ship leaves Odesa under the Black Sea deal", "Razoni sails from Odesa with Ukrainian maize"} <= carried
    hits = feed_service.search("Razoni left the port of Odesa on Monday morning carrying 26,000 tonnes of maize", k=10)
    assert sum("Razoni left the port of Odesa" in p.paragraph.text for p in hits) == 1


def test_an_item_whose_page_fails_for_a_while_is_tried_again_at_the_next_poll(feed_service, server):
    server.news["flaky"] = news_page("Kherson administration building shelled", KHERSON_TEXT)
    server.gone["flaky"] = 503
    server.set_feed("flaky.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>Kherson Bulletin</title>"
                                 "<item><title>Kherson administration building shelled</title><link>{base}/news/flaky</link>"
                                 "</item></channel></rss>")
    feed = server.url("/feeds/flaky.xml")
    feed_service.feeds_add(feed)
    try:
        [result] = poll(feed_service).polls
        assert not result.added and "HTTP 503" in result.summary() and "1 left for the next poll" in result.summary()
        assert feed_service.subscriptions.get(feed).etag is None  # read whole again next time, not a 304
    finally:
        del server.gone["flaky"]
    [result] = poll(feed_service).polls
    assert result.http_status == 200 and result.added == ["Kherson administration building shelled"]
