"""crisisbot against LangChain's FAISS vectorstore and Chroma, side by side (``make bench``).

    .venv/bin/python bench/compare.py [--rounds 3] [--paragraphs 2000] [--systems crisisbot,crisisbot-torch,langchain,chroma]

Every system runs in its own process (so peak RSS is its own) with the same
bundled model, corpus and questions.  The systems run interleaved in rounds
(A B C, A B C, ...): each round runs every system's measuring process and then
its cold-start process, one system after the other, so a busy neighbour slows
the systems of a round alike.  Measured per round:

- build: the bundled corpus (50 paragraphs, median of five builds) and a derived corpus of
  ``--paragraphs`` paragraphs (bench/corpus.py), paragraphs per second, the
  model load timed apart;
- query: every dev-set question (57) on the bundled-corpus index, question in,
  cited answer out, p50/p95 after 5 warm-up questions;
- add: one more 50-paragraph article into the derived index, persisted;
- cold: a fresh process that loads the persisted bundled index and answers one
  question, timed from process start to the answer;
- second pass: the same questions again (crisisbot keeps the vectors of answer
  sentences it has embedded; a bot that has been up a while is in this state);
- peak RSS of the measuring process and of the cold process.

The table gives per system the median of each figure over the rounds, and per
crisisbot/peer pair the median of the per-round ratios with their range (min-max over
the rounds): ``1.42x (1.31-1.55)``.  A ratio is taken within one round, so it is what to
trust on a shared machine; the absolute figures move with the neighbours.  Ratios are
each crisisbot variant's figure over each peer's (throughput: above 1 means crisisbot
is faster; times and memory: below 1 means crisisbot is lower).  ``--json`` adds the raw
figures of every round.  Needs the
``bench`` extra: ``.venv/bin/pip install -e ".[bench,dev]"``.  To compare crisisbot's own
revisions' builds, interleaved the same way: ``bench/build_revisions.py REV REV``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus  # noqa: E402
from index.eval import percentile  # noqa: E402

COLD_QUESTION = "Who did Blinken write to proposing a meeting?"
WARM_UP = ["What is Minsk II?", "What did Lloyd Austin say?", "Is Russia withdrawing?", "Who is Liz Truss?", "What is NATO?"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, paragraphs: int, folder: Path) -> dict:
    from bench.systems import make

    system = make(name)
    result: dict = {"system": system.name}
    start = time.perf_counter()
    system.load_model()
    result["model_load_s"] = time.perf_counter() - start

    bundled = corpus.bundled_paragraphs()
    derived = [
        {"text": p, "title": a["title"], "url": a["url"], "date": a["date"]}
        for a in corpus.derived_articles(paragraphs)
        for p in corpus.article_paragraphs(a)
    ]
    extra = corpus.derived_articles(50, seed=1)[0]
    added = [{"text": p, "title": extra["title"], "url": extra["url"], "date": extra["date"]} for p in corpus.article_paragraphs(extra)]

    start = time.perf_counter()
    system.build(folder / "derived", derived)
    seconds = time.perf_counter() - start
    result["derived_paragraphs"] = len(derived)
    result["build_derived_s"] = seconds
    result["build_derived_pps"] = len(derived) / seconds

    start = time.perf_counter()
    system.add(added)
    result["add_article_s"] = time.perf_counter() - start

    times = []  # half a second each: the median of five, the last one kept for the queries
    for name in ("bundled-1", "bundled-2", "bundled-3", "bundled-4", "bundled"):
        start = time.perf_counter()
        system.build(folder / name, bundled)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    result["build_bundled_s"] = seconds
    result["build_bundled_pps"] = len(bundled) / seconds

    for question in WARM_UP:
        system.ask(question)
    latencies = []
    answered = 0
    for question in corpus.questions():
        start = time.perf_counter()
        answer = system.ask(question)
        latencies.append((time.perf_counter() - start) * 1000)
        answered += "[1]" in answer
    result["query_p50_ms"] = statistics.median(latencies)
    result["query_p95_ms"] = percentile(latencies, 0.95)
    repeat = []  # the same questions again: a bot that has been up a while
    for question in corpus.questions():
        start = time.perf_counter()
        system.ask(question)
        repeat.append((time.perf_counter() - start) * 1000)
    result["repeat_p50_ms"] = statistics.median(repeat)
    result["repeat_p95_ms"] = percentile(repeat, 0.95)
    result["questions"] = len(latencies)
    result["answers_with_citation"] = answered
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def cold(name: str, folder: Path) -> dict:
    """Run in a fresh process: load the persisted bundled index, answer one question."""
    from bench.systems import make

    system = make(name)
    system.load_model()
    system.open(folder / "bundled")
    answer = system.ask(COLD_QUESTION)
    return {"answer": answer[:80], "peak_rss_mb": _peak_rss_mb()}


def _child(args: list[str]) -> tuple[dict, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), seconds


ROWS = [  # (label, key, format)
    ("build throughput, derived corpus (paragraphs/s)", "build_derived_pps", "{:.0f}"),
    ("build throughput, bundled corpus (paragraphs/s)", "build_bundled_pps", "{:.0f}"),
    ("query latency p50 (ms)", "query_p50_ms", "{:.1f}"),
    ("query latency p95 (ms)", "query_p95_ms", "{:.1f}"),
    ("query latency p50, second pass (ms)", "repeat_p50_ms", "{:.1f}"),
    ("query latency p95, second pass (ms)", "repeat_p95_ms", "{:.1f}"),
    ("add one 50-paragraph article (s)", "add_article_s", "{:.2f}"),
    ("cold start to first answer (s)", "cold_s", "{:.1f}"),
    ("peak RSS, build + queries (MB)", "peak_rss_mb", "{:.0f}"),
    ("peak RSS, cold process (MB)", "cold_rss_mb", "{:.0f}"),
    ("model load (s)", "model_load_s", "{:.1f}"),
]


def ratio_cell(ours: list[float], theirs: list[float]) -> str:
    """The median of the per-round ratios, with their range when there is more than one round."""
    ratios = [o / t for o, t in zip(ours, theirs) if t]
    if not ratios:
        return "-"
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def table(rounds: list[list[dict]]) -> str:
    """``rounds``: per round, every system's figures (same systems, same order, in every round)."""
    systems = [r["system"] for r in rounds[0]]
    by_system = [{r["system"]: r for r in one} for one in rounds]
    figures = {name: {key: [one[name][key] for one in by_system] for _, key, _ in ROWS} for name in systems}
    ours = [s for s in systems if s.startswith("crisisbot")]
    peers = [s for s in systems if not s.startswith("crisisbot")]
    pairs = [(o, p) for o in ours for p in peers]
    head = ["measure", *systems, *[f"{o} / {p}" for o, p in pairs]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, key, fmt in ROWS:
        cells = [
            label,
            *[fmt.format(statistics.median(figures[s][key])) for s in systems],
            *[ratio_cell(figures[o][key], figures[p][key]) for o, p in pairs],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (A B C, A B C, ...); medians over them")
    parser.add_argument("--paragraphs", type=int, default=2000, help="size of the derived corpus")
    parser.add_argument("--systems", default="crisisbot,langchain,chroma", help="comma-separated: crisisbot (default runtime), crisisbot-torch|-onnx|-onnx-int8, langchain, chroma")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--cold", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    if args.measure:
        print(json.dumps(measure(args.measure, args.paragraphs, Path(args.folder))))
        return
    if args.cold:
        print(json.dumps(cold(args.cold, Path(args.folder))))
        return

    names = args.systems.split(",")
    rounds: list[list[dict]] = []
    with tempfile.TemporaryDirectory(prefix="crisisbot-bench-") as tmp:
        for number in range(1, args.rounds + 1):
            results = []
            for name in names:
                folder = Path(tmp) / f"round-{number}" / name
                print(f"round {number}/{args.rounds}: measuring {name} ...", file=sys.stderr, flush=True)
                result, _ = _child(["--measure", name, "--paragraphs", str(args.paragraphs), "--folder", str(folder)])
                cold_result, cold_seconds = _child(["--cold", name, "--folder", str(folder)])
                result["cold_s"] = cold_seconds
                result["cold_rss_mb"] = cold_result["peak_rss_mb"]
                results.append(result)
            rounds.append(results)
            shutil.rmtree(Path(tmp) / f"round-{number}", ignore_errors=True)
    first = rounds[0][0]
    print(f"crisisbot vs peers: same bundled model (all-MiniLM-L6-v2), CPU, {os.cpu_count()} cores; "
          f"derived corpus {first['derived_paragraphs']} paragraphs, {first['questions']} dev-set questions; "
          f"{len(rounds)} interleaved rounds: medians over the rounds; ratios: median (min-max) of the per-round ratios")
    print(table(rounds))
    if args.json:
        print(json.dumps([{"round": i + 1, "results": results} for i, results in enumerate(rounds)], indent=2))

if __name__ == "__main__":
    main()
