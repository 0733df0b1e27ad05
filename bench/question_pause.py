"""How a pause before a question slows its embedding: the first questions after idle time, or after a build.

    .venv/bin/python bench/question_pause.py [--rounds 5] [--burst 8] [--sessions 1,0]

Benchmarks ask questions back to back; a bot is asked one now and then.  Each round is a fresh
process: it loads the model (the Embedder's question session), embeds the same question 30 times
to settle, then after each pause (0, 10 ms, 50 ms, 200 ms, 1 s) a burst of ``--burst`` questions
back to back, each timed.  Printed per pause: the median over the rounds of each position in the
burst (ms), so the first number is a question asked after that pause and the last one a question
asked with the model busy.  Load average before and after.  ``--sessions``: the onnx sessions to
compare, by intra-op threads (1: the question session; 0: the session over every core), each in
its own process, in turn within a round.
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
burst, pauses, threads = int(sys.argv[2]), [float(p) for p in sys.argv[3].split(",")], int(sys.argv[4])
embedder = Embedder(backend="onnx")
model = embedder.model
session = model.session(threads)
question = "Which US diplomat did Russia kick out of Moscow?"


def embed():
    vector = model._forward(session, [question])[0].vector
    return vector / max(float((vector ** 2).sum()) ** 0.5, 1e-12)


for _ in range(30):
    embed()
times = {}
for pause in pauses:
    time.sleep(pause)
    took = []
    for _ in range(burst):
        start = time.perf_counter()
        embed()
        took.append((time.perf_counter() - start) * 1000)
    times[str(pause)] = took
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=8, help="questions back to back after each pause")
    parser.add_argument("--sessions", default="1", help="comma-separated intra-op threads: 1 (the question session), 0 (every core)")
    args = parser.parse_args()
    sessions = [int(t) for t in args.sessions.split(",")]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rounds: dict[int, list[dict]] = {threads: [] for threads in sessions}
    for number in range(args.rounds):
        for threads in sessions[number % len(sessions):] + sessions[: number % len(sessions)]:
            done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(args.burst), ",".join(map(str, PAUSES)), str(threads)],
                                  capture_output=True, text=True, check=True)
            rounds[threads].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for threads in sessions:
        print(f"session with {threads or 'every core'} thread{'s' if threads != 1 else ''}:")
        for pause in PAUSES:
            medians = [statistics.median(r[str(pause)][i] for r in rounds[threads]) for i in range(args.burst)]
            print(f"  after {pause * 1000:>6.0f} ms idle: " + " ".join(f"{m:.1f}" for m in medians))


if __name__ == "__main__":
    main()
