"""Two git revisions answering the same questions of one large base, question by question, interleaved.

    .venv/bin/python bench/scale_compare.py REV_A REV_B [--size 100000] [--passes 4] [--cache DIR]

The base is bench/scale_pipeline.py's (built by it when not cached; ``--size 0`` is the war corpus alone) and
the questions are its 216 English ones.  Each revision is unpacked (``git archive``) into a temporary folder
and served by a process of its own, started once and warmed; then every question goes to both, one after the
other, the one asked first alternating, for ``--passes`` passes.  Both processes are alive the whole time, so
a busy neighbour slows both alike.  Reported: each revision's p50, p95 and max per pass and over all passes,
the ratio B/A of p50 and p95 per pass (median, min-max), the load average during the run, and how many answers
differ between the two (passage ids, scores, text and note; 0 for a change meant to leave answers alone).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale_pipeline import data_dir, english_questions  # noqa: E402

from index.store import layout  # noqa: E402

# Runs in the revision's folder (PYTHONPATH): one JSON question per line in, one JSON line out.
CHILD = r"""
import datetime as dt, hashlib, json, sys, time
from pathlib import Path
from index.config import Settings
from index.service import CrisisService
service = CrisisService(Settings(_env_file=None, data_dir=Path(sys.argv[1])))
service.warm()
service.ask("What happened in Kharkiv?")  # a new index's first question reads its vocabulary
print("ready", flush=True)
for line in sys.stdin:
    asked = json.loads(line)
    today = dt.date.fromisoformat(asked["today"]) if asked["today"] else None
    start, cpu = time.perf_counter(), time.process_time()
    answer = service.ask(asked["q"], today=today)
    took, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    shown = json.dumps([answer.answer, answer.note, answer.abstained, [(p.id, round(p.score, 6)) for p in answer.passages]])
    print(json.dumps({"ms": took, "cpu": cpu, "digest": hashlib.sha256(shown.encode()).hexdigest()}), flush=True)
"""


def unpack(revision: str, parent: Path, n: int) -> Path:
    folder = parent / f"{n}-{revision.replace('/', '_')}"  # the same revision twice: an A/A run, to see the noise
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def serve(folder: Path, base: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(base)], cwd=folder, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    ready = child.stdout.readline().strip()
    if ready != "ready":
        raise SystemExit(f"the process for {folder.name} did not start: {ready!r}")
    return child


def ask(child: subprocess.Popen, question) -> dict:
    child.stdin.write(json.dumps({"q": question.q, "today": question.today.isoformat() if question.today else None}) + "\n")
    child.stdin.flush()
    return json.loads(child.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs=2, help="two git revisions: the one compared against, then the other")
    parser.add_argument("--size", type=int, default=100_000, help="paragraphs of the base (0: the war corpus alone)")
    parser.add_argument("--passes", type=int, default=4)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "crisisbot-scale-pipeline")
    args = parser.parse_args()
    base = data_dir(args.size, args.cache)
    if layout.current_folder(base) is None:
        subprocess.run([sys.executable, str(ROOT / "bench" / "scale_pipeline.py"), "--build-only", "--sizes", str(args.size),
                        "--cache", str(args.cache)], check=True)
    questions = english_questions()
    with tempfile.TemporaryDirectory() as parent:
        children = [serve(unpack(revision, Path(parent), n), base) for n, revision in enumerate(args.revisions)]
        times: list[list[list[float]]] = [[[] for _ in range(args.passes)] for _ in children]
        cpu: list[list[float]] = [[] for _ in children]
        differ, loads = 0, [os.getloadavg()[0]]
        for p in range(args.passes):
            for n, question in enumerate(questions):
                order = [0, 1] if (n + p) % 2 == 0 else [1, 0]
                got = {}
                for which in order:
                    got[which] = ask(children[which], question)
                    times[which][p].append(got[which]["ms"])
                    cpu[which].append(got[which]["cpu"])
                differ += got[0]["digest"] != got[1]["digest"]
                if n % 50 == 0:
                    loads.append(os.getloadavg()[0])
        loads.append(os.getloadavg()[0])
        for child in children:
            child.stdin.close()
            child.wait()
    _report(args, questions, times, cpu, differ, loads)


def _report(args, questions, times, cpu, differ, loads) -> None:
    a, b = args.revisions
    print(f"{len(questions)} English questions (war dev + holdout), base of {args.size:,} paragraphs, {args.passes} passes, "
          f"{a} and {b} interleaved; load average 1 min: median {statistics.median(loads):.1f} "
          f"({min(loads):.1f}-{max(loads):.1f}); answers that differ: {differ} of {len(questions) * args.passes}")
    print("| revision | p50 (ms) per pass | p95 (ms) per pass | p50 / p95 / max, all passes | CPU p50 / p95 (ms) |")
    print("|---|---|---|---|---|")
    for name, runs, spent in zip(args.revisions, times, cpu):
        every = [t for run in runs for t in run]
        print(f"| {name} | {' '.join(f'{statistics.median(r):.1f}' for r in runs)} | "
              f"{' '.join(f'{np.percentile(r, 95):.1f}' for r in runs)} | {statistics.median(every):.1f} / "
              f"{np.percentile(every, 95):.1f} / {max(every):.0f} | {statistics.median(spent):.1f} / {np.percentile(spent, 95):.1f} |")
    for label, measure in (("p50", statistics.median), ("p95", lambda r: float(np.percentile(r, 95)))):
        ratios = [measure(rb) / measure(ra) for ra, rb in zip(*times)]
        print(f"{label} {b}/{a}: median {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) over {len(ratios)} passes")


if __name__ == "__main__":
    main()
