"""/feeds from Discord: the real bot against the wire-level double, feeds served on loopback."""

from __future__ import annotations

import asyncio

import pytest

from tests.discord_double.server import LOG_CHANNEL_ID, MANAGE_GUILD
from tests.helpers import MOD, callback_of, command, moderated_bot

pytestmark = pytest.mark.timeout(120)


async def test_feeds_commands_are_for_moderators_only(double, service, tmp_path, server):
    async with moderated_bot(double, service, tmp_path):
        sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
        for name, options in [("feeds add", {"url": server.url("/feeds/atom.xml")}), ("feeds list", {}), ("feeds status", {}),
                              ("feeds remove", {"url": server.url("/feeds/atom.xml")})]:
            _, callback, _ = await command(double, name, options, user=77)
            assert callback.json["data"]["flags"] & 64 and "Only moderators" in callback.json["data"]["content"], name
    feeds = {c["name"]: c for c in sync.json}["feeds"]
    assert int(feeds["default_member_permissions"]) == MANAGE_GUILD and feeds["contexts"] == [0]
    assert {o["name"] for o in feeds["options"]} == {"add", "remove", "list", "status"}
    assert server.conditional == [] and service.feeds_list() == []


async def test_a_moderator_follows_a_feed_sees_its_status_and_the_poller_keeps_it_current(double, service, tmp_path, server):
    feed = server.url("/feeds/atom.xml")
    async with moderated_bot(double, service, tmp_path, feeds_tick_seconds=0.2) as bot:
        _, _, edit = await command(double, "feeds add", {"url": feed, "interval": 5}, **MOD)
        content = edit.json["content"]
        assert content.startswith("Following") and "every 5 min" in content and "2 added" in content, content
        assert edit.json["allowed_mentions"] == {"parse": []}
        answer = bot.service.ask("Which city did Ukrainian troops enter after Russian forces withdrew from the logistics hub?")
        assert answer.citations[0].source == "Donbas Dispatch"

        _, callback, _ = await command(double, "feeds status", **MOD)
        [field] = callback.json["data"]["embeds"][0]["fields"]
        assert field["name"].startswith("Donbas Dispatch") and "HTTP 200" in field["value"]
        assert "2 seen, 2 added, 0 updated, 0 removed" in field["value"] and "next poll <t:" in field["value"]
        assert "old items forgotten: 0; pages re-checked (the feed answered 304): 0" in field["value"]

        # The background poller polls it when due: make it due, and it makes one conditional request (304).
        requests = len(server.conditional)
        subscription = bot.service.subscriptions.get(feed)
        subscription.next_poll = 0
        bot.service.subscriptions.save_poll(subscription, [], [])
        for _ in range(100):
            if len(server.conditional) > requests and bot.service.subscriptions.get(feed).next_poll > 0:
                break
            await asyncio.sleep(0.1)
        assert server.conditional[requests:] == [("/feeds/atom.xml", subscription.etag)]
        await asyncio.sleep(0.5)
        assert len(server.conditional) == requests + 1  # not due again for about 5 minutes
        assert bot.service.subscriptions.get(feed).http_status == 304

        _, callback, _ = await command(double, "feeds list", **MOD)
        assert feed in callback.json["data"]["embeds"][0]["description"]
        typing = await double.autocomplete("feeds remove", {"url": "atom"}, "url", **MOD)
        choices = (await double.wait_for(callback_of(typing))).json["data"]["choices"]
        assert [c["value"] for c in choices] == [feed]
        _, _, edit = await command(double, "feeds remove", {"url": feed}, **MOD)
        assert edit.json["content"].startswith("Stopped following")
        _, _, edit = await command(double, "feeds add", {"url": "file:///etc/passwd"}, **MOD)
        assert edit.json["content"].startswith("Could not follow") and "Nothing changed" in edit.json["content"]
        entries = bot.state.recent_audit(10)
    assert [(e.action, e.ok) for e in entries] == [("feeds add", False), ("feeds remove", True), ("feeds poll", True),
                                                   ("feeds add", True)]
    assert "added: Ukrainian forces retake Izium" in entries[2].result
    posts = [r for r in double.requests if r.method == "POST" and r.path == f"/channels/{LOG_CHANNEL_ID}/messages"]
    assert len(posts) == 4 and all(p.json["allowed_mentions"] == {"parse": []} for p in posts)
