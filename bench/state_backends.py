"""What the bot state's calls cost on SQLite (state.sqlite) and on PostgreSQL (shared by every process).

    .venv/bin/python bench/state_backends.py [--database-url URL] [--rounds 7] [--calls 300]

Per round, each backend in turn (interleaved, the order alternating), ``--calls`` of each operation a
click or a question makes: ``cooldown`` (every /ask), ``save_answer`` (every answer), ``answer`` (a
button click), ``vote``.  Reported: the median per-call time over the rounds, with the spread (lowest
and highest round).  Without ``--database-url`` a private PostgreSQL (pgserver) is started in a
temporary folder; on a real deployment the network round trip adds to every PostgreSQL figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pg  # noqa: E402
from bot.state import BotState, StoredCitation  # noqa: E402

CITATIONS = [StoredCitation(n, f"Title {n}", f"https://example.org/{n}", "2022-02-17", "example.org", "Some text. " * 20, n)
             for n in range(1, 4)]


def one_round(state: BotState, calls: int, offset: int) -> dict[str, float]:
    """Microseconds per call of each operation."""
    timings = {}
    start = time.perf_counter()
    for n in range(calls):
        state.cooldown(offset + n, "ask", 30)
    timings["cooldown"] = time.perf_counter() - start
    start = time.perf_counter()
    ids = [state.save_answer(f"question {n}", CITATIONS) for n in range(calls)]
    timings["save_answer"] = time.perf_counter() - start
    start = time.perf_counter()
    for answer_id in ids:
        state.answer(answer_id)
    timings["answer"] = time.perf_counter() - start
    start = time.perf_counter()
    for n, answer_id in enumerate(ids):
        state.vote(answer_id, offset + n, 1)
    timings["vote"] = time.perf_counter() - start
    return {k: v / calls * 1e6 for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a server to use (a database crisisbot_state_bench is made on it)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with pg.server(args.database_url, "crisisbot-statebench-") as (admin, work):
        url = pg.fresh_database(admin, "crisisbot_state_bench")
        states = {
            "sqlite": BotState(work / "data" / "state.sqlite", salt="bench"),
            "postgres": BotState(work / "data" / "state.sqlite", salt="bench",
                                 database_url=url),
        }
        results: dict[str, list[dict[str, float]]] = {name: [] for name in states}
        for r in range(args.rounds):
            order = list(states) if r % 2 == 0 else list(reversed(states))
            for name in order:
                results[name].append(one_round(states[name], args.calls, r * args.calls))
        print(f"{args.rounds} rounds of {args.calls} calls; microseconds per call, median (lowest-highest round)\n")
        print("| operation | SQLite | PostgreSQL |\n|---|---|---|")
        for operation in results["sqlite"][0]:
            cells = []
            for name in states:
                values = [round_[operation] for round_ in results[name]]
                cells.append(f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})")
            print(f"| {operation} | {' | '.join(cells)} |")
        for state in states.values():
            state.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS crisisbot_state_bench WITH (FORCE)")


if __name__ == "__main__":
    main()
