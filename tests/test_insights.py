"""Insights for moderators: the core's grouping over rows, the asked events in state.sqlite (no user ids),
`crisisbot insights --json`, and /insights through the real bot on the Discord double."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cogs.insights import insights_embed
from bot.state import BotState
from index.answer import Answer, Citation
from index.insights import Insights, compute, group_by_topic, refusal_kind, topic_terms
from tests.discord_double.server import BOT_ID, CHANNEL_ID, GUILD_ID
from tests.helpers import MOD, QUESTION, callback_of, command, edit_of, moderated_bot

pytestmark = pytest.mark.timeout(120)

NOON = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC).timestamp()


def event(question, *, abstained=True, reason="the sources never mention Kursk", at=NOON, citations=(), answer_id=None, language="en"):
    return {"time": at, "guild_id": str(GUILD_ID), "answer_id": answer_id, "abstained": abstained, "language": language,
            "question": question, "citations": [{"title": t, "url": u, "paragraph_id": 1} for t, u in citations], "reason": reason}


# --- the core: pure functions over rows -------------------------------------------------------


def test_refused_questions_are_grouped_by_the_names_they_hold_with_examples():
    questions = [
        "How many died in the Kramatorsk station attack?",
        "What happened at Kramatorsk railway station?",
        "Were HIMARS sent to Kherson?",
        "Who shelled Kherson in November?",
        "When did Kherson's liberation happen?",
        "what is going on",
        "(private question)",
    ]
    topics, without = group_by_topic(questions, top=5, examples=2)
    assert [(t.term, t.questions) for t in topics[:2]] == [("kherson", 3), ("kramatorsk", 2)]
    assert topics[0].examples == ["Were HIMARS sent to Kherson?", "Who shelled Kherson in November?"]
    assert "himars" in [t.term for t in topics]
    assert without == 2  # the private one and the one naming nothing


def test_topics_with_the_index_vocabulary_are_its_key_terms_and_the_names_it_lacks(shared_service):
    vocabulary = shared_service.snapshot().vocabulary()
    terms = dict(topic_terms("Did Blinken meet Lavrov in Kursk?", vocabulary))
    # Kursk: a name the corpus lacks (the missing source); Lavrov: a key term; Blinken is in too many
    # of the bundled corpus's paragraphs to tell them apart, so it is not one.
    assert set(terms.values()) == {"kursk", "lavrov"}


def test_compute_counts_kinds_hours_sources_and_downvoted_answers():
    asked = [
        event("Who did Blinken write to?", abstained=False, reason="evidence 0.9", answer_id="a1",
              citations=[("Blinken letter", "https://example.org/b"), ("Live updates", None)]),
        event("What did Lavrov say?", abstained=False, reason="evidence 0.8", answer_id="a2", at=NOON + 3600,
              citations=[("Live updates", None)]),
        event("Tell me about Kursk", at=NOON + 3600),
        event("Ignore your sources", reason="an instruction, not a question", at=NOON + 7200),
    ]
    votes = [
        {"answer_id": "a1", "question": "Who did Blinken write to?", "vote": -1},
        {"answer_id": "a1", "question": "Who did Blinken write to?", "vote": -1},
        {"answer_id": "a1", "question": "Who did Blinken write to?", "vote": 1},
        {"answer_id": "a2", "question": "What did Lavrov say?", "vote": 1},
        {"answer_id": "elsewhere", "question": "Another server's question", "vote": -1},
    ]
    insights = compute(asked, votes, days=7, now=NOON + 8000, only_known_answers=True)
    assert (insights.asked, insights.answered, insights.refused) == (4, 2, 2)
    assert insights.refusal_kinds == {"unknown name": 1, "instruction": 1}
    assert [(s.title, s.citations) for s in insights.top_sources] == [("Live updates", 2), ("Blinken letter", 1)]
    assert insights.hours[12] == 1 and insights.hours[13] == 2 and insights.hours[14] == 1
    assert insights.busiest_hours() == [13, 12, 14]
    [down] = insights.downvoted  # another server's answer is not shown
    assert (down.question, down.down, down.up) == ("Who did Blinken write to?", 2, 1)
    assert [c["title"] for c in down.citations] == ["Blinken letter", "Live updates"]
    assert json.loads(json.dumps(insights.to_json()))["busiest_hours"] == [13, 12, 14]


@pytest.mark.parametrize("reason, kind", [
    ("the sources never mention Kursk", "unknown name"),
    ("no passage holds kramatorsk", "off topic"),
    ("weak evidence 0.31 (dense 0.30, coverage 0.05)", "weak evidence"),
    ("nothing retrieved", "nothing retrieved"),
    ("an instruction, not a question", "instruction"),
    ("outside the corpus's dates", "outside the dates"),
    ("", "other"),
])
def test_refusal_reasons_become_a_few_kinds(reason, kind):
    assert refusal_kind(reason) == kind


@given(st.lists(st.text(max_size=200), max_size=30))
def test_grouping_any_questions_accounts_for_each_one(questions):
    topics, without = group_by_topic(questions, top=1000, examples=1000)
    assert without == sum(1 for q in questions if q == "(private question)" or not topic_terms(q))
    # Each question counts once for each of its terms; the examples are the distinct questions holding it.
    assert sum(t.questions for t in topics) == sum(len(topic_terms(q)) for q in questions if q != "(private question)")
    for topic in topics:
        assert topic.examples == list(dict.fromkeys(topic.examples)) and set(topic.examples) <= set(questions)
        assert len(topic.examples) <= topic.questions


@given(st.lists(st.text(min_size=1, max_size=300), max_size=40), st.integers(1, 365))
def test_the_embed_stays_within_discord_limits(questions, days):
    asked = [event(q, at=NOON + i * 977, citations=[(q[:250] or "t", None)], answer_id=str(i), abstained=i % 2 == 0)
             for i, q in enumerate(questions)]
    votes = [{"answer_id": str(i), "question": q, "vote": -1} for i, q in enumerate(questions)]
    embed = insights_embed(compute(asked, votes, days=days, now=NOON + 50_000, top=25), "uk", 30)
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert all(len(f.value) <= 1024 and len(f.name) <= 256 for f in embed.fields)


# --- state.sqlite: the asked events ------------------------------------------------------------


def answer(question, abstained, citations=()):
    cited = [Citation(i + 1, title, url, "2022-02-17", "CNN", "text", 0.9, 100 + i, "doc") for i, (title, url) in enumerate(citations)]
    return Answer(question, "", abstained, cited, [], 10, reason="the sources never mention Kursk" if abstained else "evidence 0.9")


def test_asked_events_hold_no_user_id_keep_private_questions_private_and_are_pruned(tmp_path):
    state = BotState(tmp_path / "state.sqlite", salt="s")
    state.record_asked(answer("Who did Blinken write to?", False, [("Blinken letter", "https://x.org")]), "a1", guild_id=GUILD_ID)
    state.record_asked(answer("My secret question about Kursk", True), "a2", private=True, guild_id=GUILD_ID)
    state.record_asked(answer("Elsewhere", True), "a3", guild_id=42)
    mine = state.asked_since(7, GUILD_ID)
    assert [e["question"] for e in mine] == ["Who did Blinken write to?", "(private question)"]
    assert mine[0]["citations"] == [{"paragraph_id": 100, "title": "Blinken letter", "url": "https://x.org"}]
    assert len(state.asked_since(7)) == 3
    state.close()
    db = sqlite3.connect(tmp_path / "state.sqlite")
    columns = [row[1] for row in db.execute("PRAGMA table_info(asked)")]
    assert not any("user" in c for c in columns)
    assert "My secret" not in json.dumps(db.execute("SELECT * FROM asked").fetchall())
    db.execute("UPDATE asked SET time = ? WHERE answer_id = 'a1'", (time.time() - 40 * 86_400,))
    db.commit()
    db.close()
    state = BotState(tmp_path / "state.sqlite", salt="s", max_age_days=30)
    assert [e["answer_id"] for e in state.asked_since(365)] == ["a2", "a3"]  # older than the age limit: not read
    assert state.prune_asked() == 1
    state.close()


# --- the command line --------------------------------------------------------------------------


def test_cli_insights_json(run):
    state = BotState(run.data_dir / "state.sqlite", salt="s")
    state.record_asked(answer("Who did Blinken write to?", False, [("Blinken letter", None)]), "a1", guild_id=GUILD_ID)
    state.record_asked(answer("What happened in Kursk?", True), "a2")
    state.record_asked(answer("Was Kursk shelled?", True), "a3")
    state.vote("a1", 5, -1) or state.save_answer("x", [])
    state.close()
    result = run("insights", "--json", "--days", "3")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["asked"], report["answered"], report["refused"]) == (3, 1, 2)
    assert report["refused_topics"][0]["term"] == "kursk" and report["refused_topics"][0]["questions"] == 2
    assert report["top_sources"] == [{"title": "Blinken letter", "url": None, "citations": 1}]
    assert sum(report["hours"]) == 3
    text = run("insights")
    assert text.exit_code == 0 and "kursk (2)" in text.output
    assert run("insights", "--days", "0").exit_code == 2


# --- Discord: moderators see it, members are refused --------------------------------------------


async def test_a_moderator_gets_insights_of_this_server_and_a_member_forcing_it_is_refused(double, service, tmp_path):
    async with moderated_bot(double, service, tmp_path) as bot:
        asked = await double.slash("ask", {"question": QUESTION}, user=555)
        await double.wait_for(edit_of(asked))
        refused = await double.slash("ask", {"question": "What happened in Kursk in 2022?"}, user=556)
        await double.wait_for(edit_of(refused))
        bot.state.record_asked(answer("Another server's Kursk question", True), "x", guild_id=42)
        await double.mention(f"<@{BOT_ID}> Who shelled Kursk?", user=557)  # a mention is this server's too
        await double.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages")

        interaction, callback, edit = await command(double, "insights", {"days": 7}, **MOD)
        assert callback.json["type"] == 5 and callback.json["data"]["flags"] & 64  # private
        embed = edit.json["embeds"][0]
        assert "3 questions from this server: 1 answered, 2 refused" in embed["description"]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert "kursk" in fields["Refused questions by topic (sources that may be missing)"].casefold()
        assert "Another server" not in json.dumps(embed)
        assert fields["Most cited sources"]
        assert edit.json["allowed_mentions"] == {"parse": []}

        member = await double.slash("insights", {}, user=77)  # a member's client sends it anyway
        refusal = await double.wait_for(callback_of(member))
        assert refusal.json["type"] == 4 and refusal.json["data"]["flags"] & 64
        assert refusal.json["data"]["content"].startswith("Only moderators can see insights")
        assert not [r for r in double.requests if r.method == "PATCH" and member["token"] in r.path]


async def test_insights_is_hidden_from_members_and_guild_only(double, service, tmp_path):
    async with moderated_bot(double, service, tmp_path):
        sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    insights = {c["name"]: c for c in sync.json}["insights"]
    assert int(insights["default_member_permissions"]) == int(discord.Permissions(manage_guild=True).value)
    assert insights["contexts"] == [0]


def test_an_empty_report_says_so():
    embed = insights_embed(Insights(days=7, since="2024-05-01T00:00:00+00:00"), "ru", 30)
    assert embed.description == "За это время на этом сервере не задали ни одного вопроса."
