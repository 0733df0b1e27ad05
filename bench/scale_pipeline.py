"""The full question path at 100k and 1M paragraphs, on vectors with the structure of real embeddings.

    .venv/bin/python bench/scale_pipeline.py [--sizes 100000,1000000] [--passes 2] [--stages] [--cache DIR]

Issue 15's target: question p95 <= 50 ms at 100k and <= 100 ms at 1M, recall@10 >= 0.95 against exact
search.  Embedding 1M paragraphs with the bundled model takes hours here, so the bases are a stand-in:

- a pool of real sentence vectors: every sentence of the war corpus's English reports (tests/eval/war/corpus),
  and up to ``VARIANTS`` variants of each (numbers, weekdays, months, places, countries, people and common
  words swapped: other reports of like events), each embedded alone by the bundled model, once (cached);
- a synthetic paragraph is two or three pool sentences of one story (its document's topic, a real report,
  or the reports just before and after it), joined; its vector is the normalised mean of their vectors plus
  a little noise (norm ``NOISE`` of the mean's), its stored float16 sentence vectors are theirs, so an
  answer embeds nothing but the question, as on a real index;
- its search tokens are its document's title's and its sentences', plus one word of a made-up vocabulary
  drawn Zipf-like (lexical tokens only, not shown), so the vocabulary grows with the base (43k terms at 1M,
  fewer than real news of that size would have);
- documents of 20 paragraphs carry their topic report's title and a date within two days of its;
- the real war corpus (354 reports, 1,013 paragraphs after the writer's dedup, really embedded) is in every base,
  so the questions have true answers.

Each pool sentence recurs in about 26 paragraphs at 100k and 260 at 1M: far more repetition than 1M real
paragraphs would have, so the "gold first" figures are a hard case, not a forecast.

The questions are the English ones of tests/eval/war/dev.jsonl and holdout.jsonl, each asked through
``CrisisService.ask`` (what ``crisisbot ask`` runs: the question's embedding, retrieval and answer
extraction included) of every size in turn, the order rotating, for ``--passes`` passes.  Reported per
size: p50/p95/max, how often the first passage is relevant and the answer's first sentence cites a
relevant passage (index/eval.py's rules) and the answer rate, the dense index used and its recall@10
against exact search on the questions' vectors, memory, and the load average.  ``--stages`` also times
each part of the path.  The bases are cached under ``--cache`` (default: the temp dir), keyed by size
and this file's generation parameters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stages import StageTimer  # noqa: E402
from write_cost import WAR, synthetic_base  # noqa: E402

from index import eval as evaluation  # noqa: E402
from index.config import Settings  # noqa: E402
from index.embed import Embedder  # noqa: E402
from index.ingest import load  # noqa: E402
from index.service import CrisisService  # noqa: E402
from index.store import layout  # noqa: E402
from index.text import lexical_tokens, sentence_spans, split_sentences  # noqa: E402

VARIANTS = 6  # per pool sentence, at most
NOISE = 0.1  # norm of a paragraph vector's noise, as a share of its sentences' mean's norm
PER_DOCUMENT = 20
NEIGHBOURS = 3  # a paragraph's sentences come from its topic report or this many reports either side (by date)
MADE_UP_WORDS = 400_000
GENERATION = f"v1-{VARIANTS}-{NOISE}-{PER_DOCUMENT}-{NEIGHBOURS}-{MADE_UP_WORDS}"
SWAPS = [
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "January February March April May June July August September October November December",
    "Kharkiv Kherson Mykolaiv Odesa Zaporizhzhia Dnipro Lviv Sumy Chernihiv Poltava Vinnytsia Zhytomyr Bakhmut "
    "Mariupol Kramatorsk Sloviansk Izium Lysychansk Sievierodonetsk Avdiivka Melitopol Irpin Bucha",
    "Poland Germany France Britain Romania Hungary Turkey Italy Spain Canada Japan Slovakia Lithuania Latvia Estonia",
    "Zelensky Putin Biden Johnson Scholz Macron Stoltenberg Kuleba Lavrov Shoigu Blinken Erdogan",
    "said stated added announced reported",
    "troops forces soldiers units",
    "attack strike assault offensive",
    "killed wounded injured",
    "city town village",
    "officials authorities",
]


def war_reports() -> list[dict]:
    """The war corpus's English reports, oldest first."""
    reports = [json.loads(line) for path in sorted(WAR.glob("*.jsonl")) for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted((r for r in reports if r.get("language", "en") == "en"), key=lambda r: (r["date"], r["id"]))


def variants(sentence: str, rng: np.random.Generator, most: int) -> list[str]:
    """Up to ``most`` distinct versions of ``sentence`` with numbers and words of a kind (SWAPS) changed."""
    groups = [g.split() for g in SWAPS]
    found = [(m.start(), m.end(), g) for g in groups for m in re.finditer(r"\b(" + "|".join(g) + r")\b", sentence)]
    found += [(m.start(), m.end(), None) for m in re.finditer(r"\d+", sentence) if not 1990 <= int(m.group()) <= 2030]  # years stay
    found.sort(key=lambda f: f[0])
    out: dict[str, None] = {}
    for _ in range(most * 3):
        if not found or len(out) >= most:
            break
        text, changed = sentence, sorted(rng.choice(len(found), int(rng.integers(1, min(3, len(found)) + 1)), replace=False))
        for i in reversed(changed):  # right to left, so earlier offsets hold
            a, b, group = found[i]
            old = sentence[a:b]
            new = str(max(1, int(int(old) * rng.uniform(0.5, 1.5)))) if group is None else str(rng.choice(group))
            text = text[:a] + new + text[b:]
        if text != sentence and len(sentence_spans(text)) == 1:
            out[text] = None
    return list(out)


def sentence_pool(embedder: Embedder, cache: Path) -> tuple[list[str], np.ndarray, list[list[int]]]:
    """(sentences, their vectors, each report's sentence rows) for the pool; embedded once, then cached."""
    rng = np.random.default_rng(15)
    texts: list[str] = []
    families: list[list[int]] = []
    for report in war_reports():
        family = []
        for paragraph in report["paragraphs"]:
            for sentence in split_sentences(paragraph):
                for text in [sentence, *variants(sentence, rng, VARIANTS)]:
                    family.append(len(texts))
                    texts.append(text)
        families.append(family)
    key = hashlib.sha256(("\n".join(texts) + embedder.name).encode()).hexdigest()[:16]
    path = cache / f"pool-{key}.npy"
    if path.exists():
        return texts, np.load(path), families
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    print(f"pool of {len(texts):,} sentences embedded in {time.perf_counter() - start:.0f} s", flush=True)
    np.save(path, vectors)
    return texts, vectors, families


def made_up_words(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct pronounceable non-words ("velokar")."""
    syllables = [c + v for c in "bdgklmnprstvz" for v in "aeiou"] + [c + v + "n" for c in "dkmrst" for v in "aeiou"]
    words: dict[str, None] = {}
    while len(words) < count:
        parts = rng.integers(0, len(syllables), (count, 4))
        lengths = rng.integers(2, 5, count)
        for row, n in zip(parts, lengths):
            words["".join(syllables[i] for i in row[:n])] = None
    return list(words)[:count]


class PooledSentences:
    """Synthetic paragraphs of real sentence vectors (the module docstring says how); for ``synthetic_base``."""

    def __init__(self, pool: tuple[list[str], np.ndarray, list[list[int]]], seed: int):
        self.texts, self.vectors, self.families = pool
        self.reports = war_reports()
        self.rng = np.random.default_rng(seed)
        self.tokens = [" ".join(lexical_tokens(t)) for t in self.texts]
        self.sentences16 = self.vectors.astype(np.float16)
        self.words = made_up_words(MADE_UP_WORDS, np.random.default_rng(0))
        self.topics: dict[int, int] = {}
        self.titles: dict[int, str] = {}

    def document(self, number: int) -> tuple[str, str, str]:
        topic = int(self.rng.integers(0, len(self.reports)))
        report = self.reports[topic]
        self.topics[number] = topic
        self.titles[number] = " ".join(lexical_tokens(report["title"]))
        day = dt.date.fromisoformat(report["date"]) + dt.timedelta(days=int(self.rng.integers(-2, 3)))
        return report["title"], f"Outlet {number % 300}", day.isoformat()

    def batch(self, ids: range, documents: list[int]) -> tuple[list[tuple[str, str, bytes]], np.ndarray]:
        rows, picks = [], np.zeros((len(ids), 3), np.int64)
        counts = self.rng.integers(2, 4, len(ids))
        words = np.minimum(self.rng.zipf(1.3, len(ids)), MADE_UP_WORDS) - 1
        for n, (document, count) in enumerate(zip(documents, counts)):
            topic = self.topics[document]
            while True:
                near = np.clip(topic + self.rng.integers(-NEIGHBOURS, NEIGHBOURS + 1, count), 0, len(self.reports) - 1)
                near[0] = topic
                chosen = [int(self.rng.choice(self.families[r])) for r in near]
                text = " ".join(self.texts[i] for i in chosen)
                if len(set(chosen)) == count and len(sentence_spans(text)) == count:
                    break
            picks[n, :count] = chosen
            lex = f"{self.titles[document]} {' '.join(self.tokens[i] for i in chosen)} {self.words[words[n]]}"
            rows.append((text, lex, self.sentences16[chosen].tobytes()))
        mask = (np.arange(3)[None, :] < counts[:, None]).astype(np.float32)
        means = (self.vectors[picks] * mask[:, :, None]).sum(axis=1) / counts[:, None]
        noise = self.rng.standard_normal(means.shape, dtype=np.float32)
        noise *= (NOISE * np.linalg.norm(means, axis=1, keepdims=True) / np.linalg.norm(noise, axis=1, keepdims=True))
        vectors = means + noise
        return rows, (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


class StoredEmbeddings:
    """The embedder for the war corpus's paragraphs in every base: their vectors (late-chunked sentences too)
    computed by the bundled model once and kept in the cache, so each further base skips the model."""

    def __init__(self, embedder: Embedder, cache: Path):
        self.embedder, self.cache = embedder, cache

    def encode_with_sentences(self, texts, progress=None):
        key = hashlib.sha256(("\n".join(texts) + self.embedder.name).encode()).hexdigest()[:16]
        path = self.cache / f"war-{key}.npz"
        if path.exists():
            stored = np.load(path)
            counts = stored["counts"]
            ends = np.cumsum(counts)
            return stored["vectors"], [stored["sentences"][end - n : end] for n, end in zip(counts, ends)]
        vectors, sentences = self.embedder.encode_with_sentences(texts, progress=progress)
        np.savez(path, vectors=vectors, sentences=np.vstack(sentences), counts=np.array([len(s) for s in sentences]))
        return vectors, sentences


def base(size: int, cache: Path, embedder: Embedder, pool) -> Path:
    """The data dir of a base of ``size`` paragraphs (the war corpus alone for 0), built unless cached."""
    folder = data_dir(size, cache)
    if layout.current_folder(folder) is not None:
        return folder
    documents = load([WAR]).documents
    start = time.perf_counter()
    synthetic_base(folder, embedder.name, size, make=PooledSentences(pool, size), per_document=PER_DOCUMENT,
                   first=lambda writer: writer.add_documents(documents, StoredEmbeddings(embedder, cache)))
    print(f"base of {size:,} paragraphs written in {time.perf_counter() - start:.0f} s (peak RSS so far {peak_mb():,.0f} MB)", flush=True)
    return folder


def data_dir(size: int, cache: Path) -> Path:
    return cache / f"base-{size}-{GENERATION}"


def peak_mb() -> float:
    return _status("VmHWM")


def rss_mb() -> float:
    return _status("VmRSS")


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Start the peak RSS (VmHWM) afresh from the current RSS (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def english_questions() -> list[evaluation.Question]:
    found = []
    for name in ("dev.jsonl", "holdout.jsonl"):
        found += [q for q in evaluation.load_questions(WAR.parent / name) if q.kind not in ("uk", "ru") and not q.turns]
    return found


def exact_top10(index, vectors: np.ndarray) -> np.ndarray:
    """The ids of each query's 10 nearest stored vectors by exact search, block by block (no copy of a 1M index)."""
    ids = index.ids()
    best_scores = np.full((len(vectors), 10), -np.inf, np.float32)
    best_ids = np.zeros((len(vectors), 10), np.int64)
    for start in range(0, len(ids), 100_000):
        block_ids = ids[start : start + 100_000]
        scores = vectors @ index.vectors(block_ids).T
        merged_scores = np.hstack([best_scores, scores])
        merged_ids = np.hstack([best_ids, np.broadcast_to(block_ids, scores.shape)])
        keep = np.argsort(-merged_scores, axis=1)[:, :10]
        best_scores, best_ids = np.take_along_axis(merged_scores, keep, axis=1), np.take_along_axis(merged_ids, keep, axis=1)
    return best_ids


def recall_at_10(service: CrisisService, vectors: np.ndarray) -> tuple[str, float, list[str]]:
    """(the dense index's description, its recall@10 against exact search over its own vectors, and for an IVF
    index a line per nprobe tried: recall@10 and the index's own p50/p95 per single query)."""
    index = service.snapshot().vectors
    truth = exact_top10(index, vectors)

    def measure() -> tuple[float, list[float]]:
        found, times = [], []
        for v in vectors:
            start = time.perf_counter()
            found.append(index.search(v[None, :], 10)[1][0])
            times.append((time.perf_counter() - start) * 1000)
        return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])), times

    recall, _ = measure()
    tried = []
    if index.kind == "ivf":  # what other probe counts would give, for choosing index/ann.py's NPROBE_SHARE
        faiss_index, nprobe = index._index, index._index.nprobe
        for probes in (nprobe, 2 * nprobe, 3 * nprobe, 4 * nprobe):
            faiss_index.nprobe = probes
            r, times = measure()
            tried.append(f"nprobe {probes} ({probes / faiss_index.nlist:.0%} of the lists): recall@10 {r:.3f}, "
                         f"index alone p50 {statistics.median(times):.2f} ms, p95 {np.percentile(times, 95):.2f} ms")
        faiss_index.nprobe = nprobe
    return index.describe(), recall, tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="paragraphs per base; 0 is the war corpus alone")
    parser.add_argument("--passes", type=int, default=2, help="times every question is asked of every size")
    parser.add_argument("--stages", action="store_true", help="also time each part of the question path")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "crisisbot-scale-pipeline")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the bases and stop")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.cache.mkdir(parents=True, exist_ok=True)
    if not args.build_only and not all(layout.current_folder(data_dir(size, args.cache)) for size in sizes):
        # Built in a process of its own, so this one's memory figures are those of reading, not of writing.
        subprocess.run([sys.executable, __file__, "--build-only", "--sizes", args.sizes, "--cache", str(args.cache)], check=True)
    settings = Settings(_env_file=None)
    embedder = Embedder(settings.model, device=settings.device, batch_size=settings.batch_size, backend=settings.backend,
                        onnx_cache=settings.onnx_cache)
    pool = sentence_pool(embedder, args.cache)
    print(f"pool: {len(pool[0]):,} sentences of {len(pool[2])} reports", flush=True)
    folders = {size: base(size, args.cache, embedder, pool) for size in sizes}
    if args.build_only:
        return
    reset_peak()
    services, memory = {}, {}
    for size in sizes:
        before = rss_mb()
        services[size] = CrisisService(Settings(_env_file=None, data_dir=folders[size]), embedder=embedder)
        services[size].warm()
        memory[size] = rss_mb() - before
    questions = english_questions()
    vectors = embedder.encode([q.q for q in questions])
    dense = {size: recall_at_10(services[size], vectors) for size in sizes}
    timer = StageTimer() if args.stages else None
    first_ms = {}
    for size in sizes:  # a new index's first question reads its vocabulary: timed apart
        start = time.perf_counter()
        services[size].ask(questions[0].q, today=questions[0].today)
        first_ms[size] = (time.perf_counter() - start) * 1000
    times: dict[int, list[float]] = {size: [] for size in sizes}
    cpu_times: dict[int, list[float]] = {size: [] for size in sizes}  # all the process's threads
    outcomes: dict[int, list[tuple[bool, bool, bool | None]]] = {size: [] for size in sizes}
    loads = [os.getloadavg()[0]]
    for n in range(args.passes * len(questions)):
        question = questions[n % len(questions)]
        for size in sizes[n % len(sizes):] + sizes[: n % len(sizes)]:  # each size goes first in turn
            with timer.size(size) if timer else _nothing():
                start, cpu = time.perf_counter(), time.process_time()
                answer = services[size].ask(question.q, today=question.today)  # as `crisisbot ask` (top_k passages)
                times[size].append((time.perf_counter() - start) * 1000)
                cpu_times[size].append((time.process_time() - cpu) * 1000)
            if n < len(questions):
                outcomes[size].append(_outcome(question, answer))
        if n % 50 == 0:
            loads.append(os.getloadavg()[0])
    loads.append(os.getloadavg()[0])
    _report(sizes, services, questions, times, cpu_times, outcomes, dense, memory, first_ms, loads, args)
    for size in sizes:
        for line in dense[size][2]:
            print(f"{size:,}: {line}")
    if timer:
        print(timer.table(sizes))


def _outcome(question: evaluation.Question, answer) -> tuple[bool, bool, bool | None]:
    """(answerable, first passage relevant, answer's first sentence cites a relevant passage (None: no answer))."""
    relevant = bool(answer.passages) and evaluation.is_relevant(question, answer.passages[0])
    first = None
    if not answer.abstained and answer.sentences:
        cited = {c.n: c.paragraph_id for c in answer.citations}
        passages = {p.id: p for p in answer.passages}
        pid = cited.get(answer.sentences[0].n)
        first = pid in passages and evaluation.is_relevant(question, passages[pid])
    return question.answerable, relevant, first


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _report(sizes, services, questions, times, cpu_times, outcomes, dense, memory, first_ms, loads, args) -> None:
    print(f"\n{len(questions)} English questions (war dev + holdout), {args.passes} passes, sizes asked in turn; "
          f"load average 1 min during the run: median {statistics.median(loads):.1f} ({min(loads):.1f}-{max(loads):.1f}); "
          f"peak RSS while asking {peak_mb():,.0f} MB")
    print("| paragraphs | p50 (ms) | p95 (ms) | max (ms) | CPU p50 / p95 (ms) | first question (ms) | dense index | recall@10 | "
          "first passage relevant | first sentence cites gold | answered, answerable | answered, unanswerable | index RSS (MB) | terms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        t = times[size]
        answerable = [o for o in outcomes[size] if o[0]]
        unanswerable = [o for o in outcomes[size] if not o[0]]
        answered = [o for o in answerable if o[2] is not None]
        print(f"| {services[size].snapshot().size:,} | {statistics.median(t):.1f} | {np.percentile(t, 95):.1f} | {max(t):.0f} | "
              f"{statistics.median(cpu_times[size]):.1f} / {np.percentile(cpu_times[size], 95):.1f} | {first_ms[size]:.0f} | {dense[size][0]} | {dense[size][1]:.3f} | "
              f"{sum(o[1] for o in answerable)}/{len(answerable)} | {sum(bool(o[2]) for o in answered)}/{len(answered)} | "
              f"{len(answered)}/{len(answerable)} | {sum(o[2] is not None for o in unanswerable)}/{len(unanswerable)} | "
              f"{memory[size]:,.0f} | {len(services[size].snapshot().vocabulary()):,} |")


if __name__ == "__main__":
    main()
