"""Conversations in threads through the real bot and the Discord double: /ask opening a thread, follow-ups
there (a mention, /ask in the thread, any message with the Message Content intent), a restart between two
turns, and Discord's limits (2,000-character messages, 100-character thread names, 3 s to acknowledge, 429)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cogs.threads import thread_name
from tests.discord_double.server import BOT_ID, CHANNEL_ID
from tests.discord_double.threads import MESSAGE_CONTENT_INTENT, THREAD_FROM_MESSAGE
from tests.helpers import MOD, QUESTION, callback_of, edit_of, running_bot

pytestmark = pytest.mark.timeout(90)

FOLLOW_UP = "What did he propose?"  # only the earlier turn says who "he" is


def thread_created(r) -> bool:
    return r.method == "POST" and re.fullmatch(THREAD_FROM_MESSAGE, r.path) is not None


def posted_in(thread_id):
    return lambda r: r.method == "POST" and r.path == f"/channels/{thread_id}/messages" and bool(r.json.get("embeds"))


async def threads_on(double, enabled: bool = True) -> str:
    interaction = await double.slash("settings threads", {"enabled": enabled}, **MOD)
    reply = await double.wait_for(callback_of(interaction))
    assert reply.json["data"]["flags"] & 64 and reply.json["data"]["allowed_mentions"] == {"parse": []}
    return reply.json["data"]["content"]


async def stored(bot, thread_id, turns: int, timeout: float = 10.0):
    """The thread's conversation once it has ``turns`` turns (the bot stores a turn after replying)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        conversation = await asyncio.to_thread(bot.state.conversation, int(thread_id))
        if conversation is not None and len(conversation.turns) >= turns or loop.time() > deadline:
            return conversation
        await asyncio.sleep(0.05)


async def ask_opening_a_thread(double, question: str = QUESTION, start: int = 0):
    interaction = await double.slash("ask", {"question": question})
    edit = await double.wait_for(edit_of(interaction))
    created = await double.wait_for(thread_created, start=start)
    return edit, created


async def test_settings_threads_is_for_moderators_and_off_by_default(double, bot):
    interaction = await double.slash("settings threads")
    reply = await double.wait_for(callback_of(interaction))
    assert "Only moderators" in reply.json["data"]["content"]
    assert "without opening a thread" in await threads_on(double, None)
    interaction = await double.slash("ask", {"question": QUESTION})
    await double.wait_for(edit_of(interaction))
    await asyncio.sleep(0.5)
    assert not any(thread_created(r) for r in double.requests)  # off: the answer stays in the channel
    assert "opens a thread" in await threads_on(double, True)
    assert "opens a thread" in await threads_on(double, None)
    assert bot.state.recent_audit(1)[0].action == "settings threads"


async def test_a_thread_follow_up(double, bot):
    await threads_on(double)
    edit, created = await ask_opening_a_thread(double)
    assert "[1]" in edit.json["embeds"][0]["description"]
    thread_id = created.path.split("/")[4]  # a thread from a message has the message's id
    assert created.path.startswith(f"/channels/{CHANNEL_ID}/messages/") and created.json["name"] == QUESTION
    first = await stored(bot, thread_id, 1)
    assert first.opened and first.turns[0].question == QUESTION and first.turns[0].cited

    message = await double.thread_message(thread_id, f"<@{BOT_ID}> {FOLLOW_UP}", mentions_bot=True)
    reply = await double.wait_for(posted_in(thread_id))
    assert str(reply.json["message_reference"]["message_id"]) == message["id"]
    assert reply.json["allowed_mentions"]["parse"] == [] and reply.json["embeds"][0]["title"] == FOLLOW_UP
    conversation = await stored(bot, thread_id, 2)
    assert [t.question for t in conversation.turns] == [QUESTION, FOLLOW_UP]
    assert "Blinken" in conversation.turns[1].searched  # read with the first turn's subject

    # Without the Message Content intent a message that does not mention the bot arrives empty: not a follow-up.
    assert not double.intents & MESSAGE_CONTENT_INTENT
    before = len(double.requests)
    await double.thread_message(thread_id, "And what did NATO say?")
    # /ask in the thread answers there and continues the same conversation; no new thread.
    interaction = await double.slash_in_thread(thread_id, "ask", {"question": "What did Blinken propose?"})
    await double.wait_for(edit_of(interaction))
    conversation = await stored(bot, thread_id, 3)
    assert [t.question for t in conversation.turns] == [QUESTION, FOLLOW_UP, "What did Blinken propose?"]
    assert not any(posted_in(thread_id)(r) or thread_created(r) for r in double.requests[before:])


async def test_the_conversation_is_bounded_to_the_last_turns(double, bot):
    await threads_on(double)
    _, created = await ask_opening_a_thread(double)
    thread_id = created.path.split("/")[4]
    for n in range(4):  # one after the other: each answered (and its turn stored) before the next
        interaction = await double.slash_in_thread(thread_id, "ask", {"question": f"What did Blinken propose, part {n}?"})
        await double.wait_for(edit_of(interaction))
        for _ in range(200):
            conversation = await stored(bot, thread_id, 1)
            if conversation.turns[-1].question.endswith(f"part {n}?"):
                break
            await asyncio.sleep(0.05)
    assert [t.question for t in conversation.turns] == [f"What did Blinken propose, part {n}?" for n in (1, 2, 3)]


async def test_every_message_is_a_follow_up_with_the_message_content_intent(double, shared_service, tmp_path):
    async with running_bot(double, shared_service, tmp_path / "bot", ask_cooldown_seconds=0, read_message_content=True) as bot:
        assert double.intents & MESSAGE_CONTENT_INTENT
        await threads_on(double)
        _, created = await ask_opening_a_thread(double)
        thread_id = created.path.split("/")[4]
        await double.thread_message(thread_id, FOLLOW_UP)
        reply = await double.wait_for(posted_in(thread_id))
        assert reply.json["embeds"][0]["title"] == FOLLOW_UP and reply.json["allowed_mentions"]["parse"] == []
        assert len((await stored(bot, thread_id, 2)).turns) == 2
        # In a thread a member opened, only a mention is a follow-up.
        theirs = double.add_thread("Members talking")
        await double.announce_thread(theirs)
        before = len(double.requests)
        await double.thread_message(theirs["id"], FOLLOW_UP)
        await double.thread_message(theirs["id"], f"<@{BOT_ID}> {QUESTION}", mentions_bot=True)
        reply = await double.wait_for(posted_in(theirs["id"]), start=before)
        assert reply.json["embeds"][0]["title"] == QUESTION
        assert sum(posted_in(theirs["id"])(r) for r in double.requests[before:]) == 1


async def test_a_restart_between_two_turns(double, shared_service, tmp_path):
    data_dir = tmp_path / "bot"
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0) as bot:
        await threads_on(double)
        _, created = await ask_opening_a_thread(double)
        thread_id = created.path.split("/")[4]
        await stored(bot, thread_id, 1)
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0) as bot:
        assert bot.get_channel(int(thread_id)) is not None  # the active thread came back with the guild
        start = len(double.requests)
        await double.thread_message(thread_id, f"<@{BOT_ID}> {FOLLOW_UP}", mentions_bot=True)
        reply = await double.wait_for(posted_in(thread_id), start=start)
        assert reply.json["embeds"][0]["title"] == FOLLOW_UP
        conversation = await stored(bot, thread_id, 2)
    assert [t.question for t in conversation.turns] == [QUESTION, FOLLOW_UP]
    assert "Blinken" in conversation.turns[1].searched and conversation.opened  # the first turn, kept over the restart, was used


async def test_a_long_question_makes_a_thread_name_within_100_characters(double, bot):
    await threads_on(double)
    question = "Who did Blinken write to proposing a meeting, " + "and what did the letter say about Europe " * 10 + "?"
    assert 100 < len(question) <= 500
    _, created = await ask_opening_a_thread(double, question)
    name = created.json["name"]
    assert len(name) <= 100 and name.startswith("Who did Blinken write to") and name.endswith("…")
    assert not any(re.fullmatch(THREAD_FROM_MESSAGE, r.request.path) for r in double.refused)


async def test_the_double_enforces_discords_lengths(double, bot):
    channel = bot.get_channel(CHANNEL_ID)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    assert refused.value.status == 400 and refused.value.code == 50035 and "2000 or fewer" in str(refused.value)
    message = await channel.send("x" * 2000)
    with pytest.raises(discord.HTTPException) as refused:
        await message.create_thread(name="n" * 101)
    assert refused.value.status == 400 and "between 1 and 100" in str(refused.value)
    thread = await message.create_thread(name="n" * 100)
    assert thread.id == message.id and len(thread.name) == 100
    # A thread without a message (POST /channels/{id}/threads): the same name rule, and THREAD_CREATE follows.
    with pytest.raises(discord.HTTPException):
        await channel.create_thread(name="", type=discord.ChannelType.public_thread)
    alone = await channel.create_thread(name="Without a message", type=discord.ChannelType.public_thread)
    for _ in range(100):
        if bot.get_channel(alone.id) is not None:
            break
        await asyncio.sleep(0.02)
    assert isinstance(bot.get_channel(alone.id), discord.Thread) and bot.get_channel(alone.id).parent_id == CHANNEL_ID


async def test_a_429_on_thread_creation_is_retried(double, bot):
    await threads_on(double)
    double.limit_route("POST", THREAD_FROM_MESSAGE, 1, 1.5)
    _, first = await ask_opening_a_thread(double)
    start = double.requests.index(first) + 1
    _, second = await ask_opening_a_thread(double, "What did Blinken propose to Lavrov?", start=start)
    limited = [r for r in double.refused if r.status == 429 and thread_created(r.request)]
    assert len(limited) == 1 and 0 < limited[0].body["retry_after"] <= 1.5
    assert first.at < limited[0].at < second.at and second.json["name"] == "What did Blinken propose to Lavrov?"
    assert await stored(bot, second.path.split("/")[4], 1)


async def test_an_interaction_answered_after_3_s_is_unknown(double, bot):
    double.ack_seconds = 0.0  # every acknowledgement comes too late
    interaction = await double.slash("ask", {"question": QUESTION})
    refusal = await double.wait_refused(lambda r: interaction["id"] in r.request.path)
    assert refusal.status == 404 and refusal.body == {"message": "Unknown interaction", "code": 10062}
    double.ack_seconds = 3.0
    interaction = await double.slash("ask", {"question": QUESTION})
    assert (await double.wait_for(callback_of(interaction))).json["type"] == 5


async def test_an_interaction_acknowledged_twice_is_refused(double, bot):
    double.sent_at["1234"] = time.perf_counter()
    route = discord.http.Route("POST", "/interactions/{interaction_id}/{token}/callback", interaction_id=1234, token="t")
    await bot.http.request(route, json={"type": 5})
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, json={"type": 5})
    assert refused.value.status == 400 and refused.value.code == 40060


@given(st.text(max_size=600))
def test_thread_names_fit_discord(question):
    name = thread_name(question)
    assert 1 <= len(name) <= 100 and "\n" not in name


async def test_without_permission_to_open_a_thread_the_answer_stands_and_the_asker_is_told(faulty, shared_service, tmp_path):
    from tests.discord_double.faults import Fault

    async with running_bot(faulty, shared_service, tmp_path / "bot", ask_cooldown_seconds=0):
        await threads_on(faulty)
        faulty.inject("POST", THREAD_FROM_MESSAGE, Fault(403, code=50013))
        interaction = await faulty.slash("ask", {"question": QUESTION})
        edit = await faulty.wait_for(edit_of(interaction))
        assert "[1]" in edit.json["embeds"][0]["description"]
        note = await faulty.wait_for(lambda r: r.method == "POST" and interaction["token"] in r.path and "thread" in str(r.json))
        assert note.json["flags"] & 64 and "Create Public Threads" in note.json["content"]
        assert note.json["allowed_mentions"] == {"parse": []}
        assert [f.fault.status for f in faulty.faulted] == [403] and not faulty.threads
    with sqlite3.connect(tmp_path / "bot" / "state.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0


def test_a_stored_conversation_keeps_its_last_turns_and_is_pruned_with_the_answers(tmp_path):
    from bot.state import BotState
    from index.conversation import Turn

    state = BotState(tmp_path / "state.sqlite", salt="s")
    state.add_turn(7, Turn("first?", "first?", (1, 2)), keep=2, opened=True)
    state.add_turn(7, Turn("second?", "second? resolved", (3,)), keep=2)
    state.add_turn(7, Turn("third?", "third?"), keep=2)
    conversation = state.conversation(7)
    assert conversation.opened and [t.question for t in conversation.turns] == ["second?", "third?"]
    assert conversation.turns[0] == Turn("second?", "second? resolved", (3,))
    state.close()
    state = BotState(tmp_path / "state.sqlite", salt="s")  # a restart keeps it
    assert [t.question for t in state.conversation(7).turns] == ["second?", "third?"]
    assert state.prune(max_age_days=0)["conversations"] == 1 and state.conversation(7) is None
    state.close()
