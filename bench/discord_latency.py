"""Discord-side latency: from INTERACTION_CREATE dispatch to the bot's final edit.

    .venv/bin/python bench/discord_latency.py [--sequential 50] [--concurrent 200]

The real discord.py bot talks to the wire-level Discord double on 127.0.0.1
(tests/discord_double); the index is the bundled corpus, built into a
temporary data dir.  Reports p50/p95 over sequential asks (one at a time),
then throughput and ack/answer p95 with many asks in flight at once.
Network latency to Discord is not included: add your round trip to each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import create_bot  # noqa: E402
from bot.config import BotSettings  # noqa: E402
from index.eval import percentile, question_texts  # noqa: E402
from index.service import CrisisService  # noqa: E402
from tests.discord_double import DiscordDouble, point_discord_at  # noqa: E402


def is_edit(request, token: str) -> bool:
    return request.method == "PATCH" and request.path.startswith("/webhooks/") and f"/{token}/" in request.path


def is_callback(request, interaction: dict) -> bool:
    return request.method == "POST" and request.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"


async def sequential(double: DiscordDouble, asks: list[str]) -> list[float]:
    seconds = []
    for i, question in enumerate(asks):
        interaction = await double.slash("ask", {"question": question}, user=10_000 + i)
        edit = await double.wait_for(lambda r: is_edit(r, interaction["token"]), timeout=60)
        seconds.append(edit.at - double.sent_at[interaction["id"]])
    return seconds


async def concurrent(double: DiscordDouble, asks: list[str]) -> dict:
    interactions = [await double.slash("ask", {"question": q}, user=20_000 + i) for i, q in enumerate(asks)]
    tokens = {i["token"]: i for i in interactions}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        edits = {r.path.split("/")[3]: r for r in double.requests
                 if r.method == "PATCH" and r.path.startswith("/webhooks/") and r.path.split("/")[3] in tokens}
        if len(edits) == len(interactions):
            break
        await asyncio.sleep(0.05)
    callbacks = {r.path.split("/")[2]: r for r in double.requests if r.method == "POST" and r.path.startswith("/interactions/")}
    ack = [callbacks[i["id"]].at - double.sent_at[i["id"]] for i in interactions if i["id"] in callbacks]
    answer = [edits[t].at - double.sent_at[i["id"]] for t, i in tokens.items() if t in edits]
    span = max(e.at for e in edits.values()) - min(double.sent_at[i["id"]] for i in interactions)
    return {"in_flight": len(interactions), "answered": len(edits), "acknowledged": len(ack), "seconds": span,
            "per_second": len(edits) / span, "ack_p95": percentile(ack, 0.95), "ack_max": max(ack),
            "answer_p50": percentile(answer, 0.5), "answer_p95": percentile(answer, 0.95)}


def ready_service(data_dir: Path) -> CrisisService:
    """A service over ``data_dir`` with its index built (the bundled corpus) if missing and the model loaded."""
    service = CrisisService(BotSettings(_env_file=None, data_dir=data_dir))
    started = time.perf_counter()
    if not service.has_index():
        service.build()
    service.warm()
    print(f"index ready and model loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return service


async def run(n_sequential: int, n_concurrent: int, data_dir: Path) -> None:
    service = ready_service(data_dir)

    double = DiscordDouble()
    await double.start()
    point_discord_at(double.api_base, double.gateway_url)
    bot = create_bot(BotSettings(_env_file=None, data_dir=data_dir, ask_cooldown_seconds=0), service)
    task = asyncio.create_task(bot.start("bench-token"))
    try:
        await double.wait_ready()
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        pool = question_texts(ROOT / "tests" / "eval" / "dev.jsonl")
        await sequential(double, pool[:3])  # warm-up, not counted
        seq = await sequential(double, [pool[i % len(pool)] for i in range(n_sequential)])
        conc = await concurrent(double, [pool[i % len(pool)] for i in range(n_concurrent)])
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await double.close()

    cpu = f"{os.cpu_count()} CPU, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    print(f"discord latency (dispatch -> final edit), real discord.py client against the loopback double; {cpu}")
    print("")
    print("| measure | value |")
    print("|---|---|")
    print(f"| sequential asks | {len(seq)} |")
    print(f"| p50 dispatch -> final edit | {percentile(seq, 0.5) * 1000:.0f} ms |")
    print(f"| p95 dispatch -> final edit | {percentile(seq, 0.95) * 1000:.0f} ms |")
    print(f"| concurrent asks in flight | {conc['in_flight']} (answered {conc['answered']}, acknowledged {conc['acknowledged']}) |")
    print(f"| throughput | {conc['per_second']:.1f} answers/s ({conc['seconds']:.1f} s for all) |")
    print(f"| ack p95 / max (defer, Discord's limit is 3 s) | {conc['ack_p95'] * 1000:.0f} ms / {conc['ack_max'] * 1000:.0f} ms |")
    print(f"| answer p50 / p95 under that load | {conc['answer_p50']:.2f} s / {conc['answer_p95']:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequential", type=int, default=50, help="asks one at a time (default 50)")
    parser.add_argument("--concurrent", type=int, default=200, help="asks in flight at once (default 200)")
    parser.add_argument("--data-dir", type=Path, help="an existing data dir (default: build the bundled corpus in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.sequential, args.concurrent, args.data_dir or Path(tmp) / "data"))


if __name__ == "__main__":
    main()
