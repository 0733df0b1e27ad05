"""Index build throughput of several git revisions of crisisbot, interleaved in rounds (A B, A B, ...).

    .venv/bin/python bench/build_revisions.py REV [REV ...] [--rounds 5] [--paragraphs 2000]

Each revision is exported once (``git archive``) into a temporary folder; each round runs every
revision in its own fresh process, which loads the model (not timed) and builds an index of the
same derived corpus (bench/corpus.py of this checkout, written once) and of the bundled corpus
(median of three builds), through ``CrisisService.build``.  Revisions run one after the other
inside a round, so a busy neighbour slows them alike; the report gives each revision's median
paragraphs per second over the rounds and its ratio to the first revision per round (median,
min-max), which is what to trust on a shared machine.  bench/revisions.py does the same for questions.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus  # noqa: E402
from bench.revisions import child_result  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the revision's folder (PYTHONPATH points there, ahead of any installed checkout).
CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
from index.config import BUNDLED_CORPUS, Settings
from index.embed import Embedder
from index.service import CrisisService
work, derived, paragraphs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
embedder = Embedder()
embedder.load()
def build(name, source):
    service = CrisisService(Settings(_env_file=None, data_dir=work / name), embedder=embedder)
    start = time.perf_counter()
    service.build([source])
    return time.perf_counter() - start
seconds = build("derived", derived)
bundled = statistics.median(build(f"bundled-{i}", BUNDLED_CORPUS) for i in range(3))
print(json.dumps({"derived_pps": paragraphs / seconds, "bundled_s": bundled}))
"""


def export(revision: str, parent: Path) -> Path:
    folder = parent / revision.replace("/", "_")
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run(folder: Path, work: Path, derived: Path, paragraphs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(folder), "PYTHONWARNINGS": "ignore"}
    return child_result(folder, env, CHILD, [str(work), str(derived), str(paragraphs)], 1800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+", help="git revisions; the first is the baseline of the ratios")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paragraphs", type=int, default=2000, help="size of the derived corpus")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="crisisbot-build-revisions-") as tmp:
        parent = Path(tmp)
        derived = corpus.write_jsonl(corpus.derived_articles(args.paragraphs), parent / "derived.jsonl")
        folders = {rev: export(rev, parent / "revisions") for rev in args.revisions}
        figures: dict[str, list[dict]] = {rev: [] for rev in args.revisions}
        loads = []
        for number in range(args.rounds):
            for index, (rev, folder) in enumerate(folders.items()):
                figures[rev].append(run(folder, parent / f"round-{number}-{index}", derived, args.paragraphs))
            loads.append(os.getloadavg()[0])
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
    base = figures[args.revisions[0]]
    print(f"{args.paragraphs} derived paragraphs; bundled corpus: median of 3 builds; {args.rounds} interleaved rounds; "
          f"{os.cpu_count()} CPUs; load average (1 min) after each round: {' '.join(f'{x:.1f}' for x in loads)}")
    print("| revision | derived paragraphs/s (median) | ratio to the first: median (min-max) | bundled build s (median) | bundled time ratio: median (min-max) |")
    print("|---|---|---|---|---|")
    for rev in args.revisions:
        rows = figures[rev]
        derived_ratio = [r["derived_pps"] / b["derived_pps"] for r, b in zip(rows, base)]
        bundled_ratio = [r["bundled_s"] / b["bundled_s"] for r, b in zip(rows, base)]
        print(
            f"| {rev} | {statistics.median(r['derived_pps'] for r in rows):.1f} | "
            f"{statistics.median(derived_ratio):.2f}x ({min(derived_ratio):.2f}-{max(derived_ratio):.2f}) | "
            f"{statistics.median(r['bundled_s'] for r in rows):.2f} | "
            f"{statistics.median(bundled_ratio):.2f}x ({min(bundled_ratio):.2f}-{max(bundled_ratio):.2f}) |"
        )


if __name__ == "__main__":
    main()
