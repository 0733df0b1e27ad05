"""The Postgres store against the local store at 100k paragraphs: question p95 and HNSW recall@10.

    .venv/bin/python bench/postgres_scale.py [--paragraphs 100000] [--rounds 3] [--database-url URL]

The corpus: real war-news text (tests/eval/war/corpus, its 985 English paragraphs), recombined two or
three at a time into N paragraphs under numbered titles, so BM25 sees real term frequencies.  Vectors
are real too, derived: every source paragraph is embedded once by the bundled model (with its
sentences' vectors), and a recombined paragraph gets the normalised mean of its sources' vectors plus
a little noise (mean pooling over a concatenation is close to that) and their sentence vectors in
order.  Both stores are filled with the same rows through ``crisisbot store import``'s path
(index/store/portable.py): the local store's folders (FAISS exact below 200k, bm25s) and Postgres
(pgvector HNSW, BM25 in SQL).

Questions: the war sets' (dev and holdout), asked through ``CrisisService.ask`` (the bot's whole path:
embedding, retrieval, answer), interleaved, local and Postgres in turn, the one going first swapped every
question.  Reported per round: each store's p50/p95, the p95 ratio; then the median and range over rounds.
Then each store's dense and lexical search alone.  Recall@10: the HNSW index's ten (``PostgresView.dense_search``) against exact search over the same vectors,
for the questions' vectors and as many corpus vectors with noise.  Without ``--database-url`` a private
PostgreSQL (pgserver) is started in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pg  # noqa: E402
from index import text as textlib  # noqa: E402
from index.config import Settings  # noqa: E402
from index.embed import Embedder  # noqa: E402
from index.eval import question_texts  # noqa: E402
from index.lexical import query_tokens  # noqa: E402
from index.service import CrisisService  # noqa: E402
from index.store import portable  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WAR = ROOT / "tests" / "eval" / "war"
PER_DOCUMENT = 100


def war_paragraphs() -> list[str]:
    out: dict[str, None] = {}
    for path in sorted((WAR / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("language", "en") == "en":
                out.update(dict.fromkeys(record["paragraphs"]))
    return list(out)


def make_corpus(n: int, embedder: Embedder, seed: int = 0) -> portable.Corpus:
    """N recombined paragraphs with derived real vectors, 100 to a document."""
    rng = np.random.default_rng(seed)
    sources = war_paragraphs()
    vectors, sentences = embedder.encode_with_sentences(sources)
    tokens = [" ".join(textlib.lexical_tokens(t)) for t in sources]
    paragraphs, matrix, sentence_list = [], np.empty((n, embedder.dimension), np.float32), []
    for pid in range(1, n + 1):
        picked = rng.choice(len(sources), int(rng.integers(2, 4)), replace=False)
        text = " ".join(sources[i] for i in picked)
        title_tokens = " ".join(textlib.lexical_tokens(f"Dispatch {(pid - 1) // PER_DOCUMENT}"))
        mean = vectors[picked].mean(axis=0) + rng.standard_normal(embedder.dimension).astype(np.float32) * 0.02
        matrix[pid - 1] = mean / np.linalg.norm(mean)
        parts = [sentences[i] for i in picked]
        stacked = None if any(p is None for p in parts) else np.concatenate(parts)
        if stacked is not None and len(stacked) != len(textlib.sentence_spans(text)):
            stacked = None  # the joined text splits otherwise: its sentences are embedded when asked
        sentence_list.append(stacked)
        paragraphs.append({"id": pid, "text": text, "lex": f"{title_tokens} " + " ".join(tokens[i] for i in picked),
                           "sentences": None if stacked is None else len(stacked)})
    documents = [{"id": f"dispatch-{d}", "title": f"Dispatch {d}", "outlet": "Bench Wire", "date": f"2022-{3 + d % 9:02d}-{1 + d % 28:02d}",
                  "url": None, "origin": "bench", "meta": {}, "added_at": "2026-01-01T00:00:00+00:00",
                  "paragraphs": list(range(d * PER_DOCUMENT + 1, min(n, (d + 1) * PER_DOCUMENT) + 1))}
                 for d in range((n + PER_DOCUMENT - 1) // PER_DOCUMENT)]
    return portable.Corpus(embedder.name, embedder.dimension, documents, paragraphs, matrix, sentence_list)


def timed(service: CrisisService, question: str) -> float:
    start = time.perf_counter()
    service.ask(question)
    return (time.perf_counter() - start) * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def recall_at_10(view, corpus: portable.Corpus, queries: np.ndarray) -> float:
    ids = np.array([p["id"] for p in corpus.paragraphs])
    hits = 0
    for q in queries:
        exact = set(ids[np.argsort(-(corpus.vectors @ q), kind="stable")[:10]].tolist())
        hits += len(exact & {pid for pid, _ in view.dense_search(q, 10)})
    return hits / (10 * len(queries))


def parts(local_view, postgres_view, questions: list[str], vectors: np.ndarray) -> None:
    """Each store's dense and lexical search alone (50 candidates, as retrieval asks), interleaved."""
    times: dict[str, list[float]] = {}
    for question, vector in zip(questions, vectors):
        tokens = query_tokens(question)
        for name, view in (("local", local_view), ("postgres", postgres_view)):
            for part, search in (("dense", lambda: view.dense_search(vector, 50)), ("lexical", lambda: view.lexical_search(tokens, 50))):
                start = time.perf_counter()
                search()
                times.setdefault(f"{name} {part}", []).append((time.perf_counter() - start) * 1000)
    print("; ".join(f"{key} p50 {statistics.median(v):.1f} ms p95 {p95(v):.1f} ms" for key, v in times.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="a server to use (a database crisisbot_bench is made on it)")
    args = parser.parse_args()
    with pg.server(args.database_url, "crisisbot-pgbench-") as (admin, work):
        url = pg.fresh_database(admin, "crisisbot_bench")
        embedder = Embedder()
        embedder.load()
        started = time.perf_counter()
        corpus = make_corpus(args.paragraphs, embedder)
        print(f"corpus: {args.paragraphs} paragraphs, {len(corpus.documents)} documents in {time.perf_counter() - started:.0f} s", flush=True)
        local = CrisisService(Settings(_env_file=None, data_dir=work / "local"), embedder=embedder)
        postgres = CrisisService(Settings(_env_file=None, data_dir=work / "pg", database_url=url), embedder=embedder)
        for name, service in (("local", local), ("postgres", postgres)):
            started = time.perf_counter()
            portable.import_into(service.store, corpus, embedder.name)
            print(f"{name}: written in {time.perf_counter() - started:.0f} s", flush=True)
            service.warm()
        questions = question_texts(WAR / "dev.jsonl") + question_texts(WAR / "holdout.jsonl")
        for q in questions[:5]:  # warm both (caches, the first vocabulary read)
            local.ask(q), postgres.ask(q)
        ratios = []
        for r in range(args.rounds):
            times: dict[str, list[float]] = {"local": [], "postgres": []}
            for n, question in enumerate(questions):
                order = [("local", local), ("postgres", postgres)]
                for name, service in order if (n + r) % 2 == 0 else order[::-1]:
                    times[name].append(timed(service, question))
            ratio = p95(times["postgres"]) / p95(times["local"])
            ratios.append(ratio)
            print(f"round {r + 1}: {len(questions)} questions; local p50 {statistics.median(times['local']):.0f} ms p95 "
                  f"{p95(times['local']):.0f} ms; postgres p50 {statistics.median(times['postgres']):.0f} ms p95 "
                  f"{p95(times['postgres']):.0f} ms; p95 ratio {ratio:.2f}", flush=True)
        print(f"p95 ratio postgres/local: median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f} "
              f"over {args.rounds} rounds", flush=True)
        question_vectors = embedder.encode(questions)
        parts(local.snapshot(), postgres.snapshot(), questions, question_vectors)
        rng = np.random.default_rng(1)
        noisy = corpus.vectors[rng.choice(len(corpus.vectors), len(questions), replace=False)]
        noisy = noisy + rng.standard_normal(noisy.shape).astype(np.float32) * 0.05
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        view = postgres.snapshot()
        print(f"HNSW recall@10 against exact: questions {recall_at_10(view, corpus, question_vectors):.3f}, "
              f"corpus vectors with noise {recall_at_10(view, corpus, noisy):.3f} ({len(questions)} each)", flush=True)
        postgres.store.close()


if __name__ == "__main__":
    main()
