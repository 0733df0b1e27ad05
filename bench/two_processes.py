"""Two bot processes, one shard each, one database: many /ask at once, spread over both shards.

    .venv/bin/python bench/two_processes.py [--asks 200] [--rounds 3] [--takeovers 3] [--database-url URL]

Two ``python -m bot`` processes (CRISISBOT_SHARD_COUNT=2, CRISISBOT_SHARD_IDS=0 and 1) connect to
the sharded Discord double (tests/discord_double/shards.py), which routes each guild's interactions to
its shard; the index is the bundled corpus built into a PostgreSQL database (a private pgserver in a
temporary folder unless ``--database-url`` names a server).  Each round sends ``--asks`` /ask at once,
alternating between the two guilds, and reports acknowledgement (the deferral Discord needs within
3 s) p50/p95/max, answer p50/p95, how many were answered, and duplicates (an interaction
acknowledged or answered more than once).  Then ``--takeovers`` times: a feed of 6 items with slow
pages (tests/slow_news.py) is subscribed, the leader is SIGKILLed once it fetched 2 pages, and the
seconds until the other process says it leads and until every item is indexed are measured, with the
count of each item's documents (the killed process is started again for the next trial).  Rounds
are summarised as medians with min-max.  Network latency to Discord is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench import pg  # noqa: E402
from index.config import Settings  # noqa: E402
from index.eval import percentile, question_texts  # noqa: E402
from index.service import CrisisService  # noqa: E402
from tests.discord_double.server import GUILD_ID  # noqa: E402
from tests.discord_double.shards import SECOND_GUILD_ID, ShardedDiscordDouble, shard_of  # noqa: E402
from tests.helpers import Worker, clean_env  # noqa: E402
from tests.slow_news import SlowNews  # noqa: E402

GUILDS = {shard_of(g, 2): g for g in (GUILD_ID, SECOND_GUILD_ID)}


async def spawn(port: int, data_dir: Path, url: str, shard: int, cwd: Path) -> Worker:
    env = clean_env(("CRISISBOT_", "DISCORD_"))
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="bench-token", CRISISBOT_DATA_DIR=str(data_dir), CRISISBOT_LOG_LEVEL="WARNING",
               CRISISBOT_DATABASE_URL=url, CRISISBOT_SHARD_COUNT="2", CRISISBOT_SHARD_IDS=str(shard), CRISISBOT_ASK_COOLDOWN_SECONDS="0",
               CRISISBOT_ALLOW_PRIVATE_URLS="true", CRISISBOT_FEEDS_TICK_SECONDS="1")
    env["CRISISBOT_LOG_LEVEL"] = "INFO"  # the leadership lines
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.bot_worker", str(port), cwd=cwd, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    return Worker(process)


def callbacks_of(double, interaction) -> list:
    path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    return [r for r in double.requests if r.method == "POST" and r.path == path]


def edits_of(double, interaction) -> list:
    return [r for r in double.requests if r.method == "PATCH" and r.path.startswith("/webhooks/") and f"/{interaction['token']}/" in r.path]


async def round_of(double, questions: list[str], base_user: int) -> dict:
    interactions = [await double.slash("ask", {"question": q}, guild_id=GUILDS[i % 2], user=base_user + i)
                    for i, q in enumerate(questions)]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not all(edits_of(double, i) for i in interactions):
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # a late duplicate would show here
    ack, answer, duplicates, per_process = [], [], 0, {}
    for interaction in interactions:
        callbacks, edits = callbacks_of(double, interaction), edits_of(double, interaction)
        sent = double.sent_at[interaction["id"]]
        if callbacks:
            ack.append(callbacks[0].at - sent)
        if edits:
            answer.append(edits[0].at - sent)
            per_process[edits[0].pid] = per_process.get(edits[0].pid, 0) + 1
        duplicates += len(callbacks) > 1 or len(edits) > 1
    return {"asks": len(interactions), "acknowledged": len(ack), "answered": len(answer), "duplicates": duplicates,
            "late_acks": sum(a > 3.0 for a in ack), "ack_p50": percentile(ack, 0.5), "ack_p95": percentile(ack, 0.95),
            "ack_max": max(ack), "answer_p50": percentile(answer, 0.5), "answer_p95": percentile(answer, 0.95),
            "per_process": sorted(per_process.values())}


LEADS = "leader: this process runs"


def leader_of(workers: dict[int, Worker]) -> int | None:
    said = [(w.process.returncode is None and any(LEADS in line for line in w.lines), shard) for shard, w in workers.items()]
    return next((shard for leads, shard in said if leads), None)


async def takeover(workers: dict[int, Worker], news: SlowNews, service: CrisisService, trial: int, respawn) -> dict:
    """Kill the leader mid-poll; the seconds until the other leads and until every item is indexed, and duplicates."""
    name = f"trial{trial}"
    leader = leader_of(workers)
    await asyncio.to_thread(service.feeds_add, news.url(f"/feeds/{name}.xml"), interval_minutes=60)
    while news.pages_asked(name) < 2:
        await asyncio.sleep(0.05)
    workers[leader].process.kill()
    killed = time.perf_counter()
    await workers[leader].process.wait()
    other = workers[1 - leader]
    before = len([line for line in other.lines if LEADS in line])
    while len([line for line in other.lines if LEADS in line]) == before:
        await asyncio.sleep(0.05)
    took_over = time.perf_counter() - killed
    wanted = SlowNews.titles(name, news.items)
    while True:
        titles = [d.title for d in await asyncio.to_thread(service.documents) if d.title in wanted]
        if set(titles) == set(wanted) or time.perf_counter() - killed > 120:
            break
        await asyncio.sleep(0.2)
    indexed = time.perf_counter() - killed
    workers[leader] = await respawn(leader)  # back to two processes; it follows now
    return {"took_over": took_over, "indexed": indexed, "items": len(set(titles)), "duplicates": len(titles) - len(set(titles))}


async def run(asks: int, rounds: int, takeovers: int, url: str, work: Path) -> tuple[list[dict], list[dict]]:
    service = CrisisService(Settings(_env_file=None, data_dir=work / "build", database_url=url))
    service.build()
    service.store.close()
    double, news = ShardedDiscordDouble(shard_count=2), await SlowNews(items=6).start()
    await double.start()
    workers = {shard: await spawn(double.port, work / "data", url, shard, work) for shard in (0, 1)}
    double.processes = news.processes = [w.process.pid for w in workers.values()]

    async def respawn(shard: int) -> Worker:
        worker = await spawn(double.port, work / "data", url, shard, work)
        double.processes.append(worker.process.pid)
        await double.wait_shards({0, 1}, timeout=180)
        return worker

    try:
        await double.wait_shards({0, 1}, timeout=180)
        await asyncio.sleep(2.5)
        pool = question_texts(ROOT / "tests" / "eval" / "dev.jsonl")
        await round_of(double, pool[:4], 1_000)  # warm-up: each process loads its model; not counted
        results = []
        for n in range(rounds):
            results.append(await round_of(double, [pool[(n * asks + i) % len(pool)] for i in range(asks)], 100_000 * (n + 1)))
            print(f"round {n + 1}: {results[-1]}", file=sys.stderr, flush=True)
        watcher = CrisisService(Settings(_env_file=None, data_dir=work / "data", database_url=url, allow_private_urls=True))
        trials = []
        for n in range(takeovers):
            trials.append(await takeover(workers, news, watcher, n, respawn))
            print(f"takeover {n + 1}: {trials[-1]}", file=sys.stderr, flush=True)
        watcher.store.close()
        return results, trials
    finally:
        await news.close()
        for worker in workers.values():
            if worker.process.returncode is None:
                worker.process.terminate()
                await worker.process.wait()
        await double.close()


def spread(results: list[dict], key: str, scale: float = 1.0, unit: str = "", digits: int = 0) -> str:
    values = [r[key] * scale for r in results]
    if not values:
        return "-"
    return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=200, help="/ask sent at once per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--takeovers", type=int, default=3, help="leader SIGKILLed mid-poll, this many times (default 3)")
    parser.add_argument("--database-url", help="a server to use (a database crisisbot_two_processes is made on it)")
    args = parser.parse_args()
    with pg.server(args.database_url, "crisisbot-two-") as (admin, work):
        url = pg.fresh_database(admin, "crisisbot_two_processes")
        results, trials = asyncio.run(run(args.asks, args.rounds, args.takeovers, url, work))
    cpu = f"{os.cpu_count()} CPU, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    print(f"two bot processes (shards 0 and 1 of 2), one PostgreSQL index, {args.asks} /ask at once per round, "
          f"{args.rounds} rounds; {cpu}; median (min-max)\n")
    print("| measure | value |\n|---|---|")
    print(f"| acknowledged / answered / sent | {spread(results, 'acknowledged')} / {spread(results, 'answered')} / {args.asks} |")
    print(f"| answered by each process | {', '.join('/'.join(map(str, r['per_process'])) for r in results)} |")
    print(f"| duplicates (acknowledged or answered twice) | {spread(results, 'duplicates')} |")
    print(f"| acks later than 3 s | {spread(results, 'late_acks')} |")
    print(f"| ack p50 / p95 / max | {spread(results, 'ack_p50', 1000, ' ms')} / {spread(results, 'ack_p95', 1000, ' ms')} / "
          f"{spread(results, 'ack_max', 1000, ' ms')} |")
    print(f"| answer p50 / p95 | {spread(results, 'answer_p50', 1000, ' ms')} / {spread(results, 'answer_p95', 1000, ' ms')} |")
    print(f"| leader SIGKILLed mid-poll: the other leads after | {spread(trials, 'took_over', 1, ' s', 1)} |")
    print(f"| ... and every item is indexed after | {spread(trials, 'indexed', 1, ' s', 1)} |")
    print(f"| items indexed of 6 / items indexed twice | {spread(trials, 'items')} / {spread(trials, 'duplicates')} |")


if __name__ == "__main__":
    main()
