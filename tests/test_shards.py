"""Several bot processes: Discord shards split between them, one leader for the background jobs
(bot/leader.py), one database between them (README "Operations: several processes").

Fast parts here run in this process: the shard settings, an AutoShardedBot with both shards of the
sharded double, the leadership's election and takeover, and two services on one database.  The
end-to-end run of two ``python -m bot`` processes is in tests/test_shards_processes.py.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.app import CrisisBot, ShardedCrisisBot, create_bot
from bot.cogs.feeds import Feeds
from bot.cogs.moderation import Moderation
from bot.config import BotSettings
from bot.health import gateway_status
from bot.leader import DatabaseLeadership, Leadership, leadership_for
from index.polls import PollReport
from index.refresh import RefreshReport
from index.service import CrisisService
from tests.discord_double import serving
from tests.discord_double.server import GUILD_ID
from tests.discord_double.shards import SECOND_GUILD_ID, ShardedDiscordDouble, shard_of
from tests.helpers import QUESTION, callback_of, edit_of, make_settings, running_bot

# --- (a) the settings ------------------------------------------------------------------------------


def settings(**env) -> BotSettings:
    return BotSettings(_env_file=None, **env)


@given(st.integers(1, 64).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(0, n - 1), min_size=1, unique=True))),
       st.sampled_from([",", ", ", " ,"]))
def test_shard_ids_in_range_are_read_from_the_comma_separated_form(count_and_ids, separator):
    count, ids = count_and_ids
    parsed = settings(shard_count=count, shard_ids=separator.join(map(str, ids)))
    assert parsed.shard_ids == ids and parsed.sharded
    assert parsed.syncs_commands == (0 in ids)


@given(st.integers(1, 64), st.integers(-5, 200))
def test_a_shard_id_out_of_range_is_refused_in_one_line(count, shard):
    if 0 <= shard < count:
        assert settings(shard_count=count, shard_ids=str(shard)).shard_ids == [shard]
        return
    with pytest.raises(ValidationError) as caught:
        settings(shard_count=count, shard_ids=str(shard))
    message = caught.value.errors()[0]["msg"]
    assert f"from 0 to {count - 1}" in message and str(shard) in message and "\n" not in message


@pytest.mark.parametrize("ids, needs", [("0,x", "whole numbers"), ("1,1", "twice"), ("0;1", "whole numbers")])
def test_bad_shard_ids_say_what_is_wrong(ids, needs):
    with pytest.raises(ValidationError, match=needs):
        settings(shard_count=2, shard_ids=ids)


def test_shard_ids_need_a_shard_count_and_blank_means_unset(monkeypatch):
    with pytest.raises(ValidationError, match="needs CRISISBOT_SHARD_COUNT"):
        settings(shard_ids="0")
    monkeypatch.setenv("CRISISBOT_SHARD_COUNT", "2")
    monkeypatch.setenv("CRISISBOT_SHARD_IDS", " ")
    unset = settings()
    assert unset.shard_ids is None and unset.shard_count == 2 and unset.syncs_commands


def test_the_bot_is_sharded_only_when_asked(shared_service, tmp_path):
    plain = create_bot(settings(data_dir=tmp_path / "a"), shared_service)
    sharded = create_bot(settings(data_dir=tmp_path / "b", shard_count=2, shard_ids="1"), shared_service)
    assert type(plain) is CrisisBot and isinstance(sharded, ShardedCrisisBot) and isinstance(sharded, CrisisBot)
    assert (sharded.shard_count, sharded.shard_ids) == (2, [1])
    assert plain.leader.is_leader and type(plain.leader) is Leadership  # no database: one process, the leader
    for bot in (plain, sharded):
        bot.state.close()


# --- (b) one process, both shards -------------------------------------------------------------------


@pytest.fixture
async def sharded_double(monkeypatch):
    async with serving(ShardedDiscordDouble(shard_count=2), monkeypatch) as server:
        yield server


@pytest.mark.timeout(60)
async def test_one_process_with_both_shards_answers_both_guilds(sharded_double, shared_service, tmp_path, monkeypatch):
    assert {shard_of(GUILD_ID, 2), shard_of(SECOND_GUILD_ID, 2)} == {0, 1}
    monkeypatch.setattr(ShardedCrisisBot, "before_identify_hook", _no_wait)  # Discord's 5 s between IDENTIFYs
    async with running_bot(sharded_double, shared_service, tmp_path / "bot", ask_cooldown_seconds=0, shard_count=2) as bot:
        await sharded_double.wait_shards({0, 1})
        assert sorted(sharded_double.identified) == [0, 1]
        assert {g.id for g in bot.guilds} == {GUILD_ID, SECOND_GUILD_ID}
        assert gateway_status(bot) == "ok"  # /healthz sees every shard's connection
        asked = [await sharded_double.slash("ask", {"question": QUESTION}, guild_id=g, user=n)
                 for n, g in enumerate((GUILD_ID, SECOND_GUILD_ID), 1)]
        for interaction in asked:
            assert (await sharded_double.wait_for(callback_of(interaction))).json["type"] == 5
            edit = await sharded_double.wait_for(edit_of(interaction))
            assert "[1]" in edit.json["embeds"][0]["description"]
    puts = [r for r in sharded_double.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(puts) == 1, "the process with shard 0 syncs the commands, once"


async def _no_wait(self, shard_id, *, initial=False) -> None:
    return None


# --- leadership: one leader per database, takeover when it goes -------------------------------------


def database_url(service: CrisisService) -> str:
    return service.settings.database_url.get_secret_value()


@pytest.mark.timeout(60)
async def test_one_leader_per_database_and_the_other_takes_over(postgres_database):
    first, second = DatabaseLeadership(postgres_database, 0.2), DatabaseLeadership(postgres_database, 0.2)
    await first.start()
    await second.start()
    try:
        for _ in range(5):  # checks do not change who leads
            await asyncio.gather(first.check(), second.check())
            assert (first.is_leader, second.is_leader) == (True, False)
        await first.stop()  # as when its process ends: the session closes, the lock is free
        assert not first.is_leader
        await asyncio.sleep(0.6)
        assert second.is_leader
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.timeout(60)
async def test_a_leader_whose_session_is_killed_steps_down_and_the_other_leads(postgres_database):
    import psycopg

    first, second = DatabaseLeadership(postgres_database, 0.2), DatabaseLeadership(postgres_database, 0.2)
    await first.start()
    await second.start()
    try:
        assert first.is_leader and not second.is_leader
        with psycopg.connect(postgres_database, autocommit=True) as admin:  # what a dead host's session comes to
            killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                   "AND classid = %s AND objid = %s", (first.key >> 32, first.key & 0xFFFFFFFF)).fetchall()
        assert killed == [(True,)]
        await asyncio.sleep(1.0)
        assert second.is_leader and not first.is_leader
    finally:
        await first.stop()
        await second.stop()


def test_leadership_follows_the_index_database(tmp_path):
    assert type(leadership_for(None)) is Leadership
    elected = leadership_for("postgresql://db.invalid/crisisbot", 2.0)
    assert isinstance(elected, DatabaseLeadership) and not elected.is_leader and elected.check_seconds == 2.0


@pytest.mark.timeout(60)
async def test_an_unreachable_database_means_not_the_leader():
    unreachable = DatabaseLeadership("postgresql://127.0.0.1:9/crisisbot?connect_timeout=1", 0.2)
    assert await unreachable.check() is False
    await unreachable.stop()


# --- a source added by one process is cited by another ------------------------------------------------

WHEAT = ("grain-talks.txt", "Grain corridor talks\n20220714\nhttps://news.example/grain-corridor\n"
         "Delegations met in Istanbul on Wednesday to agree a corridor for grain ships leaving Odesa.\n"
         "The negotiators said the Black Sea grain corridor would be watched from a joint centre in Istanbul.\n")
WHEAT_QUESTION = "Where did delegations meet to agree a grain corridor from Odesa?"


@pytest.mark.timeout(120)
def test_a_source_added_through_one_service_is_cited_by_another_at_once(postgres_service, embedder, tmp_path):
    other = CrisisService(make_settings(tmp_path / "other", database_url=database_url(postgres_service)), embedder=embedder)
    before = other.ask(WHEAT_QUESTION)
    assert not any("Grain corridor" in c.title for c in before.citations)
    source = tmp_path / WHEAT[0]
    source.write_text(WHEAT[1], encoding="utf-8")
    postgres_service.add_paths([source])
    after = other.ask(WHEAT_QUESTION)  # the same object, no restart: the next read sees the new generation
    assert after.citations and after.citations[0].title == "Grain corridor talks", after
    other.store.close()


def test_a_second_write_from_another_process_is_refused_with_a_clear_message(postgres_service, embedder, tmp_path):
    from index.errors import WriteInProgress

    other = CrisisService(make_settings(tmp_path / "other", database_url=database_url(postgres_service)), embedder=embedder)
    source = tmp_path / WHEAT[0]
    source.write_text(WHEAT[1], encoding="utf-8")
    with postgres_service.store.write():  # a write in progress elsewhere (the store's writer lock)
        with pytest.raises(WriteInProgress, match="another index write .* is running; try again"):
            other.add_paths([source])
    assert other.add_paths([source]).change.documents_added == 1  # free again once it ended
    other.store.close()


async def test_the_background_jobs_run_only_in_the_leader(shared_service, tmp_path, monkeypatch):
    bot = create_bot(settings(data_dir=tmp_path / "bot", refresh_minutes=60), shared_service)
    calls = []

    async def counted(name):
        calls.append(name)
        return PollReport() if name == "poll" else RefreshReport(checked=0)

    monkeypatch.setattr(shared_service, "poll_feeds", lambda **kwargs: counted("poll"))
    monkeypatch.setattr(shared_service, "refresh_urls", lambda: counted("refresh"))
    feeds, moderation = Feeds(bot), Moderation(bot)
    bot.leader.is_leader = False  # another process leads
    await feeds.poll_loop.coro(feeds)
    await moderation.refresh_loop.coro(moderation)
    assert calls == []
    bot.leader.is_leader = True
    await feeds.poll_loop.coro(feeds)
    await moderation.refresh_loop.coro(moderation)
    assert calls == ["poll", "refresh"]
    bot.state.close()
