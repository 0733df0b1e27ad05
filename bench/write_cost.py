"""What adding one 50-paragraph article costs as the index grows: 1k, 10k, 100k (and 1M) paragraphs.

    .venv/bin/python bench/write_cost.py [--sizes 1000,10000,100000] [--rounds 5]

Each size starts from a base index written by the real writer (paragraphs of real war-news text,
two or three of the war corpus's joined, with random unit vectors and four float16 sentence vectors,
so its files and BM25 postings have realistic sizes; under the bundled model's name so the real
service opens it).  Then, in rounds that visit every
size in turn (1k, 10k, 100k, 1k, 10k, ... so a busy neighbour slows all sizes alike), one real
50-paragraph article (war-corpus paragraphs, embedded by the bundled model) is added through
``CrisisService.add_documents``: what ``crisisbot sources add`` runs.  Reported per size: the
median wall time of an add, the embedding's share of it (the same paragraphs embedded alone), and
each size's ratio to the smallest, median and range over the rounds.  Each add writes a delta
(index/store/delta.py); merges are not due within these rounds, and ``--merge`` times one apart.

``--questions N`` then asks N war-news questions at each size of both the base with its deltas and
a merged copy of it (asked in turn, one question of one then of the other), and reports the full
question path's p50/p95 on each and the ratio: what reading a base and a delta together costs
(each goes first every other question, as they share the model and the process's caches).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import store  # noqa: E402
from index.config import Settings  # noqa: E402
from index.ingest import Document  # noqa: E402
from index.service import CrisisService  # noqa: E402
from index.text import lexical_tokens  # noqa: E402

DIM = 384
SENTENCES = 4
WAR = Path(__file__).resolve().parent.parent / "tests" / "eval" / "war" / "corpus"


class RandomParagraphs:
    """The paragraphs of this bench's bases: two or three paragraphs of the war corpus joined, and a number of
    their own ("Report 17."), so BM25 sees real term frequencies and no two are alike; random unit vectors and
    four random float16 sentence vectors each.  Any object with ``document`` and ``batch`` can stand in for
    it (bench/scale_pipeline.py gives vectors with the structure of real embeddings)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.sources = war_paragraphs()
        self.tokens = [" ".join(lexical_tokens(text)) for text in self.sources]

    def document(self, number: int) -> tuple[str, str, str]:
        """(title, outlet, date) of synthetic document ``number``."""
        return f"Document {number}", "", "2022-03-01"

    def batch(self, ids: range, documents: list[int]) -> tuple[list[tuple[str, str, bytes]], np.ndarray]:
        """(text, lex, sentence vectors) of paragraphs ``ids`` (of synthetic documents ``documents``), and their
        unit vectors, one row each."""
        rows = []
        for pid in ids:
            picked = self.rng.choice(len(self.sources), int(self.rng.integers(2, 4)), replace=False)
            text = f"Report {pid}. " + " ".join(self.sources[i] for i in picked)
            lex = f"report {pid} " + " ".join(self.tokens[i] for i in picked)
            rows.append((text, lex, self.rng.standard_normal((SENTENCES, DIM)).astype(np.float16).tobytes()))
        vectors = self.rng.standard_normal((len(ids), DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return rows, vectors


def synthetic_base(data_dir: Path, model: str, paragraphs: int, *, make=None, per_document: int = 100,
                   first: Callable[[store.IndexWriter], None] | None = None) -> None:
    """A published base of ``paragraphs`` paragraphs (``per_document`` a document) written by the real writer
    from what ``make`` gives (default ``RandomParagraphs``).  ``first`` writes into the new index before them
    (real documents, through the writer); the base's ``paragraphs`` count them."""
    make = make or RandomParagraphs(paragraphs)
    with store.staging(data_dir) as stage:
        writer = store.IndexWriter(stage.folder, model, DIM)
        if first is not None:
            first(writer)
        first_id = writer.next_paragraph_id()
        synthetic = max(0, paragraphs - (first_id - 1))
        with writer.db:
            writer.db.executemany(
                "INSERT INTO documents (id, title, outlet, date, url, origin, meta, added_at) "
                "VALUES (?, ?, ?, ?, NULL, 'bench', '{}', '')",
                [(f"doc-{d}", *make.document(d)) for d in range(-(-synthetic // per_document))],
            )
        for start in range(0, synthetic, 50_000):
            ids = range(first_id + start, first_id + min(synthetic, start + 50_000))
            documents = [(pid - first_id) // per_document for pid in ids]
            rows, vectors = make.batch(ids, documents)
            with writer.db:
                writer.db.executemany("INSERT INTO paragraphs (id, text, key, lex, sentences) VALUES (?, ?, ?, ?, ?)",
                                      [(pid, text, f"key-{pid}", lex, blob) for pid, (text, lex, blob) in zip(ids, rows)])
                writer.db.executemany("INSERT INTO occurrences (paragraph_id, document_id, position) VALUES (?, ?, ?)",
                                      [(pid, f"doc-{d}", (pid - first_id) % per_document) for pid, d in zip(ids, documents)])
            writer.vectors.add(vectors, np.asarray(ids, np.int64))
        writer.commit()


def war_paragraphs() -> list[str]:
    out = []
    for path in sorted(WAR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("language", "en") == "en":
                out.extend(record["paragraphs"])
    return out


def article(n: int, paragraphs: list[str], rng: np.random.Generator) -> Document:
    """A 50-paragraph article of distinct war-news paragraphs (numbered, so none is a duplicate)."""
    chosen = rng.choice(len(paragraphs), 50, replace=False)
    texts = [f"Update {n}.{i}: {paragraphs[j]}" for i, j in enumerate(chosen)]
    return Document(id=f"bench-article-{n}", title=f"Bench article {n}", paragraphs=texts, origin="bench", date="2022-04-01")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--merge", action="store_true", help="also time one merge of the deltas at each size")
    parser.add_argument("--questions", type=int, default=0, help="ask this many questions with deltas and merged (p50/p95)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    paragraphs = war_paragraphs()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="crisisbot-write-cost-") as tmp:
        services = {}
        for size in sizes:
            data_dir = Path(tmp) / f"n{size}"
            svc = CrisisService(Settings(_env_file=None, data_dir=data_dir))
            start = time.perf_counter()
            synthetic_base(data_dir, svc.embedder.name, size)
            print(f"base of {size:,} paragraphs written in {time.perf_counter() - start:.1f} s", flush=True)
            svc.warm()
            services[size] = svc
        adds: dict[int, list[float]] = {size: [] for size in sizes}
        embeds: list[float] = []
        n = 0
        for round_ in range(args.rounds):
            for size in sizes:
                n += 1
                doc = article(n, paragraphs, rng)
                start = time.perf_counter()
                services[size].embedder.encode_with_sentences(doc.paragraphs)
                embeds.append(time.perf_counter() - start)
                start = time.perf_counter()
                services[size].add_documents([doc])
                adds[size].append(time.perf_counter() - start)
        smallest = sizes[0]
        print(f"\nadding one 50-paragraph article, {args.rounds} interleaved rounds; embedding the same paragraphs alone: "
              f"median {statistics.median(embeds):.2f} s")
        print("| paragraphs | add median (s) | add min-max (s) | add minus embedding (s) | ratio to 1st size (median, range) |")
        print("|---|---|---|---|---|")
        for size in sizes:
            ratios = [a / b for a, b in zip(adds[size], adds[smallest])]
            print(f"| {size:,} | {statistics.median(adds[size]):.2f} | {min(adds[size]):.2f}-{max(adds[size]):.2f} | "
                  f"{statistics.median(adds[size]) - statistics.median(embeds):.2f} | "
                  f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |")
        if args.questions:
            questions = [json.loads(line)["q"] for line in (WAR.parent / "dev.jsonl").read_text(encoding="utf-8").splitlines()
                         if json.loads(line).get("kind") not in ("uk", "ru")][: args.questions]
            print(f"\nquestions ({len(questions)}, full path: embed, retrieve, answer), base + deltas vs the same merged:")
            print("| paragraphs | p50 with deltas (ms) | p95 with deltas (ms) | p50 merged (ms) | p95 merged (ms) | p95 ratio |")
            print("|---|---|---|---|---|---|")
            for size in sizes:
                merged_dir = Path(tmp) / f"n{size}-merged"
                shutil.copytree(services[size].data_dir, merged_dir, symlinks=True)
                merged = CrisisService(Settings(_env_file=None, data_dir=merged_dir), embedder=services[size].embedder)
                merged.merge()
                times: dict[str, list[float]] = {"delta": [], "merged": []}
                pair = [("delta", services[size]), ("merged", merged)]
                for n, question in enumerate(questions):
                    # The two share the model and the process's caches: whichever goes first pays for what the
                    # second then finds cached (the question's reading), so each goes first every other time.
                    for label, svc in (pair if n % 2 == 0 else pair[::-1]):
                        start = time.perf_counter()
                        svc.ask(question)
                        times[label].append((time.perf_counter() - start) * 1000)
                p = {label: (statistics.median(t), float(np.percentile(t, 95))) for label, t in times.items()}
                print(f"| {size:,} | {p['delta'][0]:.0f} | {p['delta'][1]:.0f} | {p['merged'][0]:.0f} | {p['merged'][1]:.0f} | "
                      f"{p['delta'][1] / p['merged'][1]:.2f} |")
        if args.merge:
            for size in sizes:
                start = time.perf_counter()
                services[size].merge()
                print(f"merge at {size:,}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
