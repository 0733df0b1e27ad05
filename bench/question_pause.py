"""How a pause before a question slows its embedding: the first questions after idle time, or after a build.

    .venv/bin/python bench/question_pause.py [--rounds 5] [--burst 8]

Benchmarks ask questions back to back; a bot is asked one now and then.  Each round is a fresh
process: it loads the model (the Embedder's question session), embeds the same question 30 times
to settle, then after each pause (0, 10 ms, 50 ms, 200 ms, 1 s) a burst of ``--burst`` questions
back to back, each timed.  Printed per pause: the median over the rounds of each position in the
burst (ms), so the first number is a question asked after that pause and the last one a question
asked with the model busy.  Load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAUSES = (0.0, 0.01, 0.05, 0.2, 1.0)

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from index.embed import Embedder
burst, pauses = int(sys.argv[2]), [float(p) for p in sys.argv[3].split(",")]
embedder = Embedder()
embedder.load()
question = "Which US diplomat did Russia kick out of Moscow?"
for _ in range(30):
    embedder.encode_one(question)
times = {}
for pause in pauses:
    time.sleep(pause)
    took = []
    for _ in range(burst):
        start = time.perf_counter()
        embedder.encode_one(question)
        took.append((time.perf_counter() - start) * 1000)
    times[str(pause)] = took
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=8, help="questions back to back after each pause")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rounds = []
    for _ in range(args.rounds):
        done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(args.burst), ",".join(map(str, PAUSES))],
                              capture_output=True, text=True, check=True)
        rounds.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for pause in PAUSES:
        medians = [statistics.median(r[str(pause)][i] for r in rounds) for i in range(args.burst)]
        print(f"after {pause * 1000:>6.0f} ms idle: " + " ".join(f"{m:.1f}" for m in medians))


if __name__ == "__main__":
    main()
