"""Two processes that both believe they lead, behind one PostgreSQL database: a leader that lost its
session mid-poll finishes that poll while the new leader polls the same feeds.  Feed polls and index
writes must still index every item once and lose none (the store's writer lock serialises the writes;
items are keyed in the shared subscriptions)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from index.errors import WriteInProgress
from index.feeds import Poller
from index.service import CrisisService
from tests.helpers import make_settings
from tests.postgres import drop_database, postgres_copy

pytestmark = pytest.mark.timeout(300)

TITLES = {"EU agrees first sanctions package against Russia", "First grain ship leaves Odesa under the Black Sea deal",
          "IAEA inspectors reach the Zaporizhzhia nuclear plant"}


@pytest.fixture
def two_hosts(postgres_url, built_postgres, embedder, tmp_path):
    """Two services with data dirs of their own (two hosts) over one database holding the bundled corpus."""
    name, url = postgres_copy(postgres_url, built_postgres)
    hosts = [CrisisService(make_settings(tmp_path / f"host-{i}", database_url=url, allow_private_urls=True,
                                         fetch_timeout_seconds=5), embedder=embedder) for i in (0, 1)]
    yield hosts
    for host in hosts:
        host.store.close()
        if "subscriptions" in host.__dict__:
            host.subscriptions.close()
    drop_database(postgres_url, name)


async def poll_both(hosts: list[CrisisService]):
    return await asyncio.gather(*(Poller(host, host.subscriptions).poll(force=True) for host in hosts))


def feed_titles(host: CrisisService) -> Counter:
    return Counter(d.title for d in host.documents() if d.title in TITLES)


def test_two_leaders_polling_one_feed_at_once_index_every_item_once(two_hosts, server):
    first, second = two_hosts
    first.feeds_add(server.url("/feeds/rss2.xml"))
    assert [s.url for s in second.feeds_list()] == [server.url("/feeds/rss2.xml")]  # one shared subscription
    reports = asyncio.run(poll_both(two_hosts))
    outcomes = [poll.outcome for report in reports for poll in report.polls]
    added = [title for report in reports for poll in report.polls for title in poll.added]
    assert len(added) == len(set(added)), f"an item was added by both: {outcomes}"
    # One writes; the other finds the writer lock held ("busy", tried again at its next tick) or nothing new.
    assert "updated" in outcomes and set(outcomes) <= {"updated", "busy", "not modified"}, outcomes
    # Whatever the interleaving, the next polls (by either host) complete the feed and add nothing twice.
    for _ in range(2):
        asyncio.run(poll_both(two_hosts))
    for host in two_hosts:
        assert feed_titles(host) == Counter(dict.fromkeys(TITLES, 1))
    assert len(second.subscriptions.items(server.url("/feeds/rss2.xml"))) == 3
    answer = second.ask("Which ship left Odesa carrying maize?")
    assert answer.citations and "Razoni" in answer.citations[0].text
    assert sum("Razoni" in c.text for c in answer.citations) == 1  # one passage, not one per poller


def test_a_write_by_one_leader_while_the_other_polls_loses_neither(two_hosts, server, tmp_path):
    first, second = two_hosts
    second.feeds_add(server.url("/feeds/atom.xml"))
    source = tmp_path / "notes.txt"
    source.write_text("Grain corridor talks\n20220714\nhttps://news.example/grain-corridor\n"
                      "Delegations met in Istanbul on Wednesday to agree a corridor for grain ships leaving Odesa.\n",
                      encoding="utf-8")

    async def both():
        adding = asyncio.to_thread(_add_until_done, first, source)
        return await asyncio.gather(adding, Poller(second, second.subscriptions).poll(force=True))

    asyncio.run(both())
    asyncio.run(Poller(second, second.subscriptions).poll(force=True))  # a poll refused by the other's write retries
    titles = Counter(d.title for d in first.documents())
    assert titles["Grain corridor talks"] == 1
    assert titles["Ukrainian forces retake Izium in the Kharkiv counteroffensive"] == 1
    assert titles["Kupiansk rail junction back under Ukrainian control"] == 1


def _add_until_done(service: CrisisService, source) -> None:
    """Add ``source``, trying again while the other host's write holds the lock (as a moderator would)."""
    for _ in range(200):
        try:
            service.add_paths([source])
            return
        except WriteInProgress:
            time.sleep(0.05)
    raise AssertionError("the other host's write never ended")
