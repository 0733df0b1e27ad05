"""The onnx runtimes: a sentence-transformers model (transformer, mean or CLS pooling) run by onnxruntime.

The transformer is exported once (``onnx_export``); tokenising uses the model's
own ``tokenizer.json`` with the ``tokenizers`` library, so serving never imports
torch or loads the PyTorch weights once the export exists.

Two sessions, each opened when first needed: one that computes each run on one thread, one
over every core.  Batches run side by side (a build: the Embedder runs ``parallel_batches`` at
once) and a lone batch of at most ``QUESTION_TOKENS`` padded tokens (a question) go to the
first; any other lone batch to the second.  On our 2-core machine, shared with other work (load
4-5), two single-threaded runs at once embedded 1.5 times as many paragraphs per second as one
run over both cores (median of 10 interleaved rounds, ``bench/embed_settings.py``): a run over
two threads waits at every operator for the slower one, two single-threaded runs never wait for
each other.  A question is the same case: over both cores it waits for a thread a neighbour has
pushed off its core.  A dev-set question (10-15 tokens), ``bench/question_embedding.py``, 10
interleaved rounds beside other sessions' work (load 2.6-3.4): medians p50 3.0 ms, p95 8.6 ms over
both cores, 2.9 / 3.3 ms on one thread; in the quietest rounds over both cores was faster (p50
1.8-2.0 ms, p95 2.0-2.5 ms; one thread p50 2.5-3.0 ms), and at load 1.7-1.9 by about 0.5 ms
(``bench/question_pause.py``): one thread trades that for the p95 of a busy machine.  The
vectors are the same to the bit: the threads split the rows and columns of each product, not its
sums.  A process that only answers questions holds one copy of the weights (about 90 MB); a
build's lone large batch opens the second.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed.onnx_export import exported_model
from index.embed.resolve import ModelSource, ModelUnavailable
from index.embed.runtime import EmbeddingRuntime, ModelOutput, RuntimeOptions

MAX_PARALLEL_BATCHES = 8  # more concurrent runs than this only hold more activations at once
BATCH_TOKENS = 640  # padded tokens per batch: 8 paragraphs of 80 tokens, 32 short sentences (bench/embed_settings.py)
QUESTION_TOKENS = 64  # a lone batch of at most this many padded tokens (a question: 10-30) runs on one thread


def available_cores() -> int:
    """The CPUs this process may run on (its affinity, which containers narrow), else all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def read_config(folder: Path) -> tuple[int, str]:
    """(max tokens, "mean" or "cls") of a sentence-transformers folder this runtime can serve."""
    modules = json.loads((folder / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Transformer", "Pooling", "Normalize") for k in kinds):
        raise ModelUnavailable(f"the onnx backends support Transformer + Pooling (+ Normalize) models, not {kinds}")
    pooling_config = json.loads((folder / modules[1]["path"] / "config.json").read_text())
    if pooling_config.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    elif pooling_config.get("pooling_mode_cls_token"):
        pooling = "cls"
    else:
        raise ModelUnavailable("the onnx backends support mean or CLS pooling only")
    config_file = folder / "sentence_bert_config.json"
    max_length = json.loads(config_file.read_text()).get("max_seq_length", 256) if config_file.exists() else 256
    return int(max_length or 256), pooling


class OnnxSentenceEncoder(EmbeddingRuntime):
    """An exported transformer in an onnxruntime session, with the model's tokenizer and pooling."""

    batch_budget = BATCH_TOKENS

    def __init__(self, model_file: Path, tokenizer_file: Path, *, max_length: int, pooling: str, threads: int = 0):
        from tokenizers import Tokenizer

        self.model_file = model_file
        self.parallel_batches = max(1, min(MAX_PARALLEL_BATCHES, threads or available_cores()))
        self._sessions: dict[int, object] = {}  # intra-op threads (0: onnxruntime's default, one per core) -> session
        self._lock = threading.Lock()
        self.input_names = {i.name for i in self.session(1).get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.pooling = pooling
        self.mean_pooling = pooling == "mean"

    def session(self, threads: int):
        """The session computing each run on ``threads`` threads (1, or 0: one per physical core), opened once."""
        found = self._sessions.get(threads)
        if found is None:
            with self._lock:
                found = self._sessions.get(threads)
                if found is None:
                    found = self._sessions[threads] = self._open_session(threads)
        return found

    def _open_session(self, threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        if threads == 1:
            options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(self.model_file), options, providers=["CPUExecutionProvider"])

    @classmethod
    def open(cls, source: ModelSource, options: RuntimeOptions, *, quantized: bool = False) -> OnnxSentenceEncoder:
        """Export (once) and load; every failure is a ``ModelUnavailable`` (``auto`` then uses torch)."""
        backend = "onnx-int8" if quantized else "onnx"
        folder = Path(source.source)
        if not (folder / "modules.json").exists() or not (folder / "tokenizer.json").exists():
            raise ModelUnavailable(
                f"the onnx backends need a local sentence-transformers folder with tokenizer.json; {source.source} is not one"
            )
        if options.onnx_cache is None:
            raise ModelUnavailable(f"backend {backend} needs a folder for its ONNX export")
        try:
            max_length, pooling = read_config(folder)
            model_file = exported_model(folder, options.onnx_cache, quantized=quantized)
            encoder = cls(model_file, folder / "tokenizer.json", max_length=max_length, pooling=pooling, threads=options.threads)
            _ = encoder.dimension  # one forward pass now: a model that cannot run fails here, not at first use
        except ModelUnavailable:
            raise
        except ImportError as exc:
            raise ModelUnavailable(f"backend {backend} needs onnx and onnxruntime installed: {exc}") from exc
        except Exception as exc:
            raise ModelUnavailable(f"cannot load embedding model {source.name!r} with backend {backend}: {exc}") from exc
        return encoder

    def prepare(self, texts: Sequence[str]) -> Sequence:
        """The texts' encodings (``len``: tokens, the model's special tokens included)."""
        return self.tokenizer.encode_batch(list(texts))

    def forward(self, texts: Sequence) -> list[ModelOutput]:
        """A lone batch: on one thread when it is as small as a question, else over every core."""
        encodings = self._encodings(texts)
        return self._forward(self.session(self.lone_threads(encodings)), encodings)

    @staticmethod
    def lone_threads(encodings: Sequence) -> int:
        """The threads for a lone batch of ``encodings``: 1 up to ``QUESTION_TOKENS`` padded tokens, else 0 (every core)."""
        return 1 if len(encodings) * max((len(e.ids) for e in encodings), default=0) <= QUESTION_TOKENS else 0

    def forward_one_core(self, texts: Sequence) -> list[ModelOutput]:
        """``forward`` in the single-threaded session: for a batch run beside others."""
        return self._forward(self.session(1), texts)

    def _encodings(self, texts: Sequence) -> list:
        return self.prepare(texts) if texts and isinstance(texts[0], str) else list(texts)

    def _forward(self, session, texts: Sequence) -> list[ModelOutput]:
        encodings = self._encodings(texts)
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros((len(encodings), width), np.int64)
        types = np.zeros((len(encodings), width), np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
            types[row, :n] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
        if self.mean_pooling:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        else:
            pooled = hidden[:, 0]
        return [
            ModelOutput(pooled[row], hidden[row, : len(e.ids)], np.asarray(e.offsets, np.int64).reshape(-1, 2))
            for row, e in enumerate(encodings)
        ]
