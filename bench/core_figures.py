"""Issue-2 figures: bundled-corpus build time and took_ms over 20 questions.

    .venv/bin/python bench/core_figures.py [--runs 3]

Builds into a temporary data dir (the model load is timed separately), then
asks 20 questions (15 on topic, 5 off topic) and reports took_ms p50/p95.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from index.eval import percentile

QUESTIONS = [
    "Who did Blinken write to proposing a meeting?",
    "What did Boris Johnson accuse Russia of?",
    "What is Minsk II?",
    "Who was expelled from the US embassy in Moscow?",
    "Is Russia withdrawing its troops?",
    "What did Lloyd Austin say about Russian forces?",
    "What does Liz Truss think about China?",
    "What happened to the kindergarten in Stanytsia Luhanska?",
    "Why did Blinken address the UN Security Council?",
    "What false flag operations is Russia accused of?",
    "What are the conditions of the Minsk agreement?",
    "What did Biden say about an attack on Ukraine?",
    "How long did the Gorman have left in Russia?",
    "What sanctions will the UK apply?",
    "What is the OSCE?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "Who won the 2018 World Cup?",
    "What is the price of Bitcoin?",
    "Best pizza recipe",
]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="builds to time (the median is reported)")
    args = parser.parse_args()

    from index.config import Settings
    from index.embed import Embedder
    from index.service import CrisisService

    start = time.perf_counter()
    embedder = Embedder()
    embedder.load()
    load_s = time.perf_counter() - start

    builds = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            svc = CrisisService(Settings(_env_file=None, data_dir=Path(tmp) / f"d{i}"), embedder=embedder)
            result = svc.build()
            builds.append(result.seconds)
        paragraphs = result.manifest["paragraphs"]
        svc.warm()
        took = [svc.ask(q).took_ms for q in QUESTIONS]
        abstained = sum(svc.ask(q).abstained for q in QUESTIONS[15:])

    print(f"model load (once per process)      {load_s:6.2f} s")
    print(f"bundled corpus build (median of {args.runs})  {statistics.median(builds):6.2f} s  ({paragraphs} paragraphs, "
          f"{paragraphs / statistics.median(builds):.0f} paragraphs/s)")
    print(f"took_ms over {len(took)} questions            p50 {percentile(took, 0.5):6.1f} ms   p95 {percentile(took, 0.95):6.1f} ms   max {max(took):6.1f} ms")
    print(f"off-topic questions refused         {abstained}/5")


if __name__ == "__main__":
    main()
