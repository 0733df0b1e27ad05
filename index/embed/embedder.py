"""The ``Embedder``: text to unit vectors, whatever runtime runs the model.

It picks and loads the runtime (``RUNTIMES``), and does everything that is the
same for all of them: batching by count and padded size, progress, normalising,
the per-text cache, and late chunking.  A runtime only runs a batch (``EmbeddingRuntime.forward``).

Batches are made per window of ``WINDOW`` texts: the runtime prepares them (the onnx
runtime tokenises them, once), they are sorted by what they cost (tokens, else
characters), longest first, and cut into batches of at most ``batch_size`` texts and
the runtime's ``batch_budget`` padded size, so a batch computes little padding.  Up to the
runtime's ``parallel_batches`` batches run at once, in threads, each on one core
(``forward_one_core``); a lone batch goes to ``forward`` (the onnx runtime runs a question's on one
thread, a larger one over every core).  Results come back in order.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from index.config import BUNDLED_MODEL
from index.embed.late_chunking import sentence_vectors
from index.embed.onnx_export import onnx_cache_dir
from index.embed.onnx_runtime import OnnxSentenceEncoder
from index.embed.resolve import ModelSource, ModelUnavailable, resolve_model
from index.embed.runtime import EmbeddingRuntime, ModelOutput, RuntimeOptions, TorchSentenceEncoder

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# Runtime name -> how to open a model with it.  A new runtime is one entry here (or one made at run time).
RUNTIMES: dict[str, Callable[[ModelSource, RuntimeOptions], EmbeddingRuntime]] = {
    "torch": TorchSentenceEncoder.open,
    "onnx": OnnxSentenceEncoder.open,
    "onnx-int8": partial(OnnxSentenceEncoder.open, quantized=True),
}
BACKENDS = ("auto", *RUNTIMES)
WINDOW = 4096  # texts prepared (tokenised) and sorted by length at a time: little padding, bounded memory
CACHE_SIZE = 20_000  # sentences kept by encode_cached (indexes without stored sentence vectors): about 30 MB at 384 dimensions


def _batches(costs: Sequence[int], most: int, budget: int) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive batches of at most ``most`` items, longest first, whose padded
    size (rows x the first, longest) stays within ``budget``: long paragraphs go in small batches,
    short sentences in large ones.  On a 2-core CPU 500-650 tokens per batch (8 paragraphs)
    embed faster than 64 paragraphs (cache effects); the budget gets that without a setting."""
    start = 0
    while start < len(costs):
        size = max(1, min(most, budget // max(costs[start], 1)))
        yield start, min(start + size, len(costs))
        start += size


def _unit(vectors: Sequence[np.ndarray]) -> np.ndarray:
    rows = np.asarray(vectors, dtype=np.float32)
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


class Embedder:
    """Loads the model lazily, once, and embeds text to unit vectors (float32).

    ``backend`` picks the runtime: ``torch`` (sentence-transformers), ``onnx``
    (the same weights exported once to ONNX and run by onnxruntime; same vectors,
    about a third of the time per question, a fifth of the load time), ``onnx-int8``
    (that export with dynamic int8 quantisation; close but not identical vectors)
    or ``auto`` (the default): onnx when the model is a local folder it can
    export and the device is the CPU, torch otherwise (a hub name, an exotic pooling, a failed export).
    ``runtime`` says which one is in use once the model is loaded.  ONNX exports are
    kept in ``onnx_cache`` (default: ``onnx_cache_dir()``).  ``threads``: how many batches the
    onnx runtimes run at once, one core each (0, the default: one per available CPU).
    """

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        backend: str = "auto",
        onnx_cache: Path | None = None,
        threads: int = 0,
    ):
        if backend != "auto" and backend not in RUNTIMES:
            raise ModelUnavailable(f"unknown embedding backend {backend!r}; one of {', '.join(('auto', *RUNTIMES))}")
        self.model_source = resolve_model(model)
        self.source, self.name = self.model_source
        self.device = device
        self.batch_size = batch_size
        self.backend = backend
        self.onnx_cache = Path(onnx_cache) if onnx_cache is not None else onnx_cache_dir()
        self.threads = threads
        self.runtime: str | None = None  # the key in RUNTIMES in use, once loaded
        self._model: EmbeddingRuntime | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def model(self) -> EmbeddingRuntime:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> EmbeddingRuntime:
        if self.backend != "auto":
            return self._open(self.backend)
        if self.device != "cpu":
            log.info("onnx runtime not used for %s (device %s); using torch", self.name, self.device)
        else:
            try:
                return self._open("onnx")
            except ModelUnavailable as exc:  # every onnx failure is one of these
                log.info("onnx runtime not used for %s (%s); using torch", self.name, exc)
        return self._open("torch")

    def _open(self, runtime: str) -> EmbeddingRuntime:
        log.info("loading embedding model %s from %s (%s)", self.name, self.source, runtime)
        model = RUNTIMES[runtime](self.model_source, RuntimeOptions(device=self.device, onnx_cache=self.onnx_cache, threads=self.threads))
        self.runtime = runtime
        return model

    def load(self) -> None:
        """Load the model now (it is otherwise loaded on first use)."""
        _ = self.model

    @property
    def dimension(self) -> int:
        return self.model.dimension

    @property
    def late_chunking(self) -> bool:
        """Can sentence vectors come out of a paragraph's own forward pass?  (Mean-pooling models.)"""
        return self.model.mean_pooling

    def _forward(
        self, texts: Sequence[str], progress: Progress | None, stage: str
    ) -> Iterator[tuple[np.ndarray, list[str], list[ModelOutput]]]:
        """(positions in ``texts``, texts, model outputs) per batch, reporting progress as each one is done.

        Longest first within each window, so each batch pads to similar lengths;
        callers put rows back by position."""
        model = self.model
        done = 0
        for start in range(0, len(texts), WINDOW):
            window = texts[start : start + WINDOW]
            items = model.prepare(window)
            costs = [len(item) for item in items]
            order = np.argsort([-c for c in costs], kind="stable")
            spans = _batches([costs[i] for i in order], self.batch_size, model.batch_budget)
            batches = [(start + order[a:b], [window[i] for i in order[a:b]], [items[i] for i in order[a:b]]) for a, b in spans]
            for rows, batch, outputs in self._run(model, batches):
                yield rows, batch, outputs
                done += len(batch)
                if progress:
                    progress(stage, done, len(texts))

    @staticmethod
    def _run(model: EmbeddingRuntime, batches: list[tuple[np.ndarray, list[str], Sequence]]) -> Iterator[tuple[np.ndarray, list[str], list[ModelOutput]]]:
        """Each batch through the model, in order; up to ``model.parallel_batches`` at once (the
        runtime releases the GIL while it computes), a few more queued, never the whole input."""
        workers = min(model.parallel_batches, len(batches))
        if workers <= 1:
            for rows, batch, items in batches:
                yield rows, batch, model.forward(items)
            return
        with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
            running: deque[tuple[np.ndarray, list[str], Future]] = deque()
            for rows, batch, items in batches:
                running.append((rows, batch, pool.submit(model.forward_one_core, items)))
                if len(running) > 2 * workers:
                    rows, batch, future = running.popleft()
                    yield rows, batch, future.result()
            while running:
                rows, batch, future = running.popleft()
                yield rows, batch, future.result()

    def encode(self, texts: Sequence[str], progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        """Unit-normalised embeddings, shape (len(texts), dimension)."""
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, _, outputs in self._forward(texts, progress, stage):
            result[rows] = _unit([output.vector for output in outputs])
        return result

    def encode_with_sentences(
        self, texts: Sequence[str], progress: Progress | None = None, stage: str = "embedding"
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Paragraph vectors, and for each paragraph one vector per sentence
        (``text.sentence_spans``) from the same forward pass ("late chunking", ``pool_spans``).

        Answers are built from sentences; with their vectors stored at index time
        a question embeds nothing but itself.  A sentence cut off by the model's
        length limit is embedded on its own.  For a model that does not
        mean-pool, the sentence lists are None (answers then embed sentences when asked).
        """
        if not texts or not self.late_chunking:
            return self.encode(texts, progress, stage), [None] * len(texts)
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        sentences: list[np.ndarray | None] = [None] * len(texts)
        cut_off: list[tuple[int, int, str]] = []  # (paragraph, sentence, text) the model did not see
        for rows, batch, outputs in self._forward(texts, progress, stage):
            vectors[rows] = _unit([output.vector for output in outputs])
            for i, text, output in zip(rows, batch, outputs):
                if output.offsets is not None:  # else the runtime cannot place its tokens: sentences embedded when asked
                    sentences[i], missing = sentence_vectors(text, output.tokens, output.offsets)
                    cut_off += [(i, j, sentence) for j, sentence in missing]
        if cut_off:
            for (i, j, _), vector in zip(cut_off, self.encode([t for _, _, t in cut_off])):
                sentences[i][j] = vector  # type: ignore[index]
        return vectors, sentences

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like ``encode``, remembering the last ``CACHE_SIZE`` texts: the answer sentences of an index
        written before sentence vectors were stored recur across questions."""
        if not texts:
            return self.encode([])
        with self._cache_lock:
            found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = dict(zip(missing, self.encode(missing)))
            found.update(fresh)
            with self._cache_lock:
                self._cache.update(fresh)
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts])
