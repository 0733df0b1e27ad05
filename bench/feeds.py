"""What a feed poll with nothing new costs: one conditional request per feed, a 304, no parsing, no embedding.

    .venv/bin/python bench/feeds.py [--feeds 10] [--rounds 200]

A loopback server (tests/feedserver.py, in a child process so its CPU is not counted) serves the
test feeds with ETags; the feeds are subscribed in a temporary data dir and polled once (items
indexed), then polled ``--rounds`` times more with nothing new.  Reported per poll of one feed: CPU
time of this process (``time.process_time``, every thread: the event loop and the worker threads
that parse), wall time, and requests made.  For
comparison, the same feed served again without its validators (a 200 whose entries are all known:
parsed, nothing fetched, nothing embedded).  Median, p10-p90 and min-max.

``--stored N`` then gives the first feed N more stored items (items that have left the feed, as a
busy feed accumulates them) and measures polls of that feed alone, 304 and 200 interleaved: what a
poll costs when the items table is large.  The script runs against older code too (the stored items
are written through ``save_poll``), so a change can be measured before and after:

    .venv/bin/python bench/feeds.py --feeds 1 --rounds 20 --stored 50000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.config import Settings
from index.feeds import Poller
from index.service import CrisisService
from index.subscriptions import Item
from tests.feedserver import FeedServer


def spread(values: list[float]) -> str:
    values = sorted(values)
    decile = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return (f"median {statistics.median(values):.2f} ms (p10-p90 {decile(0.1):.2f}-{decile(0.9):.2f}, "
            f"min-max {values[0]:.2f}-{values[-1]:.2f}), n={len(values)}")


def store_old_items(poller: Poller, url: str, count: int) -> None:
    """``count`` items of ``url`` that left the feed a day ago (unlisted, when this version records it), indexed, checked."""
    now = time.time()
    gone = {"unlisted_since": now - 86_400} if "unlisted_since" in {f.name for f in fields(Item)} else {}
    items = [Item(url, f"stored-{n}", f"https://example.org/stored/{n}", f"fingerprint-{n}", f"hash-{n}", f"url-stored-{n}",
                  0, now - 86_400, **gone) for n in range(count)]
    poller.store.save_poll(poller.store.get(url), items, [])


def measure_stored(poller: Poller, url: str, rounds: int) -> dict[str, list[float]]:
    """CPU ms of one poll of ``url``: a 304 and a 200 (validators forgotten, every entry known), interleaved."""
    cpu: dict[str, list[float]] = {"304": [], "200": []}
    for _ in range(rounds):
        for case in ("304", "200"):
            subscription = poller.store.get(url)
            if case == "200":
                subscription.etag = subscription.last_modified = None
                poller.store.save_poll(subscription, [], [])
            start = time.process_time()
            [result] = asyncio.run(poller.poll(only=[url])).polls
            cpu[case].append((time.process_time() - start) * 1000)
            assert str(result.http_status) == case and not result.changed, result.summary()
    return cpu


def measure(poller: Poller, rounds: int, feeds: int, forget_validators: bool) -> tuple[list[float], list[float]]:
    cpu, wall = [], []
    for _ in range(rounds):
        if forget_validators:
            for subscription in poller.store.all():
                subscription.etag = subscription.last_modified = None
                poller.store.save_poll(subscription, [], [])
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        report = asyncio.run(poller.poll(force=True))
        cpu.append((time.process_time() - start_cpu) * 1000 / feeds)
        wall.append((time.perf_counter() - start_wall) * 1000 / feeds)
        assert not any(p.changed for p in report.polls) and len(report.polls) == feeds
    return cpu, wall


NAMES = ["rss2.xml", "atom.xml", "rss1.rdf"]


def serve(feeds: int, pipe) -> None:
    """The child process: the feed server with ``feeds`` copies of the test feeds; sends its port, then
    the number of requests it served when asked, until told to stop."""
    server = FeedServer().start()
    for n in range(feeds):
        server.feeds[f"{n}-{NAMES[n % len(NAMES)]}"] = server.feeds[NAMES[n % len(NAMES)]]
    pipe.send(server.port)
    while pipe.recv() == "hits":
        pipe.send(len(server.hits))
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10, help="Subscriptions polled per round.")
    parser.add_argument("--rounds", type=int, default=200, help="Polls with nothing new, per case.")
    parser.add_argument("--stored", type=int, default=0, help="Then: this many more stored items in the first feed.")
    args = parser.parse_args()
    pipe, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve, args=(args.feeds, child_end), daemon=True)
    child.start()
    port = pipe.recv()

    def hits() -> int:
        pipe.send("hits")
        return pipe.recv()

    try:
        with tempfile.TemporaryDirectory() as folder:
            service = CrisisService(Settings(_env_file=None, data_dir=Path(folder) / "data", allow_private_urls=True))
            service.build()
            for n in range(args.feeds):
                service.feeds_add(f"http://127.0.0.1:{port}/feeds/{n}-{NAMES[n % len(NAMES)]}")
            poller = Poller(service, service.subscriptions)
            first = asyncio.run(poller.poll(force=True))
            print(f"first poll: {sum(len(p.added) for p in first.polls)} items added from {args.feeds} feeds")
            before = hits()
            cpu, wall = measure(poller, args.rounds, args.feeds, forget_validators=False)
            requests = (hits() - before) / (args.rounds * args.feeds)
            statuses = {p.http_status for p in asyncio.run(poller.poll(force=True)).polls}
            print(f"nothing new (HTTP {sorted(statuses)}), {requests:.2f} requests per feed poll")
            print(f"  CPU per feed poll:  {spread(cpu)}")
            print(f"  wall per feed poll: {spread(wall)}")
            cpu, wall = measure(poller, max(20, args.rounds // 4), args.feeds, forget_validators=True)
            print("same feeds without validators (200, every entry already known)")
            print(f"  CPU per feed poll:  {spread(cpu)}")
            print(f"  wall per feed poll: {spread(wall)}")
            if args.stored:
                url = f"http://127.0.0.1:{port}/feeds/0-{NAMES[0]}"
                store_old_items(poller, url, args.stored)
                before = hits()
                cpu_by_case = measure_stored(poller, url, args.rounds)
                requests = (hits() - before) / (2 * args.rounds)
                print(f"one feed with {args.stored} more stored items, {requests:.2f} requests per poll")
                for case, values in cpu_by_case.items():
                    print(f"  CPU per poll ({case}): {spread(values)}")
    finally:
        pipe.send("stop")
        child.join(10)


if __name__ == "__main__":
    main()
