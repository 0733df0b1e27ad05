"""How batching and threads change the model's throughput on the derived corpus (the onnx session only).

    .venv/bin/python bench/embed_settings.py [--paragraphs 200] [--rounds 10] [--settings before,b640x2,...]

Each setting runs the same paragraphs through the same exported model; the settings run
interleaved, in a new random order every round, so a busy neighbour slows them alike.  Printed:
paragraphs per second, median and range over the rounds, and the median of the per-round
ratios to the first setting.  A setting is (how batches are sorted and cut, session threads,
batches run at once):

- ``before``: sorted by characters, 64 rows or 8,192 padded characters a batch, one session
  run at a time over both cores (onnxruntime's default threads): the Embedder until 2026-12-06;
- ``tokB`` / ``bB``: sorted by tokens, at most B rows / B padded tokens a batch, one run over both cores;
- ``bBx2``: B padded tokens a batch, single-threaded runs, two at once (the Embedder now, B=640).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus  # noqa: E402
from index.embed import Embedder  # noqa: E402
from index.embed.embedder import _batches  # noqa: E402
from index.embed.onnx_export import exported_model  # noqa: E402


def session(path: str, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def feeds(encodings, rows) -> dict:
    width = max(len(encodings[i].ids) for i in rows)
    ids = np.zeros((len(rows), width), np.int64)
    mask = np.zeros_like(ids)
    for r, i in enumerate(rows):
        ids[r, : len(encodings[i].ids)] = encodings[i].ids
        mask[r, : len(encodings[i].ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def plan(setting: str, texts: list[str], tokens: list[int]) -> tuple[list[np.ndarray], int, int]:
    """(batches as row lists, session threads (0: onnxruntime's default), runs at once)."""
    if setting == "before":
        costs, most, budget, threads, at_once = [len(t) for t in texts], 64, 8192, 0, 1
    elif setting.startswith("tok"):
        costs, most, budget, threads, at_once = tokens, int(setting[3:]), 10**9, 0, 1
    else:
        budget_text, _, parallel = setting[1:].partition("x")
        costs, most, budget = tokens, 64, int(budget_text)
        threads, at_once = (1, int(parallel)) if parallel else (0, 1)
    order = np.argsort([-c for c in costs], kind="stable")
    return [order[a:b] for a, b in _batches([costs[i] for i in order], most, budget)], threads, at_once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=200, help="derived-corpus paragraphs per setting and round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--settings", default="before,b640,b640x2,b1024x2,b2048x2", help="comma-separated, the first is the baseline")
    args = parser.parse_args()
    texts = [p for a in corpus.derived_articles(2000) for p in corpus.article_paragraphs(a)]
    random.Random(1).shuffle(texts)
    texts = texts[: args.paragraphs]
    embedder = Embedder(backend="onnx")
    tokenizer = embedder.model.tokenizer
    path = str(exported_model(Path(embedder.source), embedder.onnx_cache))
    encodings = tokenizer.encode_batch(texts)
    tokens = [len(e.ids) for e in encodings]
    names = args.settings.split(",")
    sessions = {threads: session(path, threads) for threads in (0, 1)}
    plans = {name: plan(name, texts, tokens) for name in names}
    pools = {at_once: ThreadPoolExecutor(at_once) for _, _, at_once in plans.values()}
    rates: dict[str, list[float]] = {name: [] for name in names}
    for number in range(args.rounds):
        order = list(names)
        random.Random(number).shuffle(order)
        for name in order:
            batches, threads, at_once = plans[name]
            inputs = [feeds(encodings, rows) for rows in batches]
            run = sessions[threads].run
            start = time.perf_counter()
            if at_once > 1:
                list(pools[at_once].map(lambda f: run(None, f), inputs))
            else:
                for f in inputs:
                    run(None, f)
            rates[name].append(len(texts) / (time.perf_counter() - start))
    first = rates[names[0]]
    print(f"{args.paragraphs} derived paragraphs ({sum(tokens) / len(tokens):.0f} tokens on average), {args.rounds} interleaved rounds, "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| setting | paragraphs/s median (range) | ratio to the first, median (range) |\n|---|---|---|")
    for name, values in rates.items():
        ratios = [v / f for v, f in zip(values, first)]
        print(f"| {name} | {statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f}) | "
              f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |")


if __name__ == "__main__":
    main()
