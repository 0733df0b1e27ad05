"""Concurrent asks through asyncio.to_thread, as the bot runs them, with the event loop's lag measured.

    .venv/bin/python bench/concurrency.py [--asks 57] [--concurrency 1,2,4,8]

For each level N, N asks are kept in flight (the dev-set questions, round
robin) on the bundled-corpus index while a ticker task sleeps 10 ms at a time
and records how late it wakes up: that lateness is what a Discord heartbeat or
an interaction acknowledgement would suffer.  Throughput is answers per second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus  # noqa: E402
from index.config import Settings  # noqa: E402
from index.service import CrisisService  # noqa: E402

TICK_S = 0.010


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(TICK_S)
        lags.append((loop.time() - start - TICK_S) * 1000)


async def level(service: CrisisService, questions: list[str], asks: int, concurrency: int) -> dict:
    lags: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with semaphore:
            start = time.perf_counter()
            await asyncio.to_thread(service.ask, questions[i % len(questions)])
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(asks)))
    seconds = time.perf_counter() - start
    stop.set()
    await tick
    lags.sort()
    latencies.sort()
    return {
        "concurrency": concurrency,
        "answers_per_s": asks / seconds,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "loop_lag_p50_ms": statistics.median(lags),
        "loop_lag_p99_ms": lags[int(0.99 * (len(lags) - 1))],
        "loop_lag_max_ms": lags[-1],
    }


async def main_async(args) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="crisisbot-concurrency-") as tmp:
        service = CrisisService(Settings(_env_file=None, data_dir=Path(tmp) / "data"))
        service.build()
        service.warm()
        questions = corpus.questions()
        for q in questions:  # a bot that has been up a while: caches warm
            service.ask(q)
        return [await level(service, questions, args.asks, n) for n in (int(c) for c in args.concurrency.split(","))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--asks", type=int, default=57)
    parser.add_argument("--concurrency", default="1,2,4,8")
    args = parser.parse_args()
    rows = asyncio.run(main_async(args))
    print("| asks in flight | answers/s | ask p50 (ms) | ask p95 (ms) | loop lag p50 (ms) | loop lag p99 (ms) | loop lag max (ms) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['concurrency']} | {r['answers_per_s']:.1f} | {r['latency_p50_ms']:.1f} | {r['latency_p95_ms']:.1f} "
            f"| {r['loop_lag_p50_ms']:.2f} | {r['loop_lag_p99_ms']:.2f} | {r['loop_lag_max_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
