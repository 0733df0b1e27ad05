"""The real discord.py bot driven through the wire-level Discord double on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading

import pytest

from tests.discord_double.server import APP_ID, GUILD_ID
from tests.helpers import QUESTION, callback_of, edit_of, running_bot

pytestmark = pytest.mark.timeout(60)


async def ask(double, question, *, user: int = 1001, guild: bool = True, **options):
    interaction = await double.slash("ask", {"question": question, **options}, user=user, guild=guild)
    callback = await double.wait_for(callback_of(interaction))
    return interaction, callback


async def test_login_syncs_commands(double, bot):
    sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    names = {c["name"] for c in sync.json}
    assert {"ask", "about", "help", "search", "source"} <= names
    ask_command = next(c for c in sync.json if c["name"] == "ask")
    assert [o["name"] for o in ask_command["options"]] == ["question", "private", "since", "until"]
    assert sorted(ask_command["contexts"]) == [0, 1, 2]  # guilds, DMs with the bot, group DMs


async def test_ask_answers_with_citations(double, bot):
    interaction, callback = await ask(double, QUESTION)
    assert callback.json["type"] == 5  # deferred, at once
    assert not callback.json.get("data", {}).get("flags", 0) & 64
    edit = await double.wait_for(edit_of(interaction))
    assert edit.json["allowed_mentions"] == {"parse": []}
    embed = edit.json["embeds"][0]
    assert "[1]" in embed["description"]
    assert len(embed["description"]) <= 4096
    sources = " ".join(f["value"] for f in embed["fields"])
    assert "cnn.com/" in sources and "](https://" in sources
    assert "passages searched" in embed["footer"]["text"] and "ms" in embed["footer"]["text"]
    custom_ids = [c["custom_id"] for row in edit.json["components"] for c in row["components"]]
    assert any(i.startswith("crisisbot:sources:") for i in custom_ids)
    assert any(i.startswith("crisisbot:vote:up:") for i in custom_ids)


async def test_private_ask_is_ephemeral(double, bot):
    interaction, callback = await double.slash("ask", {"question": QUESTION, "private": True}), None
    callback = await double.wait_for(callback_of(interaction))
    assert callback.json["type"] == 5 and callback.json["data"]["flags"] & 64


async def test_abstains_on_uncovered_question(double, bot):
    interaction, _ = await ask(double, "What is the best recipe for chocolate chip cookies?")
    edit = await double.wait_for(edit_of(interaction))
    embed = edit.json["embeds"][0]
    assert "isn't covered by my sources" in embed["description"]
    assert "closest topics" in embed["description"]
    assert not embed.get("fields")


@pytest.mark.parametrize("question", ["", "   \n ", "x" * 501])
async def test_bad_question_is_an_ephemeral_error(double, bot, question):
    _, callback = await ask(double, question)
    assert callback.json["type"] == 4
    assert callback.json["data"]["flags"] & 64
    assert "empty" in callback.json["data"]["content"] or "limit is 500" in callback.json["data"]["content"]


async def test_cooldown_on_second_ask(double, shared_service, tmp_path):
    async with running_bot(double, shared_service, tmp_path / "bot", ask_cooldown_seconds=30):
        first, callback = await ask(double, QUESTION, user=7)
        assert callback.json["type"] == 5
        await double.wait_for(edit_of(first))
        _, second = await ask(double, QUESTION, user=7)
        assert second.json["type"] == 4 and second.json["data"]["flags"] & 64
        assert "try again in" in second.json["data"]["content"]
        wait = int(re.search(r"try again in (\d+) s", second.json["data"]["content"])[1])
        assert 1 <= wait <= 30
        _, other_user = await ask(double, QUESTION, user=8)
        assert other_user.json["type"] == 5


async def test_everyone_and_role_mentions_never_ping(double, bot):
    question = "@everyone <@&123456789012345678> [click](https://evil.example) what did Blinken write?"
    interaction, _ = await ask(double, question)
    edit = await double.wait_for(edit_of(interaction))
    assert edit.json["allowed_mentions"] == {"parse": []}
    title = edit.json["embeds"][0]["title"]
    assert "@everyone" not in title and "@\u200beveryone" in title
    assert "<@&123456789012345678>" not in title
    assert "](https://evil" not in title


async def test_show_sources_button(double, bot):
    interaction, _ = await ask(double, QUESTION)
    edit = await double.wait_for(edit_of(interaction))
    custom_id = next(c["custom_id"] for row in edit.json["components"] for c in row["components"]
                     if c["custom_id"].startswith("crisisbot:sources:"))
    click = await double.click(custom_id)
    response = await double.wait_for(callback_of(click))
    assert response.json["type"] == 4 and response.json["data"]["flags"] & 64
    assert response.json["data"]["allowed_mentions"] == {"parse": []}
    embeds = response.json["data"]["embeds"]
    assert "**[1]**" in embeds[0]["description"] and "cnn.com" in embeds[0]["description"]
    assert all(len(e["description"]) <= 4096 for e in embeds)


async def test_feedback_is_stored_and_buttons_survive_a_restart(double, shared_service, tmp_path):
    data_dir = tmp_path / "bot"
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0):
        interaction, _ = await ask(double, QUESTION)
        edit = await double.wait_for(edit_of(interaction))
    ids = [c["custom_id"] for row in edit.json["components"] for c in row["components"]]
    up = next(i for i in ids if i.startswith("crisisbot:vote:up:"))
    sources = next(i for i in ids if i.startswith("crisisbot:sources:"))
    answer_id = up.rsplit(":", 1)[1]
    # A new bot instance, a new gateway session: the old message's buttons still work.
    async with running_bot(double, shared_service, data_dir, ask_cooldown_seconds=0):
        click = await double.click(up, user=4242)
        response = await double.wait_for(callback_of(click))
        assert "Thanks" in response.json["data"]["content"] and response.json["data"]["flags"] & 64
        click = await double.click(sources)
        response = await double.wait_for(callback_of(click))
        assert response.json["data"]["embeds"]
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = db.execute("SELECT answer_id, question, paragraph_ids, user_hash, vote FROM feedback").fetchall()
    assert len(rows) == 1
    row = rows[0]
    assert row[0] == answer_id and row[1] == QUESTION and row[2].startswith("[") and row[4] == 1
    assert len(row[3]) == 64 and "4242" not in row[3]


async def test_about(double, bot):
    interaction = await double.slash("about")
    response = await double.wait_for(callback_of(interaction))
    embed = response.json["data"]["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert int(fields["Documents"]) > 0 and "CNN" in fields["Outlets"]
    assert response.json["data"]["allowed_mentions"] == {"parse": []}


async def test_help(double, bot):
    interaction = await double.slash("help")
    response = await double.wait_for(callback_of(interaction))
    assert "/ask" in response.json["data"]["embeds"][0]["description"]
    assert response.json["data"]["flags"] & 64


async def test_search(double, bot):
    interaction = await double.slash("search", {"query": "Blinken letter Lavrov"})
    edit = await double.wait_for(edit_of(interaction))
    fields = edit.json["embeds"][0]["fields"]
    assert 1 <= len(fields) <= 5 and all(len(f["value"]) <= 1024 for f in fields)


async def test_mention_is_answered_in_a_reply(double, bot):
    message = await double.mention(f"<@{bot.user.id}> {QUESTION} @everyone")
    reply = await double.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages") and r.json.get("embeds"))
    assert str(reply.json["message_reference"]["message_id"]) == message["id"]
    assert reply.json["allowed_mentions"]["parse"] == []
    assert "[1]" in reply.json["embeds"][0]["description"]
    assert "<@" not in reply.json["embeds"][0]["title"]


def buttons(request) -> dict[str, dict]:
    """The buttons of a sent message, by label (or custom_id when they have none)."""
    return {c.get("label") or c["custom_id"]: c for row in request.json.get("components", []) for c in row["components"]}


def followup_of(interaction):
    return lambda r: r.method == "POST" and r.path.startswith("/webhooks/") and interaction["token"] in r.path


async def test_more_results_shows_the_next_passages_and_pages_on(double, bot):
    interaction, _ = await ask(double, QUESTION)
    edit = await double.wait_for(edit_of(interaction))
    quoted = edit.json["embeds"][0]["description"][:40]  # the start of the cited sentence
    click = await double.click(buttons(edit)["More results"]["custom_id"])
    response = await double.wait_for(callback_of(click))
    assert response.json["type"] == 5 and response.json["data"]["flags"] & 64
    page = await double.wait_for(followup_of(click))
    embed = page.json["embeds"][0]
    assert embed["title"].startswith("More results for") and embed["footer"]["text"] == "Page 1"
    assert [f["name"].split(".")[0] for f in embed["fields"]] == ["1", "2", "3", "4", "5"]
    assert page.json["flags"] & 64 and page.json["allowed_mentions"] == {"parse": []}
    # The cited paragraphs are not shown again.
    assert len(quoted) == 40 and all(quoted not in f["value"] for f in embed["fields"])
    pager = buttons(page)
    assert pager["Previous"]["disabled"] and not pager.get("Next", {}).get("disabled")
    click = await double.click(pager["Next"]["custom_id"])
    response = await double.wait_for(callback_of(click))
    assert response.json["type"] == 6  # the owner turns the page in place
    turned = await double.wait_for(edit_of(click))
    assert turned.json["embeds"][0]["footer"]["text"] == "Page 2"
    assert turned.json["embeds"][0]["fields"][0]["name"].startswith("6.")


async def test_search_pages_and_someone_elses_click_gets_their_own_copy(double, bot):
    interaction = await double.slash("search", {"query": "Minsk agreement"}, user=31)
    first = await double.wait_for(edit_of(interaction))
    assert [f["name"].split(".")[0] for f in first.json["embeds"][0]["fields"]] == ["1", "2", "3", "4", "5"]
    next_id = buttons(first)["Next"]["custom_id"]
    click = await double.click(next_id, user=32)
    response = await double.wait_for(callback_of(click))
    assert response.json["type"] == 5 and response.json["data"]["flags"] & 64
    copy = await double.wait_for(followup_of(click))
    assert copy.json["embeds"][0]["fields"][0]["name"].startswith("6.")


async def test_source_n_shows_a_citation_of_your_last_answer(double, bot):
    interaction = await double.slash("source", {"n": 1}, user=51)
    response = await double.wait_for(callback_of(interaction))
    assert "no answer" in response.json["data"]["content"] and response.json["data"]["flags"] & 64
    asked, _ = await ask(double, QUESTION, user=51)
    edit = await double.wait_for(edit_of(asked))
    count = len(edit.json["embeds"][0]["fields"])
    interaction = await double.slash("source", {"n": 1}, user=51)
    response = await double.wait_for(callback_of(interaction))
    description = response.json["data"]["embeds"][0]["description"]
    assert description.startswith("**[1]**") and "Lavrov" in description
    interaction = await double.slash("source", {"n": count + 1}, user=51)
    response = await double.wait_for(callback_of(interaction))
    assert f"sources 1 to {count}" in response.json["data"]["content"]


async def test_ask_in_a_direct_message(double, bot):
    interaction = await double.slash("ask", {"question": QUESTION}, guild=False)
    edit = await double.wait_for(edit_of(interaction))
    assert "[1]" in edit.json["embeds"][0]["description"]


async def test_date_filters_on_ask(double, bot):
    _, callback = await ask(double, QUESTION, since="last week")
    assert callback.json["type"] == 4 and "must be a date" in callback.json["data"]["content"]
    interaction = await double.slash("ask", {"question": QUESTION, "since": "2023-01-01"})
    edit = await double.wait_for(edit_of(interaction))
    assert "isn't covered by my sources" in edit.json["embeds"][0]["description"]
    interaction = await double.slash("ask", {"question": QUESTION, "until": "2022-02-28"})
    edit = await double.wait_for(edit_of(interaction))
    assert "[1]" in edit.json["embeds"][0]["description"]


async def test_commands_sync_to_one_guild_when_configured(double, shared_service, tmp_path):
    async with running_bot(double, shared_service, tmp_path / "bot", discord_guild_id=GUILD_ID):
        sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    assert sync.path == f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
    assert {"ask", "sources", "reindex"} <= {c["name"] for c in sync.json}


async def test_a_russian_question_is_answered_with_russian_fixed_texts(double, bot):
    interaction, _ = await ask(double, "Кому Блинкен отправил письмо с предложением встретиться?")
    edit = await double.wait_for(edit_of(interaction))
    embed = edit.json["embeds"][0]
    assert "[1]" in embed["description"] and "Lavrov" in embed["description"]  # quoted from the English source
    assert "10 февр. 2022 — " in embed["description"]  # each line dated, in Russian
    assert embed["fields"][0]["name"] == "Источник 1"
    assert embed["footer"]["text"].startswith("Просмотрено фрагментов:")


async def test_a_time_outside_the_corpus_is_refused_saying_what_it_covers(double, bot):
    interaction, _ = await ask(double, "What happened in Kherson in March 2023?")
    edit = await double.wait_for(edit_of(interaction))
    embed = edit.json["embeds"][0]
    assert embed["description"].startswith("My sources run from 10 Feb 2022 to 10 Feb 2022 and have nothing on 1–31 Mar 2023.")
    assert edit.json["allowed_mentions"] == {"parse": []}


async def test_the_bot_loads_the_multilingual_model_when_it_starts_not_in_the_first_question(double, shared_service, tmp_path,
                                                                                            monkeypatch):
    # The first Ukrainian or Russian question after a start waited about 5 s for the multilingual model.
    loaded = threading.Event()
    monkeypatch.setattr(type(shared_service), "warm_languages", lambda self: loaded.set())
    async with running_bot(double, shared_service, tmp_path / "bot"):
        assert await asyncio.to_thread(loaded.wait, 10)
