"""Auto-answers in forum and help channels: the real bot, the wire-level double with forum channels, the bundled corpus."""

from __future__ import annotations

import asyncio
import logging
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cogs.autoanswer import post_question
from tests.discord_double import serving
from tests.discord_double.forums import (
    CLOSED_FORUM_ID,
    DISCUSSION_TAG_ID,
    FORUM_ID,
    HELP_CHANNEL_ID,
    MESSAGE_CONTENT_INTENT,
    QUESTION_TAG_ID,
    SLOW_CHANNEL_ID,
    ForumDouble,
)
from tests.discord_double.server import BOT_ID, GUILD_ID, MANAGE_GUILD, OWNER_ID
from tests.helpers import MOD, QUESTION, callback_of, running_bot

pytestmark = pytest.mark.timeout(90)

OFF_TOPIC = "How do I bake sourdough bread?"
LOGGER = "bot.cogs.autoanswer"


@pytest.fixture
async def forums(monkeypatch):
    async with serving(ForumDouble(), monkeypatch) as server:
        yield server


def autoanswering_bot(forums, shared_service, tmp_path, **overrides):
    return running_bot(forums, shared_service, tmp_path / "bot", **{"ask_cooldown_seconds": 0, **overrides})


async def moderator_runs(forums, name, channel=None, options=None, **kwargs) -> dict:
    """A moderator's /autoanswer command; returns the bot's (immediate) response data."""
    kwargs = {**MOD, **kwargs}
    if channel is None:
        interaction = await forums.slash(name, options, **kwargs)
    else:
        interaction = await forums.slash_in(name, channel, options, **kwargs)
    callback = await forums.wait_for(callback_of(interaction))
    assert callback.json["type"] == 4 and callback.json["data"]["flags"] & 64  # private
    return callback.json["data"]


def posted_in(channel_id) -> callable:
    return lambda r: r.method == "POST" and r.path == f"/channels/{channel_id}/messages"


def posts_in(forums, channel_id) -> list:
    return [r for r in forums.requests if posted_in(channel_id)(r)]


async def answer_in(forums, channel_id, timeout: float = 30):
    return await forums.wait_for(posted_in(channel_id), timeout=timeout)


async def logged(caplog, needle: str, timeout: float = 10) -> str:
    async def seen() -> str:
        while True:
            for record in caplog.records:
                if needle in record.getMessage():
                    return record.getMessage()
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(seen(), timeout)


async def test_a_tagged_post_is_answered_in_its_thread_and_an_untagged_one_is_not(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path) as bot:
        reply = await moderator_runs(forums, "autoanswer add", FORUM_ID, {"tag": str(QUESTION_TAG_ID)})
        assert "new posts tagged Question in <#%d>" % FORUM_ID in reply["content"]
        assert "only each post's title" in reply["content"]  # no message-content intent: titles only

        untagged = await forums.forum_post(QUESTION, tags=(DISCUSSION_TAG_ID,))
        tagged = await forums.forum_post(QUESTION, tags=(QUESTION_TAG_ID, DISCUSSION_TAG_ID))
        answer = await answer_in(forums, tagged["id"])
        embed = answer.json["embeds"][0]
        assert "[1]" in embed["description"] and "Lavrov" in embed["description"]
        assert any("cnn.com/" in f["value"] for f in embed["fields"])
        assert answer.json["allowed_mentions"] == {"parse": []}
        custom_ids = [c["custom_id"] for row in answer.json["components"] for c in row["components"]]
        assert any(i.startswith("crisisbot:sources:") for i in custom_ids)
        assert not posts_in(forums, untagged["id"])
        # the answer opens the post's conversation (a mention there is a follow-up) and counts in /insights
        for _ in range(50):
            conversation = bot.state.conversation(int(tagged["id"]))
            if conversation is not None:
                break
            await asyncio.sleep(0.1)
        assert conversation is not None and [t.question for t in conversation.turns] == [QUESTION]
        assert [e["question"] for e in bot.state.asked_since(1)] == [QUESTION]

        listing = (await moderator_runs(forums, "autoanswer list"))["embeds"][0]
        assert listing["title"] == "Auto-answered channels (1)"
        assert f"<#{FORUM_ID}>" in listing["description"] and "only posts tagged Question" in listing["description"]
        audit = bot.state.recent_audit()
        assert [(a.action, a.ok) for a in audit] == [("autoanswer add", True)]
        assert "only posts tagged Question" in audit[0].result
    # the starter message (its author tells a bot's post) came on the gateway: nothing fetched
    assert not any(r.method == "GET" and "/messages/" in r.path for r in forums.requests)


async def test_a_starter_message_that_never_comes_on_the_gateway_is_fetched(forums, shared_service, tmp_path, monkeypatch):
    monkeypatch.setattr("bot.cogs.autoanswer.STARTER_WAIT_SECONDS", 0.2)
    async with autoanswering_bot(forums, shared_service, tmp_path):
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        by_a_bot = await forums.forum_post(QUESTION, author=4242, bot=True, starter_on_gateway=False)
        post = await forums.forum_post(QUESTION, starter_on_gateway=False)
        await answer_in(forums, post["id"])
        for thread in (by_a_bot, post):
            assert any(r.method == "GET" and r.path == f"/channels/{thread['id']}/messages/{thread['id']}" for r in forums.requests)
    assert not posts_in(forums, by_a_bot["id"])


async def test_a_deleted_channel_is_no_longer_auto_answered(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path) as bot:
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        await forums.delete_channel(FORUM_ID)
        for _ in range(100):
            if not bot.state.autoanswer_channels():
                break
            await asyncio.sleep(0.05)
        assert bot.state.autoanswer_channels() == []
        entry = bot.state.recent_audit()[0]
        assert (entry.actor, entry.action, entry.result) == ("discord", "autoanswer remove", "the channel was deleted")


def test_every_autoanswer_text_exists_in_every_language_with_the_same_placeholders():
    import string

    from bot.i18n import LANGUAGES, LOCALES_DIR

    def placeholders(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    catalogs = {}
    for language in LANGUAGES:
        with open(LOCALES_DIR / language / "autoanswer.toml", "rb") as file:
            catalogs[language] = tomllib.load(file)
    english = catalogs["en"]
    for language, texts in catalogs.items():
        assert texts.keys() == english.keys(), language
        assert all(key.startswith("autoanswer.") for key in texts)
        for key, template in texts.items():
            assert placeholders(template) == placeholders(english[key]), (language, key)
            assert language == "en" or template != english[key], (language, key)  # translated, not copied


async def test_off_topic_posts_get_nothing_or_the_short_note_the_server_chose(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path) as bot:
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        off_topic = await forums.forum_post(OFF_TOPIC)
        on_topic = await forums.forum_post(QUESTION)
        await answer_in(forums, on_topic["id"])
        assert not posts_in(forums, off_topic["id"])

        reply = await moderator_runs(forums, "autoanswer add", FORUM_ID, {"say_nothing_found": True})
        assert "I'll say so briefly" in reply["content"]
        noted = await forums.forum_post(OFF_TOPIC)
        note = await answer_in(forums, noted["id"])
        assert note.json["content"] == "Nothing in my sources answers this." and not note.json.get("embeds")
        assert note.json["allowed_mentions"] == {"parse": []}
        # in the post's language
        ukrainian = await forums.forum_post("Як спекти хліб на заквасці вдома?")
        assert (await answer_in(forums, ukrainian["id"])).json["content"] == "У моїх джерелах немає відповіді на це."
        assert len(bot.state.autoanswer_channels()) == 1  # adding again replaced the settings


async def test_posts_by_bots_and_by_itself_are_never_answered(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path):
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        own = await forums.forum_post(QUESTION, author=BOT_ID, bot=True)
        other_bot = await forums.forum_post(QUESTION, author=4242, bot=True)
        member = await forums.forum_post(QUESTION)
        await answer_in(forums, member["id"])
        await asyncio.sleep(0.2)
        assert not posts_in(forums, own["id"]) and not posts_in(forums, other_bot["id"])


async def test_the_post_after_the_channels_limit_in_a_minute_is_not_answered(forums, shared_service, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with autoanswering_bot(forums, shared_service, tmp_path, autoanswer_per_minute=2):
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        posts = []
        for _ in range(3):
            posts.append(await forums.forum_post(QUESTION))
            await logged(caplog, f"({posts[-1]['id']})")  # one at a time: answered, or refused
        line = await logged(caplog, "rate limit")
        assert "(2 a minute)" in line and posts[2]["id"] in line
        assert [bool(posts_in(forums, p["id"])) for p in posts] == [True, True, False]


async def test_no_request_where_the_bot_may_not_post_and_a_log_line_says_why(forums, shared_service, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with autoanswering_bot(forums, shared_service, tmp_path):
        reply = await moderator_runs(forums, "autoanswer add", CLOSED_FORUM_ID)
        assert "missing permissions: Send Messages In Threads" in reply["content"]
        post = await forums.forum_post(QUESTION, forum=CLOSED_FORUM_ID)
        line = await logged(caplog, "not answering")
        assert post["id"] in line and "missing permissions: Send Messages In Threads" in line
        await asyncio.sleep(0.2)
    assert not posts_in(forums, post["id"])


async def test_a_member_cannot_reach_autoanswer_even_by_forcing_the_command(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path) as bot:
        sync = await forums.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
        command = next(c for c in sync.json if c["name"] == "autoanswer")
        assert int(command["default_member_permissions"]) == MANAGE_GUILD and command["contexts"] == [0]
        assert {o["name"] for o in command["options"]} == {"add", "remove", "list"}
        for name, channel in [("autoanswer add", FORUM_ID), ("autoanswer remove", FORUM_ID), ("autoanswer list", None)]:
            reply = await moderator_runs(forums, name, channel, permissions=3072, user=77)
            assert reply["content"] == ("Only moderators can set up auto-answers "
                                        "(Manage Server permission or the moderator role)."), name
        assert bot.state.autoanswer_channels() == [] and bot.state.recent_audit() == []
        post = await forums.forum_post(QUESTION)
        await asyncio.sleep(0.5)
    assert not posts_in(forums, post["id"])


async def test_remove_stops_the_answers_and_is_audited(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path) as bot:
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        reply = await moderator_runs(forums, "autoanswer remove", FORUM_ID)
        assert reply["content"] == f"I no longer auto-answer in <#{FORUM_ID}>."
        again = await moderator_runs(forums, "autoanswer remove", FORUM_ID)
        assert again["content"].startswith("I don't auto-answer in")
        post = await forums.forum_post(QUESTION)
        listing = (await moderator_runs(forums, "autoanswer list"))["embeds"][0]
        assert listing["description"] == "None yet: /autoanswer add channel:"
        assert [(a.action, a.ok) for a in bot.state.recent_audit()] == [
            ("autoanswer remove", False), ("autoanswer remove", True), ("autoanswer add", True)]
    assert not posts_in(forums, post["id"])


async def test_text_channels_need_the_message_content_setting(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path):
        assert not forums.intents & MESSAGE_CONTENT_INTENT
        reply = await moderator_runs(forums, "autoanswer add", HELP_CHANNEL_ID)
        assert "CRISISBOT_READ_MESSAGE_CONTENT" in reply["content"] and "nothing changed" in reply["content"]
        reply = await moderator_runs(forums, "autoanswer add", FORUM_ID, {"tag": "no such tag"})
        assert reply["content"].startswith(f"<#{FORUM_ID}> has no tag `no such tag`")


async def test_with_message_content_a_post_body_counts_and_help_channels_get_replies(forums, shared_service, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with autoanswering_bot(forums, shared_service, tmp_path, read_message_content=True):
        assert forums.intents & MESSAGE_CONTENT_INTENT
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        post = await forums.forum_post("Help please", QUESTION)  # the question is in the body only
        assert "[1]" in (await answer_in(forums, post["id"])).json["embeds"][0]["description"]

        reply = await moderator_runs(forums, "autoanswer add", HELP_CHANNEL_ID)
        assert reply["content"].startswith(f"I'll answer new messages in <#{HELP_CHANNEL_ID}>")
        asked = await forums.channel_message(QUESTION)
        answer = await answer_in(forums, HELP_CHANNEL_ID)
        assert str(answer.json["message_reference"]["message_id"]) == asked["id"]
        assert "[1]" in answer.json["embeds"][0]["description"]
        assert answer.json["allowed_mentions"] == {"parse": [], "replied_user": False}
        await forums.channel_message(QUESTION, author=4242, bot=True)  # a bot's message: nothing

        # Slow mode: one answer per interval, although Discord would let a bot post more.
        await moderator_runs(forums, "autoanswer add", SLOW_CHANNEL_ID)
        await forums.channel_message(QUESTION, channel=SLOW_CHANNEL_ID)
        await answer_in(forums, SLOW_CHANNEL_ID)
        await forums.channel_message(QUESTION, channel=SLOW_CHANNEL_ID)
        assert "slow mode: 60 s" in await logged(caplog, "slow mode")
    assert len(posts_in(forums, SLOW_CHANNEL_ID)) == 1 and len(posts_in(forums, HELP_CHANNEL_ID)) == 1


async def test_without_message_content_a_post_is_judged_by_its_title(forums, shared_service, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with autoanswering_bot(forums, shared_service, tmp_path):
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        post = await forums.forum_post("Help please", QUESTION)
        line = await logged(caplog, "nothing strong enough")
        assert post["id"] in line
    assert not posts_in(forums, post["id"])


async def test_a_hostile_post_title_reaches_the_answer_inert(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path):
        await moderator_runs(forums, "autoanswer add", FORUM_ID)
        post = await forums.forum_post(f"@everyone <@{BOT_ID}> [click](https://evil.example) {QUESTION}")
        answer = await answer_in(forums, post["id"])
    title = answer.json["embeds"][0]["title"]
    assert "@everyone" not in title and f"<@{BOT_ID}>" not in title and "](" not in title
    assert answer.json["allowed_mentions"] == {"parse": []}


@given(st.text(max_size=600), st.text(max_size=3000), st.integers(1, 2000))
def test_a_posts_question_is_its_title_then_its_text_within_the_limit(title, body, limit):
    question = post_question(title, body, limit)
    assert len(question) <= limit and question == question.strip()
    if title.strip():
        assert question == title.strip()[:limit].strip() or question.startswith(title.strip())
    elif body.strip():
        assert question == body.strip()[:limit].strip()
    else:
        assert question == ""


async def test_a_channel_another_process_set_up_is_auto_answered_after_a_re_read(forums, shared_service, tmp_path):
    async with autoanswering_bot(forums, shared_service, tmp_path) as bot:
        # another process behind the same state (one database) adds the forum: not known here yet
        bot.state.set_autoanswer(GUILD_ID, FORUM_ID, tag_id=None, say_nothing_found=False, added_by=OWNER_ID)
        unknown = await forums.forum_post(QUESTION)
        await asyncio.sleep(1)
        bot.get_cog("AutoAnswer").channels_ttl = 0.0  # the re-read is due
        known = await forums.forum_post(QUESTION)
        await answer_in(forums, known["id"])
        assert not posts_in(forums, unknown["id"])
