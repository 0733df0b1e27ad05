"""Two ``python -m bot`` processes, shards 0 and 1 of 2, against one sharded Discord double, one
PostgreSQL database (the index, and the leader's lock) and one data dir (state.sqlite, feeds.sqlite
and kept sources, on one host): each guild's /ask is answered once, by its shard's process; a button
works in the other process; a source added through one is cited by the other; one process polls
feeds, and when it is killed mid-poll the other takes over and every item ends up indexed once.

Which process made a request is read from the kernel (tests/discord_double/shards.py, ``socket_owner``).
The two processes start once for the module; the leader is killed in the last of their tests.  The last
test, two processes with separate data dirs (two hosts), waits for the bot's state to be in the database.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from index.service import CrisisService
from tests.discord_double.server import GUILD_ID, MANAGE_GUILD, MEMBER_PERMISSIONS
from tests.discord_double.shards import SECOND_GUILD_ID, ShardedDiscordDouble, shard_of
from tests.helpers import QUESTION, ROOT, Worker, callback_of, clean_env, edit_of, make_settings
from tests.postgres import drop_database, postgres_copy
from tests.slow_news import SlowNews

pytestmark = pytest.mark.asyncio(loop_scope="module")

GUILD_OF_SHARD = {shard_of(g, 2): g for g in (GUILD_ID, SECOND_GUILD_ID)}
MOD = {"permissions": MEMBER_PERMISSIONS | MANAGE_GUILD}
ITEMS = 6


# --- the two processes ---------------------------------------------------------------------------------


@dataclass
class Pair:
    double: ShardedDiscordDouble
    workers: dict[int, Worker]  # shard -> its process
    url: str
    data_dir: Path
    news: SlowNews

    def leader(self) -> int | None:
        """The shard whose process says it leads (the latest such line wins)."""
        said = [(line_number, shard) for shard, w in self.workers.items() if w.process.returncode is None
                for line_number, line in enumerate(w.lines) if "leader: this process runs" in line]
        return said[-1][1] if said else None

    def service(self) -> CrisisService:
        return CrisisService(make_settings(self.data_dir, database_url=self.url, allow_private_urls=True))


async def spawn(port: int, data_dir: Path, url: str, shard: int, cwd: Path) -> Worker:
    env = clean_env(("CRISISBOT_", "DISCORD_"))
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="test-token", CRISISBOT_DATA_DIR=str(data_dir), CRISISBOT_LOG_LEVEL="INFO",
               CRISISBOT_DATABASE_URL=url, CRISISBOT_SHARD_COUNT="2", CRISISBOT_SHARD_IDS=str(shard),
               CRISISBOT_LEADER_CHECK_SECONDS="1", CRISISBOT_FEEDS_TICK_SECONDS="1", CRISISBOT_ALLOW_PRIVATE_URLS="true",
               CRISISBOT_ASK_COOLDOWN_SECONDS="0", CRISISBOT_FETCH_TIMEOUT_SECONDS="5",
               # Every process behind one database hashes members with one salt (README "Several processes").
               CRISISBOT_USER_HASH_SALT="one-salt-for-every-process")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.bot_worker", str(port), cwd=cwd, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    return Worker(process)


async def kill_all(workers: dict[int, Worker]) -> None:
    """SIGKILL every bot process still running and reap it."""
    for worker in workers.values():
        if worker.process.returncode is None:
            worker.process.kill()
            await worker.process.wait()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(postgres_url, built_postgres, tmp_path_factory):
    name, url = postgres_copy(postgres_url, built_postgres)
    folder = tmp_path_factory.mktemp("two-processes")
    news, double = await SlowNews(items=ITEMS).start(), ShardedDiscordDouble(shard_count=2)
    await double.start()
    workers = {shard: await spawn(double.port, folder / "data", url, shard, folder) for shard in (0, 1)}
    double.processes = news.processes = [w.process.pid for w in workers.values()]
    try:
        await double.wait_shards({0, 1}, timeout=120)
        await asyncio.sleep(2.5)  # discord.py waits 2 s for more guilds before it is ready
        yield Pair(double, workers, url, folder / "data", news)
    finally:
        await kill_all(workers)
        await double.close()
        await news.close()
        drop_database(postgres_url, name)


async def ask(double, guild: int, question: str = QUESTION, user: int = 1):
    interaction = await double.slash("ask", {"question": question}, guild_id=guild, user=user)
    callback = await double.wait_for(callback_of(interaction), timeout=60)
    edit = await double.wait_for(edit_of(interaction), timeout=90)
    return interaction, callback, edit


# --- the tests -----------------------------------------------------------------------------------------


@pytest.mark.timeout(240)
async def test_each_guild_is_answered_once_by_the_process_of_its_shard(pair):
    double = pair.double
    for shard, guild in sorted(GUILD_OF_SHARD.items()):
        interaction, callback, edit = await ask(double, guild, user=10 + shard)
        assert double.delivered[interaction["id"]] == [shard], "Discord sent it to its guild's shard only"
        assert callback.json["type"] == 5 and "[1]" in edit.json["embeds"][0]["description"]
        assert callback.pid == edit.pid == pair.workers[shard].process.pid, f"shard {shard}'s process answered"
        assert [r for r in double.requests if callback_of(interaction)(r)] == [callback], "acknowledged once"
        assert [r for r in double.requests if edit_of(interaction)(r)] == [edit], "answered once"
    puts = [r for r in double.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert [r.pid for r in puts] == [pair.workers[0].process.pid], "the process with shard 0 synced the commands, once"


@pytest.mark.timeout(180)
async def test_a_button_under_one_processs_answer_works_in_the_other(pair):
    double = pair.double
    interaction, _, edit = await ask(double, GUILD_OF_SHARD[0], user=20)
    sources = next(c["custom_id"] for row in edit.json["components"] for c in row["components"]
                   if c["custom_id"].startswith("crisisbot:sources:"))
    click = await double.click(sources, guild_id=GUILD_OF_SHARD[1], user=20)  # reaches the other shard's process
    response = await double.wait_for(callback_of(click), timeout=30)
    assert double.delivered[click["id"]] == [1] and response.pid == pair.workers[1].process.pid
    assert response.json["type"] == 4 and "**[1]**" in response.json["data"]["embeds"][0]["description"]


GRAIN = ("grain-corridor.txt", "Grain corridor talks\n20220714\nhttps://news.example/grain-corridor\n"
         "Delegations met in Istanbul on Wednesday to agree a corridor for grain ships leaving Odesa.\n"
         "The negotiators said the Black Sea grain corridor would be watched from a joint centre in Istanbul.\n")
GRAIN_QUESTION = "Where did delegations meet to agree a grain corridor from Odesa?"


@pytest.mark.timeout(180)
async def test_a_source_added_through_one_process_is_cited_by_the_other(pair):
    double = pair.double
    added = await double.slash("sources add", files={"file": (GRAIN[0], GRAIN[1].encode())}, guild_id=GUILD_OF_SHARD[0], **MOD)
    edit = await double.wait_for(edit_of(added), timeout=90)
    assert edit.pid == pair.workers[0].process.pid and "Grain corridor talks" in edit.json["content"], edit.json
    published = time.perf_counter()
    _, _, answer = await ask(double, GUILD_OF_SHARD[1], GRAIN_QUESTION, user=30)
    cited_after = time.perf_counter() - published
    assert answer.pid == pair.workers[1].process.pid
    assert "Grain corridor talks" in str(answer.json["embeds"]), answer.json
    assert cited_after < 30, f"cited {cited_after:.1f} s after it was added (the answer's own time included)"


@pytest.mark.timeout(240)
async def test_one_process_polls_and_when_it_is_killed_mid_poll_the_other_indexes_every_item_once(pair):
    leader = pair.leader()
    assert leader is not None, "one process leads"
    follower = 1 - leader
    leader_pid, follower_pid = pair.workers[leader].process.pid, pair.workers[follower].process.pid
    service = pair.service()
    await asyncio.to_thread(service.feeds_add, pair.news.url("/feeds/frontline.xml"), interval_minutes=60)  # due at once

    async def pages_fetched(at_least: int) -> None:
        while pair.news.pages_asked("frontline") < at_least:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(pages_fetched(2), 60)  # the leader is in the middle of its poll
    pair.workers[leader].process.send_signal(signal.SIGKILL)
    killed = time.perf_counter()
    await pair.workers[leader].process.wait()
    assert {pid for _, pid in pair.news.requests} == {leader_pid}, "only the leader polled"
    at_kill = len(pair.news.requests)

    await pair.workers[follower].wait_line("leader: this process runs", timeout=30)
    took_over = time.perf_counter() - killed

    def indexed() -> list[str]:
        return [d.title for d in service.documents() if d.title.startswith("Frontline bulletin")]  # SlowNews.titles

    deadline = time.perf_counter() + 90
    while len(indexed()) < ITEMS and time.perf_counter() < deadline:
        await asyncio.sleep(0.5)
    titles = indexed()
    assert sorted(titles) == sorted(SlowNews.titles("frontline", ITEMS)), "every item indexed, none twice"
    assert took_over < 30, f"the other process took over {took_over:.1f} s after the kill"
    assert {pid for _, pid in pair.news.requests[at_kill:]} == {follower_pid}, "the new leader polled, alone"
    subscription = service.feeds_list()[0]
    assert subscription.added_items == ITEMS and subscription.failures == 0
    service.store.close()


# --- two hosts: no data dir in common, only the database ----------------------------------------------

@pytest.mark.timeout(240)
async def test_a_button_works_across_processes_that_share_only_the_database(postgres_url, built_postgres, tmp_path):
    name, url = postgres_copy(postgres_url, built_postgres)
    double = ShardedDiscordDouble(shard_count=2)
    await double.start()
    workers = {shard: await spawn(double.port, tmp_path / f"host-{shard}", url, shard, tmp_path) for shard in (0, 1)}
    double.processes = [w.process.pid for w in workers.values()]
    try:
        await double.wait_shards({0, 1}, timeout=120)
        await asyncio.sleep(2.5)
        _, _, edit = await ask(double, GUILD_OF_SHARD[0], user=40)
        sources = next(c["custom_id"] for row in edit.json["components"] for c in row["components"]
                       if c["custom_id"].startswith("crisisbot:sources:"))
        click = await double.click(sources, guild_id=GUILD_OF_SHARD[1], user=40)
        response = await double.wait_for(callback_of(click), timeout=30)
        assert response.pid == workers[1].process.pid
        assert response.json["type"] == 4 and "**[1]**" in response.json["data"]["embeds"][0]["description"], response.json
    finally:
        await kill_all(workers)
        await double.close()
        drop_database(postgres_url, name)
