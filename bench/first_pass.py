"""Where a fresh process's questions spend their time, first pass against second (``make bench``'s query figures).

    .venv/bin/python bench/first_pass.py [--rounds 3] [--corpus PATH --questions QA.jsonl] [--after-build 2000]

Each round is a fresh process: it builds the bundled corpus (or ``--corpus``) into a temporary
folder, loads it as a new service, warms it (``CrisisService.warm``) and asks the five warm-up
questions of bench/compare.py, then every question of the set twice (first pass, second pass),
each part of ``ask`` timed by bench/stages.py.  Printed per round: p50/p95 of both passes and
the slowest questions of the first (ms, position in the set, question); after the rounds, the stage
table of the last round.  ``--after-build N`` first builds N paragraphs of the derived corpus
(bench/corpus.py) in the same process, with the same model, as bench/compare.py's measuring
process does before its questions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.compare import WARM_UP
from bench.stages import StageTimer
from index.config import Settings
from index.eval import percentile
from index.service import CrisisService
corpus, qa, after_build = sys.argv[2], sys.argv[3], int(sys.argv[4])
timer = StageTimer()
with tempfile.TemporaryDirectory() as folder:
    embedder = None
    if after_build:
        from bench import corpus as derived
        from bench.systems import Crisisbot
        system = Crisisbot()
        system.load_model()
        records = [{"text": p, "title": a["title"], "url": a["url"], "date": a["date"]}
                   for a in derived.derived_articles(after_build) for p in derived.article_paragraphs(a)]
        system.build(Path(folder) / "derived", records)
        embedder = system.embedder
    CrisisService(Settings(_env_file=None, data_dir=folder), embedder=embedder).build([Path(corpus)] if corpus else None)
    service = CrisisService(Settings(_env_file=None, data_dir=folder), embedder=embedder)
    service.warm()
    for question in WARM_UP:
        service.ask(question)
    questions = [json.loads(line)["q"] for line in Path(qa).read_text().splitlines() if line.strip()]
    passes = []
    for number in (1, 2):
        took = []
        with timer.size(number):
            for question in questions:
                start = time.perf_counter()
                service.ask(question)
                took.append((time.perf_counter() - start) * 1000)
        passes.append(took)
    slowest = sorted(zip(passes[0], range(1, len(questions) + 1), questions), reverse=True)[:3]
    print(json.dumps({"p50": [percentile(t, 0.5) for t in passes], "p95": [percentile(t, 0.95) for t in passes],
                      "slowest": [[round(ms, 1), n, q] for ms, n, q in slowest], "table": timer.table([1, 2])}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", default="", help="a corpus to build instead of the bundled one")
    parser.add_argument("--questions", default=str(ROOT / "tests" / "eval" / "dev.jsonl"))
    parser.add_argument("--after-build", type=int, default=0, metavar="N",
                        help="first build N derived-corpus paragraphs in the same process (as bench/compare.py does)")
    args = parser.parse_args()
    report = {}
    for number in range(1, args.rounds + 1):
        done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), args.corpus, args.questions, str(args.after_build)],
                              capture_output=True, text=True, check=True)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        (p1, p2), (q1, q2) = report["p50"], report["p95"]
        print(f"round {number}: first pass p50 {p1:.1f} ms p95 {q1:.1f} ms; second pass p50 {p2:.1f} ms p95 {q2:.1f} ms; "
              f"slowest first: {report['slowest']}")
    print(report["table"])


if __name__ == "__main__":
    main()
