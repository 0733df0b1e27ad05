"""Embedding backends side by side: torch, onnx, onnx-int8 (CRISISBOT_BACKEND).

    .venv/bin/python bench/backends.py [--paragraphs 1000]

Per backend: model load (the ONNX export is cached after its first run, which
is timed separately), embedding throughput on the derived corpus, one-question
latency, agreement with torch (cosine of the same texts; top-5 overlap of the
retrieved passages over the dev-set questions against the torch-built index)
and answer quality from ``crisisbot eval tests/eval/dev.jsonl --source
index/corpus`` run with CRISISBOT_BACKEND set (an index built and queried with
that backend).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus  # noqa: E402
from index.config import Settings  # noqa: E402
from index.embed import BACKENDS as ALL_BACKENDS  # noqa: E402
from index.embed import Embedder  # noqa: E402
from index.service import CrisisService  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = tuple(b for b in ALL_BACKENDS if b != "auto")  # "auto" is onnx for the bundled model


def quality(backend: str) -> dict:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/crisisbot"), "eval", str(corpus.DEV_SET), "--source", str(ROOT / "index/corpus"), "--json"],
        capture_output=True, text=True, env={**os.environ, "CRISISBOT_BACKEND": backend, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    report = json.loads(done.stdout)[0]
    return {"mrr": report["mrr"], "recall_at_1": report["recall"]["@1"], "abstention_precision": report["abstention_precision"],
            "abstention_recall": report["abstention_recall"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=1000)
    args = parser.parse_args()
    texts = [p for a in corpus.derived_articles(args.paragraphs) for p in corpus.article_paragraphs(a)]
    questions = corpus.questions()
    rows = []
    with tempfile.TemporaryDirectory(prefix="crisisbot-backends-") as tmp:
        os.environ["CRISISBOT_ONNX_CACHE"] = str(Path(tmp) / "onnx-cache")
        reference = None
        reference_vectors = None
        for backend in BACKENDS:
            row: dict = {"backend": backend}
            first = Embedder(backend=backend)
            start = time.perf_counter()
            first.load()
            row["first_load_s"] = time.perf_counter() - start  # includes the one-off export
            embedder = Embedder(backend=backend)
            start = time.perf_counter()
            embedder.load()
            row["load_s"] = time.perf_counter() - start
            del first
            embedder.encode(texts[:64])
            start = time.perf_counter()
            vectors = embedder.encode(texts)
            row["paragraphs_per_s"] = len(texts) / (time.perf_counter() - start)
            times = []
            for q in questions:
                start = time.perf_counter()
                embedder.encode_one(q)
                times.append((time.perf_counter() - start) * 1000)
            row["question_ms_p50"] = statistics.median(times)
            if reference is None:
                reference = CrisisService(Settings(_env_file=None, data_dir=Path(tmp) / "data"), embedder=embedder)
                reference.build()
                reference_vectors = vectors
            service = CrisisService(Settings(_env_file=None, data_dir=Path(tmp) / "data"), embedder=embedder)
            overlaps = []
            for q in questions:
                ours = {p.id for p in service.retrieve(q, 5)[2]}
                theirs = {p.id for p in reference.retrieve(q, 5)[2]}
                overlaps.append(len(ours & theirs) / max(len(theirs), 1))
            row["top5_overlap"] = statistics.mean(overlaps)
            row["min_cosine_vs_torch"] = float((vectors * reference_vectors).sum(axis=1).min())
            row.update(quality(backend))
            rows.append(row)
            print(f"{backend} done", file=sys.stderr, flush=True)
    base = rows[0]
    print("| backend | load (s) | first load incl. export (s) | paragraphs/s | speed-up | question embed p50 (ms) | min cosine vs torch | top-5 overlap vs torch | MRR (final) | R@1 | abstain P | abstain R |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['load_s']:.1f} | {r['first_load_s']:.1f} | {r['paragraphs_per_s']:.0f} | {r['paragraphs_per_s'] / base['paragraphs_per_s']:.2f}x "
            f"| {r['question_ms_p50']:.1f} | {r['min_cosine_vs_torch']:.4f} | {r['top5_overlap']:.3f} | {r['mrr']:.3f} | {r['recall_at_1']:.3f} "
            f"| {r['abstention_precision']:.3f} | {r['abstention_recall']:.3f} |"
        )


if __name__ == "__main__":
    main()
