"""How long `crisisbot state move` takes for a busy installation's state.sqlite and feeds.sqlite.

    .venv/bin/python bench/state_move.py [--database-url URL] [--rounds 5] [--answers 20000] [--items 10000]

One local data dir is filled once through the real APIs (``BotState``, ``SubscriptionStore``): ``--answers``
answers behind buttons (3 citations each) with as many asked events, a quarter as many searches, votes
and cooldowns, a tenth as many conversations, 500 audit entries; ``--items`` feed items in 50
subscriptions.  Each round moves it into a fresh database (the first move: every row copied) and then
again (every row already there: nothing copied); the two are timed in turn, round after round.
Reported: median (lowest-highest) seconds and rows per second.  Without ``--database-url`` a private
PostgreSQL (pgserver) runs on this host: a network would add its round trips to the first figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pg  # noqa: E402
from bot.cli_state import local_databases  # noqa: E402
from bot.state import BotState, StoredCitation  # noqa: E402
from index.conversation import Turn  # noqa: E402
from index.database_copy import move  # noqa: E402
from index.subscriptions import Item, Subscription, SubscriptionStore  # noqa: E402

CITATIONS = [StoredCitation(n, f"Title {n}", f"https://example.org/{n}", "2022-02-17", "example.org", "Some text. " * 20, n)
             for n in range(1, 4)]


def fill(data_dir: Path, answers: int, items: int) -> int:
    """A busy month of a bot in ``data_dir``; the number of rows written."""
    state = BotState(data_dir / "state.sqlite", salt="bench salt")
    asked = SimpleNamespace(question="", citations=CITATIONS, abstained=False, language="en", reason=None)
    for n in range(answers):
        answer_id = state.save_answer(f"question {n} about the grain corridor?", CITATIONS)
        asked.question = f"question {n} about the grain corridor?"
        state.record_asked(asked, answer_id, guild_id=n % 40)
        if n % 4 == 0:
            state.save_search(f"query {n}", n, exclude=[1, 2, 3])
            state.vote(answer_id, n, 1 if n % 8 else -1)
            state.cooldown(n, "ask", 10)
            state.remember_last(n, answer_id)
        if n % 10 == 0:
            state.add_turn(n, Turn(f"question {n}", f"question {n}", (1, 2)), keep=5, opened=True)
    for n in range(500):
        state.audit("mod", "sources add", f"https://example.org/{n}", "added", actor_id=n)
    state.close()
    feeds = SubscriptionStore(data_dir / "feeds.sqlite")
    per_feed = max(1, items // 50)
    for f in range(50):
        subscription = Subscription(f"https://example.org/feed/{f}.xml", "feed", 30, time.time(), "cli")
        feeds.add(subscription)
        feeds.save_poll(subscription, [Item(subscription.url, f"guid-{i}", f"https://example.org/{f}/{i}", f"fp{i}", f"h{i}",
                                            f"doc-{f}-{i}") for i in range(per_feed)], [])
    feeds.close()
    return answers * 2 + len(range(0, answers, 4)) * 4 + len(range(0, answers, 10)) + 500 + 50 + 50 * per_feed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="A PostgreSQL server whose user may create databases (default: pgserver).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    with pg.server(args.database_url, "crisisbot-bench-move-") as (admin, work):
        data_dir = work / "data"
        start = time.perf_counter()
        rows = fill(data_dir, args.answers, args.items)
        print(f"filled {rows} rows in {time.perf_counter() - start:.0f} s", flush=True)
        databases = local_databases(data_dir)
        first, again = [], []
        for n in range(args.rounds):
            url = pg.fresh_database(admin, f"crisisbot_bench_move_{n}")
            start = time.perf_counter()
            _, report = move(databases, url)
            first.append(time.perf_counter() - start)
            assert sum(t.copied for t in report) == rows, (sum(t.copied for t in report), rows)
            start = time.perf_counter()
            _, report = move(databases, url)
            again.append(time.perf_counter() - start)
            assert sum(t.copied for t in report) == 0
            print(f"round {n + 1}: first move {first[-1]:.2f} s, again {again[-1]:.2f} s", flush=True)
    for name, seconds in (("first move (every row copied)", first), ("again (nothing copied)", again)):
        median = statistics.median(seconds)
        print(f"{name}: {median:.2f} s ({min(seconds):.2f}-{max(seconds):.2f}), {rows / median:,.0f} rows/s; {rows} rows")


if __name__ == "__main__":
    main()
