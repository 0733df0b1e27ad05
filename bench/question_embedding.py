"""One question through the onnx model: how session settings change its time, and whether its vector moves.

    .venv/bin/python bench/question_embedding.py [--rounds 5] [--variants default,one-thread,...] [--questions QA.jsonl]

A question (10-20 tokens) costs the model a few milliseconds, mostly fixed costs: a few hundred
operators each launched once, two threads woken and joined at each.  Each round is a fresh
process that opens one session per variant over the same exported model, warms each with the
warm-up questions of bench/compare.py, then embeds every question of the set with every variant,
the variants in a new random order for each question, so a busy neighbour slows them alike.  A
question's time is the whole path (tokenise, feeds, ``session.run``, pooling, normalising).
Printed per variant: p50 and p95 (median over the rounds, with their range), the median of the
per-round p95 ratios to the first variant (with their range), and the largest difference of any
vector component from the first variant's; with the load average before and after.  ``--neighbours N``
keeps N other processes busy (a pure-Python loop each, one core each) while the rounds run: a
shared machine, on purpose.

A variant is ``default`` (onnxruntime's default options: one thread per physical core, spinning
while they wait for work; the Embedder's session for a lone batch larger than a question) or
settings joined by ``+``:

- ``one-thread``: one intra-op thread, one inter-op thread (the Embedder's session for a question);
- ``no-spin``: worker threads do not spin waiting for work (``session.intra_op.allow_spinning`` 0);
- ``spinN``: they spin N microseconds at most (``session.intra_op.spin_duration_us``);
- ``dynN``: work split in blocks that idle threads take over (``session.dynamic_block_base`` N);
- ``no-arena``: ``enable_cpu_mem_arena`` off;
- ``basic-opt``: graph optimisations at ``ORT_ENABLE_BASIC`` instead of the default ``ORT_ENABLE_ALL``;
- ``saved-opt``: the model as onnxruntime optimised it, saved once (``optimized_model_filepath``) and loaded;
- ``fused``: onnxruntime.transformers' BERT fusions (Attention, SkipLayerNormalization, BiasGelu) on the export;
- ``int8``: the int8 export (``exported_model(..., quantized=True)``).

``one-thread+int8`` is the int8 export on one thread.  ``embedder`` is no session of its own but
the Embedder's choice per question (``OnnxSentenceEncoder.forward``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ("embedder", "default", "one-thread", "no-spin", "no-arena", "basic-opt", "saved-opt", "fused", "int8")

CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import numpy as np
import onnxruntime
from bench.compare import WARM_UP
from index.embed import Embedder
from index.embed.onnx_export import exported_model
from index.eval import percentile

name, qa, out = sys.argv[2], sys.argv[3], sys.argv[4]
embedder = Embedder(backend="onnx")
encoder = embedder.model
folder = Path(embedder.source)
scratch = Path(tempfile.mkdtemp())


def fused_model() -> str:
    from onnxruntime.transformers.optimizer import optimize_model
    target = scratch / "fused.onnx"
    if not target.exists():
        optimize_model(str(encoder.model_file), model_type="bert", num_heads=0, hidden_size=0, opt_level=0).save_model_to_file(str(target))
    return str(target)


def session(variant: str):
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    path = str(encoder.model_file)
    name = set(variant.split("+"))
    if "one-thread" in name:
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
    if "no-spin" in name:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    for setting in name:
        if setting.startswith("spin"):
            options.add_session_config_entry("session.intra_op.spin_duration_us", setting[4:])
        if setting.startswith("dyn"):
            options.add_session_config_entry("session.dynamic_block_base", setting[3:])
    if "no-arena" in name:
        options.enable_cpu_mem_arena = False
    if "basic-opt" in name:
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    if "saved-opt" in name:
        saved = scratch / "saved.onnx"
        first = onnxruntime.SessionOptions()
        first.optimized_model_filepath = str(saved)
        onnxruntime.InferenceSession(path, first, providers=["CPUExecutionProvider"])
        path = str(saved)
    if "fused" in name:
        path = fused_model()
    if "int8" in name:
        path = str(exported_model(folder, embedder.onnx_cache, quantized=True))
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def vector(runner, text):
    output = (encoder.forward([text]) if runner is None else encoder._forward(runner, [text]))[0].vector
    return output / max(float(np.linalg.norm(output)), 1e-12)


runner = None if name == "embedder" else session(name)
for question in WARM_UP:
    vector(runner, question)
questions = [json.loads(line)["q"] for line in Path(qa).read_text().splitlines() if line.strip()]
took, vectors = [], []
for question in questions:
    start = time.perf_counter()
    vectors.append(vector(runner, question))
    took.append((time.perf_counter() - start) * 1000)
np.save(out, np.vstack(vectors))
print(json.dumps({"p50": percentile(took, 0.5), "p95": percentile(took, 0.95)}))
"""


def spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variants", default="default,one-thread,no-spin,dyn4,no-spin+dyn4,int8,one-thread+int8",
                        help="comma-separated, the first is the baseline; each default or settings joined by +: "
                             "one-thread, no-spin, spinN, dynN, no-arena, basic-opt, saved-opt, fused, int8")
    parser.add_argument("--questions", default=str(ROOT / "tests" / "eval" / "dev.jsonl"))
    parser.add_argument("--neighbours", type=int, default=0, help="busy processes beside the measuring ones")
    args = parser.parse_args()
    names = args.variants.split(",")
    unknown = [n for n in names if any(s not in SETTINGS and s.rstrip("0123456789") not in ("spin", "dyn") for s in n.split("+"))]
    if unknown:
        parser.error(f"unknown variants: {', '.join(unknown)}")
    neighbours = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.neighbours)]
    try:
        rounds, drift = measure(names, args)
    finally:
        for neighbour in neighbours:
            neighbour.kill()
    print(f"| variant | p50 (ms) | p95 (ms) | p95 / {names[0]} | p50 / {names[0]} | largest vector difference |")
    print("|---|---|---|---|---|---|")
    for name in names:
        p50 = [r[name]["p50"] for r in rounds]
        p95 = [r[name]["p95"] for r in rounds]
        ratio95 = [r[name]["p95"] / r[names[0]]["p95"] for r in rounds]
        ratio50 = [r[name]["p50"] / r[names[0]]["p50"] for r in rounds]
        print(f"| {name} | {spread(p50)} | {spread(p95)} | {spread(ratio95)} | {spread(ratio50)} | {drift[name]:.1e} |")


def measure(names: list[str], args) -> tuple[list[dict], dict[str, float]]:
    """Per round, each variant's p50 and p95; per variant, its largest difference from the first's vectors."""
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rounds = []
    drift = dict.fromkeys(names, 0.0)
    shuffle = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        for number in range(1, args.rounds + 1):
            rounds.append({})
            for name in shuffle.sample(names, len(names)):
                done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), name, args.questions, f"{folder}/{name}.npy"],
                                      capture_output=True, text=True, check=True)
                rounds[-1][name] = json.loads(done.stdout.strip().splitlines()[-1])
            base = np.load(f"{folder}/{names[0]}.npy")
            for name in names:
                drift[name] = max(drift[name], float(np.abs(np.load(f"{folder}/{name}.npy") - base).max()))
            print(f"round {number}: " + "; ".join(f"{n} {rounds[-1][n]['p50']:.2f}/{rounds[-1][n]['p95']:.2f}" for n in names)
                  + " ms (p50/p95)", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return rounds, drift


if __name__ == "__main__":
    main()
