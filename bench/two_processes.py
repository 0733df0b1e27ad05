"""Two bot processes, one shard each, one database: many /ask at once, spread over both shards.

    .venv/bin/python bench/two_processes.py [--asks 200] [--rounds 3] [--database-url URL]

Two ``python -m bot`` processes (CRISISBOT_SHARD_COUNT=2, CRISISBOT_SHARD_IDS=0 and 1) connect to
the sharded Discord double (tests/discord_double/shards.py), which routes each guild's interactions to
its shard; the index is the bundled corpus built into a PostgreSQL database (a private pgserver in a
temporary folder unless ``--database-url`` names a server).  Each round sends ``--asks`` /ask at once,
alternating between the two guilds, and reports acknowledgement (the deferral Discord needs within
3 s) p50/p95/max, answer p50/p95, how many were answered, and duplicates (an interaction
acknowledged or answered more than once).  Rounds are summarised as medians with min-max.
Network latency to Discord is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from index.config import Settings  # noqa: E402
from index.eval import percentile, question_texts  # noqa: E402
from index.service import CrisisService  # noqa: E402
from tests.discord_double.server import GUILD_ID  # noqa: E402
from tests.discord_double.shards import SECOND_GUILD_ID, ShardedDiscordDouble, shard_of  # noqa: E402
from tests.helpers import Worker, clean_env  # noqa: E402

GUILDS = {shard_of(g, 2): g for g in (GUILD_ID, SECOND_GUILD_ID)}


async def spawn(port: int, data_dir: Path, url: str, shard: int, cwd: Path) -> Worker:
    env = clean_env(("CRISISBOT_", "DISCORD_"))
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="bench-token", CRISISBOT_DATA_DIR=str(data_dir), CRISISBOT_LOG_LEVEL="WARNING",
               CRISISBOT_DATABASE_URL=url, CRISISBOT_SHARD_COUNT="2", CRISISBOT_SHARD_IDS=str(shard), CRISISBOT_ASK_COOLDOWN_SECONDS="0")
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


async def run(asks: int, rounds: int, url: str, work: Path) -> list[dict]:
    service = CrisisService(Settings(_env_file=None, data_dir=work / "build", database_url=url))
    service.build()
    service.store.close()
    double = ShardedDiscordDouble(shard_count=2)
    await double.start()
    workers = [await spawn(double.port, work / "data", url, shard, work) for shard in (0, 1)]
    double.processes = [w.process.pid for w in workers]
    try:
        await double.wait_shards({0, 1}, timeout=180)
        await asyncio.sleep(2.5)
        pool = question_texts(ROOT / "tests" / "eval" / "dev.jsonl")
        await round_of(double, pool[:4], 1_000)  # warm-up: each process loads its model; not counted
        results = []
        for n in range(rounds):
            results.append(await round_of(double, [pool[(n * asks + i) % len(pool)] for i in range(asks)], 100_000 * (n + 1)))
            print(f"round {n + 1}: {results[-1]}", file=sys.stderr, flush=True)
        return results
    finally:
        for worker in workers:
            if worker.process.returncode is None:
                worker.process.terminate()
                await worker.process.wait()
        await double.close()


def spread(results: list[dict], key: str, scale: float = 1.0, unit: str = "") -> str:
    values = [r[key] * scale for r in results]
    return f"{statistics.median(values):.0f}{unit} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=200, help="/ask sent at once per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--database-url", help="a server to use (a database crisisbot_two_processes is made on it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="crisisbot-two-"))
    work.chmod(0o755)
    server = None
    if args.database_url:
        admin = args.database_url
    else:
        import pgserver

        server = pgserver.get_server(work / "postgres", cleanup_mode="stop")
        admin = server.get_uri()
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS crisisbot_two_processes WITH (FORCE)")
            conn.execute("CREATE DATABASE crisisbot_two_processes")
        results = asyncio.run(run(args.asks, args.rounds, make_conninfo(admin, dbname="crisisbot_two_processes"), work))
    finally:
        if server is not None:
            server.cleanup()
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


if __name__ == "__main__":
    main()
