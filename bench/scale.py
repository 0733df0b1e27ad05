"""The dense index at 10k, 100k and 1M paragraphs: index type, build, p50/p95, recall@10, memory.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--queries 200]

Pure index part (index/ann.py), without question embedding: synthetic unit
vectors of dimension 384, drawn as clusters around 2,000 random topics (real
sentence embeddings are clustered too; uniformly random vectors have no
neighbourhood structure for any ANN index to use).  Queries are fresh draws
from the same mixture.  Recall@10 is against exact search over the same
vectors; latency is one query at a time, as the bot asks.  Each size also
removes 1,000 ids and re-checks, since the index must keep removal by id.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.ann import VectorIndex  # noqa: E402

DIM = 384
TOPICS = 2000


def unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def draw(rng: np.random.Generator, centers: np.ndarray, n: int, spread: float = 0.8) -> np.ndarray:
    out = np.empty((n, DIM), np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        noise = rng.standard_normal((m, DIM), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        out[start : start + m] = unit(centers[rng.integers(0, TOPICS, m)] + spread * noise)
    return out


def latency(index: VectorIndex, queries: np.ndarray) -> tuple[float, float, np.ndarray]:
    times, found = [], []
    for q in queries:
        start = time.perf_counter()
        _, ids = index.search(q[None, :], 10)
        times.append((time.perf_counter() - start) * 1000)
        found.append(ids[0])
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], np.vstack(found)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))


def exact_truth(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Exact top-10 by blocked matrix products (no second copy of a 1M index)."""
    best_scores = np.full((len(queries), 10), -np.inf, np.float32)
    best_ids = np.zeros((len(queries), 10), np.int64)
    for start in range(0, len(vectors), 200_000):
        block = queries @ vectors[start : start + 200_000].T
        top = np.argpartition(-block, 10, axis=1)[:, :10]
        scores = np.take_along_axis(block, top, axis=1)
        merged_scores = np.hstack([best_scores, scores])
        merged_ids = np.hstack([best_ids, ids[start + top]])
        keep = np.argsort(-merged_scores, axis=1)[:, :10]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best_ids = np.take_along_axis(merged_ids, keep, axis=1)
    return best_ids


def run(size: int, queries_n: int, rng: np.random.Generator, centers: np.ndarray, folder: Path, spread: float) -> dict:
    vectors = draw(rng, centers, size, spread)
    ids = np.arange(1, size + 1, dtype=np.int64)
    queries = draw(rng, centers, queries_n, spread)
    truth = exact_truth(vectors, ids, queries)

    index = VectorIndex(DIM)
    start = time.perf_counter()
    index.add(vectors, ids)
    index.fit()
    build_s = time.perf_counter() - start
    p50, p95, found = latency(index, queries)
    path = folder / f"{size}.faiss"
    index.save(path)
    file_bytes = path.stat().st_size

    removed = ids[rng.choice(size, 1000, replace=False)]
    start = time.perf_counter()
    index.remove(removed)
    remove_ms = (time.perf_counter() - start) * 1000
    _, after = index.search(queries, 10)
    still_there = np.isin(after, removed).sum()
    loaded = VectorIndex.load(path)
    same = bool(np.array_equal(loaded.search(queries[:20], 10)[1], found[:20]))
    row = {
        "paragraphs": size,
        "index": index.describe(),
        "build_s": build_s,
        "p50_ms": p50,
        "p95_ms": p95,
        "recall_at_10": recall(found, truth),
        "bytes_per_paragraph": file_bytes / size,
        "remove_1000_ms": remove_ms,
        "removed_ids_returned": int(still_there),
        "load_round_trip_same": same,
    }
    del index, loaded, vectors
    gc.collect()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--spread", type=float, default=1.2, help="noise norm around a topic: larger is harder")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    centers = unit(rng.standard_normal((TOPICS, DIM), dtype=np.float32))
    rows = []
    with tempfile.TemporaryDirectory(prefix="crisisbot-scale-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"size {size} ...", file=sys.stderr, flush=True)
            rows.append(run(size, args.queries, rng, centers, Path(tmp), args.spread))
    print("| paragraphs | index | build (s) | p50 (ms) | p95 (ms) | recall@10 | bytes/paragraph | remove 1,000 ids (ms) | removed ids returned | save/load same |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['paragraphs']:,} | {r['index']} | {r['build_s']:.1f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['recall_at_10']:.3f} "
            f"| {r['bytes_per_paragraph']:.0f} | {r['remove_1000_ms']:.1f} | {r['removed_ids_returned']} | {r['load_round_trip_same']} |"
        )


if __name__ == "__main__":
    main()
