"""The bot's state and the feed subscriptions on both backends: a SQLite file, and tables in a real PostgreSQL
shared by every process (issue 17, item 2)."""

from __future__ import annotations

import hashlib
import time
from types import SimpleNamespace

import psycopg
import pytest
from pydantic import SecretStr

from bot.state import PRIVATE_QUESTION, BotState, SaltMismatch, StoredCitation
from index.conversation import Turn
from index.subscriptions import Item, Subscription, SubscriptionStore
from tests.helpers import QUESTION, callback_of, edit_of, running_bot

pytestmark = pytest.mark.timeout(120)

CITATION = StoredCitation(1, "A title", "https://example.org/a", "2022-02-17", "example.org", "Some text.", 7)
OTHER = StoredCitation(2, "Another", None, None, "upload", "More text.", 9)
SALT = "0123456789abcdef0123456789abcdef"
DAY = 86_400


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    """(folder, database URL or None): where a state of each backend lives."""
    url = request.getfixturevalue("postgres_database") if request.param == "postgres" else None
    return tmp_path / "data", url


def open_state(database, salt: str | None = SALT, **options) -> BotState:
    folder, url = database
    return BotState(folder / "state.sqlite", salt=salt, database_url=url, **options)


def age(database, table: str, column: str, seconds: float) -> None:
    """Make every row of ``table`` ``seconds`` older, with the backend's own client."""
    folder, url = database
    sql = f"UPDATE {table} SET {column} = {column} - {float(seconds)}"
    if url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)
    else:
        import sqlite3

        with sqlite3.connect(folder / "state.sqlite") as db:
            db.execute(sql)


def test_answers_searches_and_votes_round_trip(database):
    state = open_state(database)
    answer_id = state.save_answer("Who wrote?", [CITATION, OTHER])
    private_id = state.save_answer("a secret", [CITATION], private=True)
    stored = state.answer(answer_id)
    assert (stored.question, stored.citations) == ("Who wrote?", [CITATION, OTHER])
    assert state.answer(private_id).question == PRIVATE_QUESTION
    assert state.answer("no-such-answer") is None
    state.remember_last(5, private_id)
    state.remember_last(5, answer_id)  # replaces the pointer
    assert state.last_answer(5).answer_id == answer_id and state.last_answer(6) is None
    search_id = state.save_search("sanctions", 5, since="2022-01-01", exclude=[7, 9])
    search = state.search(search_id)
    assert (search.query, search.since, search.until, search.exclude) == ("sanctions", "2022-01-01", None, [7, 9])
    assert search.user_hash == hashlib.sha256(f"{SALT}:5".encode()).hexdigest()
    assert state.vote(answer_id, 5, 1) and state.vote(answer_id, 5, -1)  # a changed vote replaces the first
    assert not state.vote("no-such-answer", 5, 1)
    assert [(a, q, ids, v) for a, q, ids, _, v in state.feedback()] == [(answer_id, "Who wrote?", "[7, 9]", -1)]
    assert [v["vote"] for v in state.votes_since(1)] == [-1]
    state.close()


def test_audit_asked_events_and_insights_round_trip(database):
    state = open_state(database)
    for n in range(3):
        state.audit("mod", "sources add", f"https://example.org/{n}", "added", ok=n != 1, actor_id=40 + n)
    entries = state.recent_audit(2)
    assert [(e.target, e.ok, e.actor_id) for e in entries] == [("https://example.org/2", True, "42"),
                                                               ("https://example.org/1", False, "41")]
    answered = SimpleNamespace(question="Who wrote to Lavrov?", citations=[CITATION], abstained=False, language="en", reason=None)
    refused = SimpleNamespace(question="What about Atlantis?", citations=[], abstained=True, language="uk", reason="no-evidence")
    state.record_asked(answered, "a1", guild_id=100)
    state.record_asked(refused, guild_id=100)
    state.record_asked(answered, "a2", private=True, guild_id=None)
    events = state.asked_since(1)
    assert [(e["guild_id"], e["question"], e["abstained"], e["language"]) for e in events] == [
        ("100", "Who wrote to Lavrov?", False, "en"), ("100", "What about Atlantis?", True, "uk"),
        (None, PRIVATE_QUESTION, False, "en")]
    assert events[0]["citations"] == [{"paragraph_id": 7, "title": "A title", "url": "https://example.org/a"}]
    assert len(state.asked_since(1, guild_id=100)) == 2
    insights = state.insights(1, guild_id=100)
    assert (insights.asked, insights.answered, insights.refused, insights.languages) == (2, 1, 1, {"en": 1, "uk": 1})
    age(database, "asked", "time", 2 * DAY)
    assert state.prune_asked(1) == 3 and state.asked_since(30) == []
    state.close()


def test_autoanswer_language_settings_and_conversations_round_trip(database):
    state = open_state(database)
    big = 1_234_567_890_123_456_789  # Discord ids need 64 bits
    state.set_autoanswer(big, big + 1, tag_id=None, say_nothing_found=False, added_by=5)
    state.set_autoanswer(big, big + 1, tag_id=big + 2, say_nothing_found=True, added_by=6)  # replaces
    state.set_autoanswer(7, 8, tag_id=None, say_nothing_found=False, added_by=5)
    channels = state.autoanswer_channels(big)
    assert [(c.channel_id, c.tag_id, c.say_nothing_found, c.added_by) for c in channels] == [
        (big + 1, big + 2, True, state.user_hash(6))]
    assert len(state.autoanswer_channels()) == 2
    assert state.remove_autoanswer(big, big + 1) and not state.remove_autoanswer(big, big + 1)
    state.set_guild_language(big, "uk")
    state.set_guild_language(big, "ru")
    assert state.guild_language(big) == "ru"
    state.set_guild_language(big, None)
    assert state.guild_language(big) is None
    state.set_guild_setting(big, "ask_opens_thread", "1")
    state.set_guild_setting(big, "ask_opens_thread", "0")
    assert state.guild_setting(big, "ask_opens_thread") == "0" and state.guild_setting(1, "ask_opens_thread") is None
    first = state.add_turn(big, Turn("Who is Blinken?", "Who is Blinken?", (7,)), keep=2, opened=True)
    state.add_turn(big, Turn("And Lavrov?", "And Lavrov Blinken", (9,)), keep=2)
    last = state.add_turn(big, Turn("When?", "When Lavrov", ()), keep=2)
    assert first.opened and last.opened  # once set it stays set
    assert [t.question for t in state.conversation(big).turns] == ["And Lavrov?", "When?"]
    assert state.conversation(big).turns[0].cited == (9,)
    age(database, "conversations", "updated", 31 * DAY)
    assert state.conversation(big) is None
    state.close()


def test_cooldowns_let_one_request_through_per_period(database):
    state = open_state(database)
    assert state.cooldown(5, "ask", 30) == 0
    wait = state.cooldown(5, "ask", 30)
    assert 29 < wait <= 30
    assert state.cooldown(5, "search", 30) == 0 and state.cooldown(6, "ask", 30) == 0  # per member and kind
    age(database, "cooldowns", "last", 31)
    assert state.cooldown(5, "ask", 30) == 0  # over: let through, and the period starts again
    assert state.cooldown(5, "ask", 30) > 29
    age(database, "cooldowns", "last", 2 * DAY)
    assert state.prune()["cooldowns"] == 3
    state.close()


def test_prune_deletes_what_is_older_than_the_limit(database):
    state = open_state(database, max_age_days=30)
    old, new = state.save_answer("old", [CITATION]), state.save_answer("new", [CITATION])
    state.remember_last(1, old)
    state.vote(old, 1, 1)
    state.save_search("old query", 1)
    state.add_turn(3, Turn("q", "q"), keep=3)
    age(database, "answers", "created", 31 * DAY)
    for table, column in (("searches", "created"), ("feedback", "time"), ("conversations", "updated")):
        age(database, table, column, 31 * DAY)
    state.save_answer("newer", [CITATION])
    assert state.prune() == {"answers": 2, "searches": 1, "feedback": 1, "last_answer": 1, "conversations": 1, "cooldowns": 0}
    assert state.answer(new) is None and state.answer(old) is None
    state.close()


def test_two_states_on_one_postgres_database_see_each_others_writes(postgres_database, tmp_path):
    """Two processes of the bot: what one saves, the other reads (a button under an answer of the other shard)."""
    a = BotState(tmp_path / "a" / "state.sqlite", salt=SALT, database_url=postgres_database)
    b = BotState(tmp_path / "b" / "state.sqlite", salt=SALT, database_url=postgres_database)
    answer_id = a.save_answer("Who wrote?", [CITATION])
    assert b.answer(answer_id).citations == [CITATION]
    a.remember_last(5, answer_id)
    assert b.last_answer(5).answer_id == answer_id  # the same salt: the same hash of member 5
    assert b.user_hash(5) == a.user_hash(5)
    assert b.vote(answer_id, 5, 1) and [row[4] for row in a.feedback()] == [1]
    assert a.cooldown(5, "ask", 30) == 0 and b.cooldown(5, "ask", 30) > 29  # no way around it on the other shard
    b.add_turn(9, Turn("q", "q"), keep=3)
    a.add_turn(9, Turn("r", "r"), keep=3)
    assert [t.question for t in b.conversation(9).turns] == ["q", "r"]
    a.audit("mod", "reindex", "all", "done")
    assert [e.action for e in b.recent_audit()] == ["reindex"]
    assert not (tmp_path / "a" / "state.sqlite").exists()  # nothing kept locally
    a.close()
    b.close()


def test_the_salt_is_checked_not_stored_in_postgres(postgres_database, tmp_path):
    first = BotState(tmp_path / "a" / "state.sqlite", database_url=postgres_database)  # the salt of a's data dir
    hashed = first.user_hash(5)
    salt = (tmp_path / "a" / "user-salt").read_text().strip()
    same_dir = BotState(tmp_path / "a" / "state.sqlite", database_url=postgres_database)
    assert same_dir.user_hash(5) == hashed
    stranger = BotState(tmp_path / "b" / "state.sqlite", database_url=postgres_database)  # a salt of its own
    with pytest.raises(SaltMismatch, match="CRISISBOT_USER_HASH_SALT"):
        stranger.user_hash(5)
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        rows = conn.execute("SELECT key, value FROM meta").fetchall()
    assert [key for key, _ in rows] == ["salt_check"] and salt not in rows[0][1]
    for state in (first, same_dir, stranger):
        state.close()


def test_the_postgres_tables_are_migrations_applied_once(postgres_database, tmp_path):
    states = [BotState(tmp_path / "state.sqlite", database_url=postgres_database) for _ in range(2)]
    SubscriptionStore(tmp_path / "feeds.sqlite", database_url=postgres_database).close()
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        applied = conn.execute("SELECT series, version FROM state_migrations ORDER BY series, version").fetchall()
        types = dict(conn.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns"
                                  " WHERE table_schema = 'public' AND column_name IN ('created', 'channel_id', 'last', 'id')").fetchall())
    assert applied == [("bot_state", 1), ("feeds", 1), ("feeds", 2)]
    assert types == {"answers.created": "double precision", "searches.created": "double precision",
                     "autoanswer_channels.channel_id": "bigint", "cooldowns.last": "double precision", "audit.id": "bigint"}
    for state in states:
        state.close()


def test_subscriptions_and_their_items_round_trip(database):
    folder, url = database
    store = SubscriptionStore(folder / "feeds.sqlite", database_url=url)
    feed = Subscription("https://example.org/feed.xml", "feed", 30.0, time.time(), "mod", next_poll=0.0)
    sitemap = Subscription("https://example.org/news-sitemap.xml", "sitemap", 60.0, time.time() + 1, "mod", next_poll=1e12)
    assert store.add(feed) and store.add(sitemap) and not store.add(feed)
    assert [s.url for s in store.all()] == [feed.url, sitemap.url]
    assert [s.url for s in store.due(time.time())] == [feed.url]
    feed.etag, feed.seen, feed.next_poll, feed.http_status = '"abc"', 2, time.time() + 1800, 200
    store.save_poll(feed, [Item(feed.url, "a", "https://example.org/a", "f1", "h1", "doc-a"),
                           Item(feed.url, "b", "https://example.org/b", "f2")], [])
    assert store.get(feed.url).etag == '"abc"' and store.get(feed.url).seen == 2
    assert store.due(time.time()) == []
    store.save_poll(feed, [Item(feed.url, "b", "https://example.org/b", "f3", "h3", "doc-b", misses=1)], ["a"])
    items = store.items(feed.url)
    assert list(items) == ["b"] and (items["b"].fingerprint, items["b"].document_id, items["b"].misses) == ("f3", "doc-b", 1)
    removed = store.remove(feed.url)
    assert [i.key for i in removed] == ["b"] and store.get(feed.url) is None
    assert store.items(feed.url) == {}  # its items went with it
    store.close()
    assert (folder / "feeds.sqlite").exists() == (url is None)


async def test_a_bot_with_a_database_url_serves_show_sources_from_postgres(double, postgres_service, tmp_path):
    url = postgres_service.settings.database_url.get_secret_value()
    data_dir = tmp_path / "bot"
    async with running_bot(double, postgres_service, data_dir, database_url=SecretStr(url), ask_cooldown_seconds=0,
                           user_hash_salt=SALT):
        interaction = await double.slash("ask", {"question": QUESTION})
        edit = await double.wait_for(edit_of(interaction))
        ids = [c["custom_id"] for row in edit.json["components"] for c in row["components"]]
        sources = next(i for i in ids if i.startswith("crisisbot:sources:"))
        answer_id = sources.rsplit(":", 1)[1]
        with psycopg.connect(url, autocommit=True) as conn:
            stored = conn.execute("SELECT question FROM answers WHERE answer_id = %s", (answer_id,)).fetchone()
        assert stored == (QUESTION,)
        click = await double.click(sources)
        reply = (await double.wait_for(callback_of(click))).json["data"]
        shown = reply.get("content") or " ".join(e.get("description", "") for e in reply.get("embeds", []))
        assert "Blinken" in shown or "Lavrov" in shown, reply
    assert not (data_dir / "state.sqlite").exists()


def test_many_requests_at_once_on_postgres_let_exactly_one_through_and_lose_no_turn(postgres_database, tmp_path):
    """Each thread has its own connection: these race on the server, as two processes would."""
    from concurrent.futures import ThreadPoolExecutor

    state = BotState(tmp_path / "state.sqlite", salt=SALT, database_url=postgres_database)
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: state.cooldown(5, "ask", 30), range(16)))
        list(pool.map(lambda n: state.add_turn(77, Turn(f"q{n}", f"q{n}"), keep=100), range(16)))
    assert waits.count(0.0) == 1 and all(w > 29 for w in waits if w)
    assert sorted(t.question for t in state.conversation(77).turns) == sorted(f"q{n}" for n in range(16))
    state.close()


def test_an_unreachable_database_is_one_clear_error(tmp_path):
    from index.errors import IndexProblem

    with pytest.raises(IndexProblem, match=r"^cannot reach postgresql://127\.0\.0\.1:9/crisisbot"):
        BotState(tmp_path / "state.sqlite", database_url="postgresql://bot:hunter2@127.0.0.1:9/crisisbot?connect_timeout=2")


def test_a_bot_with_another_salt_refuses_to_start(postgres_database, tmp_path):
    from tests.helpers import bot_settings

    BotState.open(bot_settings(tmp_path / "a", database_url=SecretStr(postgres_database)), check_salt=True).close()
    with pytest.raises(SaltMismatch):
        BotState.open(bot_settings(tmp_path / "b", database_url=SecretStr(postgres_database)), check_salt=True)
    same = BotState.open(bot_settings(tmp_path / "a", database_url=SecretStr(postgres_database)), check_salt=True)
    same.close()


def test_migrate_applies_the_state_and_feeds_tables(run, monkeypatch, postgres_database):
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    first, again = run("migrate"), run("migrate")
    assert first.exit_code == 0, first.output
    for what, version, applied in (("index", 2, "1, 2"), ("bot state", 1, "1"), ("feeds", 2, "1, 2")):
        assert f"{what} schema version {version} (applied {applied})" in first.output
        assert f"{what} schema version {version} (up to date)" in again.output
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM state_migrations").fetchone() == (3,)


def test_the_cli_reads_insights_from_the_postgres_state(run, monkeypatch, postgres_database):
    state = BotState(run.data_dir / "state.sqlite", salt=SALT, database_url=postgres_database)
    state.record_asked(SimpleNamespace(question="Who wrote to Lavrov?", citations=[CITATION], abstained=False,
                                       language="uk", reason=None), "a1", guild_id=1)
    state.close()
    monkeypatch.setenv("CRISISBOT_DATABASE_URL", postgres_database)
    result = run("insights", "--json")
    assert result.exit_code == 0, result.output
    assert '"asked": 1' in result.output and '"uk": 1' in result.output
    assert not (run.data_dir / "state.sqlite").exists()


def test_a_feed_polled_by_a_postgres_service_keeps_its_items_in_postgres(postgres_service, server, embedder, tmp_path):
    import asyncio

    from index.feeds import Poller
    from index.service import CrisisService

    settings = postgres_service.settings.model_copy(update={"allow_private_urls": True, "fetch_timeout_seconds": 5})
    service = CrisisService(settings, embedder=embedder)
    feed = server.url("/feeds/rss2.xml")
    service.feeds_add(feed)
    [result] = asyncio.run(Poller(service, service.subscriptions).poll(force=True)).polls
    assert result.outcome == "updated" and result.seen == 3
    # Another process (its own data dir, the same database) sees the subscription and what its poll learned.
    other = CrisisService(settings.model_copy(update={"data_dir": tmp_path / "other"}), embedder=embedder)
    assert [s.url for s in other.feeds_list()] == [feed] and other.subscriptions.get(feed).added_items == 3
    assert len(other.subscriptions.items(feed)) == 3
    url = settings.database_url.get_secret_value()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM items WHERE feed = %s AND document_id IS NOT NULL", (feed,)).fetchone() == (3,)
    assert not (settings.data_dir / "feeds.sqlite").exists()
    other.feeds_remove(feed)
    assert service.feeds_list() == []
    for svc in (service, other):
        svc.subscriptions.close()
        svc.store.close()
