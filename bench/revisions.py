"""Question latency of several git revisions of crisisbot, interleaved in rounds (A B C, A B C, ...).

    .venv/bin/python bench/revisions.py REV [REV ...] [--rounds 5] [--corpus PATH --questions QA.jsonl]

Each revision is checked out once into a temporary worktree; each round runs every revision in
its own fresh process (model load and bundled-corpus build not timed), which answers every
dev-set question (tests/eval/dev.jsonl of that revision) after five warm-up questions and
reports the latencies of ``CrisisService.ask``.  Revisions run one after the other inside a
round, so a busy neighbour slows them alike; the report gives each revision's median p50 and
p95 over the rounds, and its ratio to the first revision per round (median, min-max), which is
what to trust on a shared machine.  For a refactor: the ratios should stay near 1.
``--corpus`` and ``--questions`` (paths in this checkout) give every revision the same corpus and
questions instead of its own bundled corpus and dev set: e.g. tests/eval/war/corpus and its dev.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from index.eval import percentile

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the revision's worktree (PYTHONPATH points there, ahead of the installed checkout).
CHILD = r"""
import json, sys, time
from pathlib import Path
from index.config import Settings
from index.service import CrisisService
data_dir, corpus, qa = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
service = CrisisService(Settings(_env_file=None, data_dir=data_dir))
if not service.has_index():
    service.build([Path(corpus)] if corpus else None)
service.warm()
questions = [json.loads(line)["q"] for line in Path(qa or "tests/eval/dev.jsonl").read_text().splitlines() if line.strip()]
for q in questions[:5]:
    service.ask(q)
took = []
for q in questions:
    start = time.perf_counter()
    service.ask(q)
    took.append((time.perf_counter() - start) * 1000)
print(json.dumps(took))
"""



def worktree(revision: str, parent: Path) -> Path:
    folder = parent / revision.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(folder), revision], check=True)
    return folder


def child_result(folder: Path, env: dict, child: str, argv: list[str], timeout: int):
    """What a fresh Python process running ``child`` in the revision at ``folder`` prints last, as JSON; its
    error (the end of its stderr) ends the bench."""
    done = subprocess.run([sys.executable, "-c", child, *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{folder.name}: {done.stderr.strip()[-2000:] or done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(folder: Path, data_dir: Path, corpus: str = "", questions: str = "") -> list[float]:
    env = {"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    return child_result(folder, env, CHILD, [str(data_dir), corpus, questions], 900)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+", help="git revisions; the first is the baseline of the ratios")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="build every revision's index from this corpus (default: its bundled one)")
    parser.add_argument("--questions", type=Path, help="ask these questions (QA JSON Lines; default: each revision's dev set)")
    args = parser.parse_args()
    corpus = str(args.corpus.resolve()) if args.corpus else ""
    questions = str(args.questions.resolve()) if args.questions else ""
    with tempfile.TemporaryDirectory(prefix="crisisbot-revisions-") as tmp:
        parent = Path(tmp)
        folders = {rev: worktree(rev, parent) for rev in args.revisions}
        try:
            figures: dict[str, list[tuple[float, float]]] = {rev: [] for rev in args.revisions}
            for round_number in range(args.rounds):
                for rev, folder in folders.items():
                    took = run(folder, parent / f"data-{folder.name}", corpus, questions)
                    figures[rev].append((percentile(took, 0.5), percentile(took, 0.95)))
                print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for folder in folders.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False)
    base = figures[args.revisions[0]]
    print("| revision | p50 ms (median of rounds) | p95 ms | p50 ratio to the first: median (min-max) | p95 ratio: median (min-max) |")
    print("|---|---|---|---|---|")
    for rev in args.revisions:
        rows = figures[rev]
        p50 = [r[0] / b[0] for r, b in zip(rows, base)]
        p95 = [r[1] / b[1] for r, b in zip(rows, base)]
        print(
            f"| {rev} | {statistics.median(r[0] for r in rows):.1f} | {statistics.median(r[1] for r in rows):.1f} | "
            f"{statistics.median(p50):.2f} ({min(p50):.2f}-{max(p50):.2f}) | {statistics.median(p95):.2f} ({min(p95):.2f}-{max(p95):.2f}) |"
        )


if __name__ == "__main__":
    main()
