"""What keeping added sources costs in each backend: the folder (``KeptFolder``) and PostgreSQL (``KeptInPostgres``).

    .venv/bin/python bench/kept_sources.py [--files 200] [--kilobytes 20] [--rounds 5] [--database-url URL]

Per round, in each backend in turn (folder, PostgreSQL, folder, ...): inside one index write,
``keep_files`` of FILES new files of KILOBYTES each (what ``sources add`` of a folder does before it
embeds anything), then ``readable()`` of every copy, as a rebuild reads them (the folder hands over
itself; PostgreSQL writes the copies to a private temporary folder and deletes it after).  The write
is then discarded, so each round starts empty.  Reported: milliseconds, median (lowest-highest round).
Without ``--database-url`` a private PostgreSQL (pgserver) runs in a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pg  # noqa: E402
from index.config import BUNDLED_CORPUS  # noqa: E402
from index.kept import KeptFolder  # noqa: E402
from index.reading import iter_files  # noqa: E402
from index.store import LocalStore  # noqa: E402
from index.store.postgres import PostgresStore  # noqa: E402

MODEL = "bench"  # no index is published: the model is never checked


class Discard(Exception):
    """Ends a write without publishing it."""


def uploads(folder: Path, files: int, kilobytes: int) -> list[Path]:
    """``files`` distinct text files of about ``kilobytes`` KB, made of the bundled corpus's text."""
    text = " ".join(p.read_text(encoding="utf-8", errors="ignore") for p in iter_files([BUNDLED_CORPUS]))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(files):
        body = (f"Report {n}\n\n" + text)[: kilobytes * 1024]
        path = folder / f"report-{n:04d}.txt"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def one_round(store, kept, paths: list[Path]) -> tuple[float, float]:
    """(keep_files ms, readable ms) inside one write, then discarded."""
    try:
        with store.write() as tx:
            start = time.perf_counter()
            names, _ = kept.keep_files(paths, tx)
            keeping = time.perf_counter() - start
            assert len(names) == len(paths)
            start = time.perf_counter()
            with kept.readable(tx) as root:
                assert root is not None and sum(1 for _ in iter_files([root])) == len(paths)
            reading = time.perf_counter() - start
            raise Discard
    except Discard:
        pass
    assert kept.names() == [], "the discarded write left copies behind"
    return keeping * 1000, reading * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--kilobytes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="a server to use (the database crisisbot_kept_bench is made on it)")
    args = parser.parse_args()
    with pg.server(args.database_url, "crisisbot-kept-bench-") as (admin, work):
        paths = uploads(work / "uploads", args.files, args.kilobytes)
        local = LocalStore(work / "data", MODEL)
        postgres = PostgresStore(pg.fresh_database(admin, "crisisbot_kept_bench"), MODEL)
        backends = {"folder": (local, KeptFolder(work / "data" / "sources")), "postgres": (postgres, postgres.kept_sources())}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in backends}
        one_round(*backends["postgres"], paths)  # the first write applies the migrations: not timed
        for _ in range(args.rounds):
            for name, (store, kept) in backends.items():  # interleaved
                times[name].append(one_round(store, kept, paths))
        postgres.close()
    print(f"{args.files} files of {args.kilobytes} KB, {args.rounds} rounds; ms, median (lowest-highest round)\n")
    print("| backend | keep_files (sources add) | readable (a rebuild) |\n|---|---|---|")
    for name, rounds in times.items():
        cells = []
        for i in (0, 1):
            values = [r[i] for r in rounds]
            cells.append(f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})")
        print(f"| {name} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
