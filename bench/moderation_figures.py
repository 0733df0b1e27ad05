"""Issue-4 figures: full re-index throughput, and adding one 50-paragraph article to a 10,000-paragraph index.

    .venv/bin/python bench/moderation_figures.py [--paragraphs 10000] [--runs 3]

The large corpus is derived from real text: every sentence of the bundled
article and of tests/eval/corpus2, recombined three at a time (seeded) into
distinct paragraphs spread over 200 dated documents, so the near-duplicate
filter keeps them.  Times go through CrisisService, as /reindex and
/sources add do: the add copies the published index, embeds and appends the
new paragraphs, rebuilds the lexical index, and swaps the result in.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sentences() -> list[str]:
    from index import text as textlib
    from index.config import BUNDLED_CORPUS
    from index.ingest import load

    report = load([BUNDLED_CORPUS, ROOT / "tests/eval/corpus2/articles.jsonl"])
    found = [s for d in report.documents for p in d.paragraphs for s in textlib.split_sentences(p) if len(s) > 40]
    return sorted(set(found))


def write_corpus(folder: Path, paragraphs: int, pool: list[str], seed: int = 7) -> Path:
    rng = random.Random(seed)
    path = folder / "derived.jsonl"
    per_document = 50
    with path.open("w", encoding="utf-8") as out:
        for d in range(paragraphs // per_document):
            body = [" ".join(rng.sample(pool, 3)) for _ in range(per_document)]
            day = 1 + d % 28
            out.write(json.dumps({
                "id": f"derived-{d}", "title": f"Derived briefing {d}: " + " ".join(body[0].split()[:6]),
                "date": f"2022-02-{day:02d}", "url": f"https://example.org/briefing/{d}", "paragraphs": body,
            }) + "\n")
    return path


def article(pool: list[str], seed: int):
    from index.ingest import Document

    rng = random.Random(seed)
    return Document(
        id=f"new-article-{seed}", title=f"New article {seed}", origin="bench", url=f"https://example.org/new/{seed}",
        date="2022-03-01", outlet="example.org",
        paragraphs=[" ".join(rng.sample(pool, 3)) + f" (new {seed}.{i})" for i in range(50)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="adds to time (median reported)")
    args = parser.parse_args()

    from index.config import Settings
    from index.embed import Embedder
    from index.service import CrisisService

    started = time.perf_counter()
    embedder = Embedder()
    embedder.load()
    print(f"model load: {time.perf_counter() - started:.1f} s")
    pool = sentences()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = write_corpus(folder, args.paragraphs, pool)
        service = CrisisService(Settings(_env_file=None, data_dir=folder / "data"), embedder=embedder)
        result = service.build([corpus])
        count = result.manifest["paragraphs"]
        print(f"full re-index: {count:,} paragraphs in {result.seconds:.1f} s = {count / result.seconds:.0f} paragraphs/s "
              f"({result.change.exact_duplicates + result.change.near_duplicates} duplicates collapsed)")
        times = []
        for run in range(args.runs):
            start = time.perf_counter()
            added = service.add_documents([article(pool, run)])
            times.append(time.perf_counter() - start)
            print(f"  add run {run + 1}: {added.change.paragraphs_added} paragraphs in {times[-1]:.2f} s "
                  f"(index now {added.manifest['paragraphs']:,})")
        print(f"add one 50-paragraph article to {count:,}: median {statistics.median(times):.2f} s over {args.runs} runs")
        start = time.perf_counter()
        service.remove_documents([f"new-article-{run}" for run in range(args.runs)])
        print(f"remove {args.runs} articles: {time.perf_counter() - start:.2f} s")
        service.ask("Who did Blinken write to?")
        answer = service.ask("Who did Blinken write to proposing a meeting?")
        print(f"ask on the {service.stats()['paragraphs']:,}-paragraph index: took_ms {answer.took_ms:.0f}")


if __name__ == "__main__":
    main()
