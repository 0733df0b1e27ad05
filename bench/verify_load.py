"""What verifying an index's files costs at load: the bundled corpus and a synthetic large folder.

    .venv/bin/python bench/verify_load.py [--paragraphs 100000] [--repeats 5]

For each index, ``Snapshot`` is loaded with checksum verification (sizes, then
SHA-256 of every file: what every load does) and without it (parsing only), warm
page cache, median of ``--repeats``; plus a legacy manifest (no checksums: the
vectors' values are checked instead).  The synthetic folder is written through
``IndexWriter`` like a real one: random unit vectors of 384 dimensions, paragraph
text, lexical tokens and four float16 sentence vectors per paragraph (as the real
corpus stores them), so its files have realistic sizes.  Hash throughput is
measured for SHA-256 and blake2b on the same files, the two ``integrity.ALGORITHM``
could be.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import integrity, store  # noqa: E402

DIM = 384
SENTENCES = 4
SYNTHETIC_MODEL = "synthetic"


def timed(fn, repeats: int) -> float:
    """Median milliseconds of ``fn()`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def load(folder: Path, model: str, verify: bool) -> None:
    store.Snapshot(folder, model, verify=verify).close()


def synthetic(folder: Path, paragraphs: int) -> None:
    """An index of ``paragraphs`` made-up paragraphs, committed by the real writer."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30_000)]
    writer = store.IndexWriter(folder, SYNTHETIC_MODEL, DIM)
    documents = max(1, paragraphs // 100)
    with writer.db:
        writer.db.executemany(
            "INSERT INTO documents (id, title, outlet, date, url, origin, meta, added_at) VALUES (?, ?, '', NULL, NULL, 'bench', '{}', '')",
            [(f"doc-{d}", f"Document {d}") for d in range(documents)],
        )
        rows = []
        for pid in range(1, paragraphs + 1):
            tokens = " ".join(words[i] for i in rng.integers(0, len(words), 60))
            sentences = rng.standard_normal((SENTENCES, DIM)).astype(np.float16).tobytes()
            rows.append((pid, tokens, f"key-{pid}", tokens, sentences))
        writer.db.executemany("INSERT INTO paragraphs (id, text, key, lex, sentences) VALUES (?, ?, ?, ?, ?)", rows)
        writer.db.executemany(
            "INSERT INTO occurrences (paragraph_id, document_id, position) VALUES (?, ?, ?)",
            [(pid, f"doc-{(pid - 1) // 100}", (pid - 1) % 100) for pid in range(1, paragraphs + 1)],
        )
    vectors = rng.standard_normal((paragraphs, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    writer.vectors.add(vectors, np.arange(1, paragraphs + 1))
    writer.commit()


def bundled(folder: Path) -> tuple[Path, str]:
    from index.config import Settings
    from index.service import CrisisService

    service = CrisisService(Settings(_env_file=None, data_dir=folder))
    service.build()
    return store.current_folder(folder), service.embedder.name


def hash_rate(folder: Path, algorithm: str, repeats: int) -> float:
    """MB/s hashing every file of ``folder``."""
    files = [folder / name for name in integrity.index_files(folder)]
    total = sum(p.stat().st_size for p in files)
    ms = timed(lambda: [integrity.file_digest(p, algorithm) for p in files], repeats)
    return total / 1e6 / (ms / 1000)


def legacy_copy(folder: Path, into: Path) -> Path:
    copy = into / (folder.name + "-legacy")
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest.pop("files")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def measure(label: str, folder: Path, model: str, repeats: int, scratch: Path) -> dict:
    size = sum((folder / name).stat().st_size for name in integrity.index_files(folder))
    plain = timed(lambda: load(folder, model, False), repeats)
    verified = timed(lambda: load(folder, model, True), repeats)
    legacy_folder = legacy_copy(folder, scratch)
    legacy = timed(lambda: load(legacy_folder, model, True), repeats)
    row = {
        "index": label,
        "files_mb": round(size / 1e6, 1),
        "load_ms": round(plain, 1),
        "verified_ms": round(verified, 1),
        "ratio": round(verified / plain, 2),
        "legacy_ms": round(legacy, 1),
        "sha256_mb_s": round(hash_rate(folder, "sha256", repeats)),
        "blake2b_mb_s": round(hash_rate(folder, "blake2b", repeats)),
    }
    print(
        f"{label:>22}  {row['files_mb']:>7} MB  load {row['load_ms']:>7} ms  verified {row['verified_ms']:>7} ms  "
        f"x{row['ratio']:<5}  legacy (vector values) {row['legacy_ms']:>7} ms  "
        f"sha256 {row['sha256_mb_s']} MB/s  blake2b {row['blake2b_mb_s']} MB/s",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=100_000, help="Size of the synthetic index.")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"hashlib: {hashlib.algorithms_guaranteed & {'sha256', 'blake2b'}}; integrity.ALGORITHM = {integrity.ALGORITHM}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        folder, model = bundled(scratch / "bundled")
        rows = [measure("bundled corpus", folder, model, args.repeats, scratch)]
        big = scratch / "synthetic"
        big.mkdir()
        start = time.perf_counter()
        synthetic(big, args.paragraphs)
        print(f"(synthetic index of {args.paragraphs} paragraphs written in {time.perf_counter() - start:.1f} s)", flush=True)
        rows.append(measure(f"synthetic {args.paragraphs // 1000}k", big, SYNTHETIC_MODEL, args.repeats, scratch))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
