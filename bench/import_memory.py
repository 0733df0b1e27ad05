"""Peak memory of ``crisisbot import`` against the archive's size.

    .venv/bin/python bench/import_memory.py --sizes 25,50,100 --embedder model   # the whole pipeline, the real model
    .venv/bin/python bench/import_memory.py --sizes 100,200 --embedder stand-in   # the whole pipeline, a stand-in embedder
    .venv/bin/python bench/import_memory.py --sizes 250,1000 --sink count         # reading, cleaning, batching only

A synthetic JSON Lines archive of each size (MB) is written from the war reports of
``tests/eval/war/corpus`` (every record made unique: its id, a number in each paragraph), then
imported in a child process of its own, which reports its peak RSS (``getrusage`` max RSS).

* ``--embedder model``: the bundled model, as ``crisisbot import`` runs.  Embedding is nearly all
  of the time (about 100 paragraphs/s on 2 cores), so sizes stay small.
* ``--embedder stand-in``: a deterministic hash embedder of the model's dimension (384) in place of
  the model; everything else real (store writes, dedup, SQLite, FAISS, BM25).  It measures what the
  import and the store hold, not the model (whose memory does not grow with the archive).
* ``--sink count``: the import's reading, cleaning and batching, with each batch counted and dropped
  instead of written: what the import itself holds, at any archive size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WAR = ROOT / "tests" / "eval" / "war" / "corpus"


def write_archive(path: Path, megabytes: float) -> int:
    """War reports, each made unique, until the file holds ``megabytes`` MB; the number of records."""
    records = [json.loads(line) for part in sorted(WAR.glob("*.jsonl")) for line in part.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(15)
    target, written, n = int(megabytes * 1_000_000), 0, 0
    with open(path, "w", encoding="utf-8") as f:
        while written < target:
            base = rng.choice(records)
            paragraphs = [f"{p} (Dispatch {n}-{i}.)" for i, p in enumerate(base["paragraphs"])]
            record = {**base, "id": f"r{n}", "url": f"https://news.example/{n}", "paragraphs": paragraphs}
            line = json.dumps(record, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    return n


# --- the child: one import, its peak RSS --------------------------------------------------------


def stand_in_runtime():
    """The stand-in's class, made when first needed (the child imports the index package late)."""
    from index.embed.runtime import EmbeddingRuntime

    class StandInRuntime(EmbeddingRuntime):
        """A deterministic hash embedder of the bundled model's dimension: no model, same shapes."""

        mean_pooling = False
        dimension = 384

        @classmethod
        def open(cls, source, options):
            return cls()

        def forward(self, texts):
            from index.embed.runtime import ModelOutput

            outputs = []
            for text in texts:
                seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
                vector = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
                outputs.append(ModelOutput(vector, np.zeros((1, self.dimension), np.float32), None))
            return outputs

    return StandInRuntime


class CountingSink:
    """Stands in for the service's writes: counts each batch and drops it."""

    def __init__(self, data_dir: Path):
        from index.config import Settings

        self.settings = Settings(_env_file=None, data_dir=data_dir)
        self.data_dir = data_dir

    def add_documents(self, documents, **_):
        from index.service import WriteResult
        from index.store import ChangeReport

        return WriteResult({}, ChangeReport(documents_added=len(documents), paragraphs_added=sum(len(d.paragraphs) for d in documents)))

    def documents(self):
        return []


def child(archive: Path, data_dir: Path, embedder_kind: str, sink: str, batch_size: int) -> None:
    from index.config import Settings
    from index.embed import Embedder
    from index.embed import embedder as embedder_module
    from index.importing import ImportOptions, import_archives
    from index.service import CrisisService

    start = time.perf_counter()
    if sink == "count":
        service = CountingSink(data_dir)
    else:
        if embedder_kind == "stand-in":
            embedder_module.RUNTIMES["stand-in"] = stand_in_runtime().open
        embedder = Embedder(backend="stand-in" if embedder_kind == "stand-in" else "auto")
        embedder.load()
        service = CrisisService(Settings(_env_file=None, data_dir=data_dir), embedder=embedder)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = import_archives(service, [archive], ImportOptions(batch_size=batch_size))
    print(json.dumps({"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "rss_after_load_mb": round(loaded), "seconds": round(time.perf_counter() - start, 1),
                      "read": result.read, "added": result.added, "paragraphs": result.paragraphs_added, "batches": result.batches}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,20", help="archive sizes in MB, comma-separated")
    parser.add_argument("--embedder", choices=("model", "stand-in"), default="model")
    parser.add_argument("--sink", choices=("index", "count"), default="index")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.embedder, args.sink, args.batch_size)
        return
    what = "reading + batching, batches counted and dropped" if args.sink == "count" else f"whole pipeline, embedder: {args.embedder}"
    print(f"crisisbot import, {what}, batch size {args.batch_size}")
    print(f"{'archive MB':>10} {'records':>8} {'paragraphs':>10} {'batches':>7} {'seconds':>8} {'RSS after load MB':>17} {'peak RSS MB':>11}")
    for size in (float(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="crisisbot-import-bench-") as folder:
            archive = Path(folder) / "archive.jsonl"
            records = write_archive(archive, size)
            command = [sys.executable, __file__, "--child", str(archive), str(Path(folder) / "data"), "--embedder", args.embedder,
                       "--sink", args.sink, "--batch-size", str(args.batch_size)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            figures = json.loads(output)
            print(f"{archive.stat().st_size / 1e6:>10.1f} {records:>8,} {figures['paragraphs']:>10,} {figures['batches']:>7} "
                  f"{figures['seconds']:>8.1f} {figures['rss_after_load_mb']:>17} {figures['peak_rss_mb']:>11}", flush=True)


if __name__ == "__main__":
    main()
