"""Issue 12 through the real bot: source text and URLs cannot inject links or pings (item 3), one click
cannot flood a channel or the state (item 11), and a damaged index says so (item 13)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.state import BotState, StoredCitation
from index import store
from index.errors import CrisisError, IndexDamaged
from index.ingest import Document
from index.service import CrisisService
from tests.discord_double.server import BOT_ID, CHANNEL_ID, LOG_CHANNEL_ID
from tests.helpers import (
    MOD,
    QUESTION,
    callback_of,
    command,
    edit_of,
    make_settings,
    moderated_bot,
    running_bot,
    sent_for,
    strings,
)

pytestmark = pytest.mark.timeout(120)

EVIL_URL = "https://www.reuters.com/world) **[Click here](https://evil.example/phish)** ("
EVIL_TITLE = "[Official statement](https://evil.example/phish) @everyone"
EVIL_OUTLET = "@here <@123456789012345678> [x](https://evil.example/outlet)"
ZORBLAX_Q = "Who signed the Zorblax accord in Vilnius?"
ZORBLAX = [
    "The Zorblax accord was signed in Vilnius by Lithuanian foreign minister Quentin Varga on Thursday, officials said.",
    "Varga said the Zorblax accord commits both sides to daily inspections of the border crossings near Vilnius.",
    "Critics of the Zorblax accord said inspections alone would not stop the build-up of troops along the border.",
]
# What would ping, or link somewhere: @everyone, @here, <@id>, <@!id>, <@&id>; and every "](" starting a link target.
PING = re.compile(r"@(everyone|here)|<@[!&]?\d+>", re.IGNORECASE)


def link_targets(text: str) -> list[str]:
    return [text[m.end():].split(")", 1)[0] for m in re.finditer(r"\]\(", text)]


def plain_url(target: str) -> bool:
    """A link target markdown cannot break out of: http(s), a host, nothing that ends or escapes the link."""
    try:
        parts = urllib.parse.urlsplit(target)
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc and target.isascii()
            and not any(ch.isspace() or not ch.isprintable() or ch in "()<>\"'`\\[]" for ch in target))



def assert_inert(requests, *, actor: int | None = None) -> None:
    """No ping (but the acting moderator's own, in the log channel), and every link goes to a
    plain http(s) URL that is not the attacker's."""
    texts = [t for r in requests for t in strings(r.json if isinstance(r.json, (dict, list)) else {})]
    assert texts
    for text in texts:
        assert not PING.search(text.replace(f"(<@{actor}>)", "")), text[:300]
        for target in link_targets(text):
            assert "evil.example" not in target and plain_url(target), text[:300]


# --- item 3: the source line, property-tested ----------------------------------------------

URLS = st.one_of(
    st.text(max_size=80),
    st.builds(lambda host, path: f"https://{host}/{path}", st.text(min_size=1, max_size=20), st.text(max_size=40)),
    st.sampled_from([EVIL_URL, "https://en.wikipedia.org/wiki/Minsk_(city)", "javascript:alert(1)", "https://a.example/x y",
                     "https://user@evil.example/", "https://a.example/<@123>", "http://[::1", "https://a.example/\u200b"]),
)


@settings(max_examples=400, deadline=None)
@given(title=st.text(max_size=300), url=URLS, outlet=st.text(max_size=120), date=st.one_of(st.none(), st.text(max_size=20)))
def test_a_source_line_links_only_to_the_validated_url_and_never_pings(title, url, outlet, date):
    line = render.source_line(3, title, url, outlet, date)
    assert not PING.search(line), line
    encoded = url.replace("(", "%28").replace(")", "%29")
    targets = link_targets(line)
    assert targets in ([], [encoded]), line  # at most one link, to the source's own URL
    assert all(plain_url(target) for target in targets), line
    if render.link_target(url):  # and a plain URL is linked
        assert targets == [encoded] and f"]({encoded})" in line


def test_the_issue_examples():
    line = render.source_line(1, "Russia moves troops", EVIL_URL, "Reuters", "2022-02-20")
    assert "](" not in line and "reuters.com/world)" in line  # shown, as inline code
    assert render.source_line(1, "Minsk", "https://en.wikipedia.org/wiki/Minsk_(city)", "", None).endswith(
        "[Minsk](https://en.wikipedia.org/wiki/Minsk_%28city%29)")
    for text in (EVIL_TITLE, "<@12>", "@Everyone", "<@!1234>"):
        assert not PING.search(render.escape(text)) and "](" not in render.escape(text)
    assert "](" not in render.code("`](https://evil.example)` @everyone") and "`" not in render.code("a`b")[1:-1]
    # discord.utils.escape_markdown leaves everything from a "[" to a later "](" unescaped.
    assert "**bold**" not in render.escape("[a](b) **bold** [c](d)")


# --- item 3: through the bot ----------------------------------------------------------------


@pytest.fixture
def hostile_service(service):
    """The bundled index plus one source whose title, outlet and URL are hostile."""
    service.add_documents([Document("hostile-zorblax", EVIL_TITLE, ZORBLAX, "test", url=EVIL_URL, date="2022-02-20",
                                    outlet=EVIL_OUTLET)])
    return service


async def test_a_hostile_source_is_inert_in_answers_sources_and_search(double, hostile_service, tmp_path):
    async with running_bot(double, hostile_service, tmp_path / "bot", ask_cooldown_seconds=0):
        asked = await double.slash("ask", {"question": ZORBLAX_Q})
        edit = await double.wait_for(edit_of(asked))
        fields = " ".join(f["value"] for f in edit.json["embeds"][0]["fields"])
        assert "Official statement" in fields, fields  # the hostile source is the one cited
        ids = [c["custom_id"] for row in edit.json["components"] for c in row["components"]]
        shown = await double.click(next(i for i in ids if i.startswith("crisisbot:sources:")))
        await double.wait_for(callback_of(shown))
        source = await double.slash("source", {"n": 1})
        await double.wait_for(callback_of(source))
        searched = await double.slash("search", {"query": "Zorblax accord Vilnius"})
        await double.wait_for(edit_of(searched))
        for interaction in (asked, shown, source, searched):
            assert_inert(sent_for(double, interaction))


async def test_a_hostile_source_and_audit_log_are_inert_for_moderators(double, hostile_service, tmp_path):
    state = BotState(tmp_path / "bot" / "state.sqlite")  # what `crisisbot sources add` records
    state.audit("cli:alice", "sources add", "[x](https://evil.example/t) @everyone", f"{EVIL_TITLE}: added, 3 paragraphs")
    state.close()
    async with moderated_bot(double, hostile_service, tmp_path):
        listing, callback, _ = await command(double, "sources list", **MOD)
        assert "Official statement" in callback.json["data"]["embeds"][0]["description"]
        typing = await double.autocomplete("sources remove", {"id": "official"}, "id", **MOD)
        choices = (await double.wait_for(callback_of(typing))).json["data"]["choices"]
        assert choices and not any(PING.search(c["name"]) or "](" in c["name"] for c in choices)
        removal, _, _ = await command(double, "sources remove", {"id": "[y](https://evil.example/r) @everyone"}, **MOD)
        audit, _, _ = await command(double, "sources audit", **MOD)
        log_post = await double.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{LOG_CHANNEL_ID}/messages")
        audit_reply = next(r for r in sent_for(double, audit) if r.path.endswith("/callback"))
        audit_text = audit_reply.json["data"]["embeds"][0]["description"]
        assert "cli:alice" in audit_text and "Official statement" in audit_text
        assert_inert(sent_for(double, listing) + sent_for(double, audit) + sent_for(double, removal) + [log_post], actor=1001)


# --- item 11: one click, bounded --------------------------------------------------------------


async def handled(bot) -> None:
    """Wait until the bot has finished every interaction it was handling."""
    for _ in range(200):
        await asyncio.sleep(0.05)
        if not bot.answers_in_flight():
            return


def replies_with_embeds(double, interaction) -> list[list[dict]]:
    return [r.json.get("data", r.json)["embeds"] for r in sent_for(double, interaction)
            if r.method == "POST" and r.json.get("data", r.json).get("embeds")]


async def test_one_click_on_a_390_kb_paragraph_sends_at_most_max_messages_per_click(double, shared_service, tmp_path):
    huge = StoredCitation(1, "Huge", "https://example.org/huge", "2022-02-17", "example.org",
                          ("Troops **moved** [1](x) @everyone near the border. " * 8000)[:390_000], 11)
    small = StoredCitation(2, "Small", "https://example.org/small", "2022-02-18", "example.org", "A short paragraph.", 12)
    async with running_bot(double, shared_service, tmp_path / "bot", max_messages_per_click=3) as bot:
        answer_id = bot.state.save_answer("q", [huge, small])
        bot.state.remember_last(1001, answer_id)
        double.add_message_with_buttons(f"crisisbot:sources:{answer_id}")
        click = await double.click(f"crisisbot:sources:{answer_id}")
        await double.wait_for(callback_of(click))
        source = await double.slash("source", {"n": 1}, user=1001)
        await double.wait_for(callback_of(source))
        await handled(bot)
    for interaction, expected in ((click, "**[2]**"), (source, None)):
        messages = replies_with_embeds(double, interaction)
        assert 1 <= len(messages) <= 3, len(messages)
        descriptions = [e["description"] for embeds in messages for e in embeds]
        assert all(len(d) <= render.DESCRIPTION_MAX for d in descriptions)
        assert all(sum(len(e["description"]) for e in embeds) <= render.TOTAL_MAX for embeds in messages)
        assert render.CUT_NOTE in "".join(descriptions)
        if expected:
            assert expected in "".join(descriptions)  # the other citation still shows
        assert_inert(sent_for(double, interaction))


async def test_the_click_over_the_limit_is_refused_privately(double, shared_service, tmp_path):
    async with running_bot(double, shared_service, tmp_path / "bot", ask_cooldown_seconds=0, button_clicks_per_minute=3):
        asked = await double.slash("ask", {"question": QUESTION})
        edit = await double.wait_for(edit_of(asked))
        up = next(c["custom_id"] for row in edit.json["components"] for c in row["components"]
                  if c["custom_id"].startswith("crisisbot:vote:up:"))
        for _ in range(3):
            click = await double.click(up, user=77)
            assert (await double.wait_for(callback_of(click))).json["data"]["content"] == "Thanks for the feedback."
        click = await double.click(up, user=77)
        refused = (await double.wait_for(callback_of(click))).json["data"]
        assert refused["flags"] & 64 and refused["allowed_mentions"] == {"parse": []}
        wait = re.fullmatch(r"You're clicking too fast; try again in (\d+) s\.", refused["content"])
        assert wait and 1 <= int(wait[1]) <= 60, refused["content"]
        other = await double.click(up, user=78)  # per member
        assert (await double.wait_for(callback_of(other))).json["data"]["content"] == "Thanks for the feedback."


async def test_a_refused_more_results_click_stores_no_search(double, shared_service, tmp_path):
    data_dir = tmp_path / "bot"
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0, button_clicks_per_minute=2) as bot:
        asked = await double.slash("ask", {"question": QUESTION})
        edit = await double.wait_for(edit_of(asked))
        more = next(c["custom_id"] for row in edit.json["components"] for c in row["components"]
                    if c["custom_id"].startswith("crisisbot:more:"))
        for _ in range(3):  # another member: each accepted click stores a search of their own
            click = await double.click(more, user=2002)
            await double.wait_for(callback_of(click))
            await handled(bot)
        assert "clicking too fast" in (await double.wait_for(callback_of(click))).json["data"]["content"]
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("SELECT count(*) FROM searches").fetchone() == (3,)  # the answer's, and two clicks


# --- item 13: a damaged index says so -------------------------------------------------------


class BreakableService:
    """The real service, whose reads raise ``damage`` once the test sets it."""

    def __init__(self, service):
        self._service, self.damage = service, None

    def __getattr__(self, name):
        return getattr(self._service, name)

    def ask(self, *args, **kwargs):
        if self.damage:
            raise self.damage
        return self._service.ask(*args, **kwargs)

    def search(self, *args, **kwargs):
        if self.damage:
            raise self.damage
        return self._service.search(*args, **kwargs)


def private_reply(double, interaction):
    """The reply to a deferred interaction (a follow-up) or an immediate one (the callback)."""
    def match(r):
        body = r.json.get("data", r.json) if isinstance(r.json, dict) else {}
        return interaction["token"] in r.path and r.method == "POST" and bool(body.get("content"))
    return match


async def test_a_damaged_index_gets_a_clear_private_reply_not_an_error_id(double, shared_service, tmp_path):
    broken = BreakableService(shared_service)
    async with running_bot(double, broken, tmp_path / "bot", ask_cooldown_seconds=0):
        asked = await double.slash("ask", {"question": QUESTION})
        edit = await double.wait_for(edit_of(asked))
        more = next(c["custom_id"] for row in edit.json["components"] for c in row["components"]
                    if c["custom_id"].startswith("crisisbot:more:"))
        broken.damage = IndexDamaged("vectors.faiss: 12 bytes, expected 75,264", path="/data/indexes/x/vectors.faiss")
        for interaction in (await double.slash("ask", {"question": QUESTION}), await double.slash("search", {"query": "Blinken"}),
                            await double.click(more, user=3003)):
            reply = (await double.wait_for(private_reply(double, interaction), timeout=15)).json
            body = reply.get("data", reply)
            assert body["content"] == "The index is damaged; a moderator can run /reindex.", body["content"]
            assert body["flags"] & 64 and body["allowed_mentions"] == {"parse": []}
        await double.mention(f"<@{BOT_ID}> {QUESTION}")
        post = await double.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages", timeout=15)
        assert post.json["content"] == "The index is damaged; a moderator can run /reindex."
        broken.damage = CrisisError("the sources folder is read-only; ask the operator")
        asked = await double.slash("ask", {"question": QUESTION})
        reply = (await double.wait_for(private_reply(double, asked), timeout=15)).json
        assert reply["content"] == "the sources folder is read-only; ask the operator"
    assert not any("error id" in s for r in double.requests for s in strings(r.json or {}))


async def test_a_truncated_vectors_file_is_reported_as_a_damaged_index(double, built_data_dir, embedder, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, symlinks=True)
    vectors = store.current_folder(data_dir) / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    damaged = CrisisService(make_settings(data_dir), embedder=embedder)
    async with running_bot(double, damaged, tmp_path / "bot", ask_cooldown_seconds=0):
        asked = await double.slash("ask", {"question": QUESTION})
        reply = (await double.wait_for(private_reply(double, asked), timeout=15)).json
        assert reply["content"] == "The index is damaged; a moderator can run /reindex." and reply["flags"] & 64
