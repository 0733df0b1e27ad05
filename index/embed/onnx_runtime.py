"""The onnx runtimes: a sentence-transformers model (transformer, mean or CLS pooling) run by onnxruntime.

The transformer is exported once (``onnx_export``); tokenising uses the model's
own ``tokenizer.json`` with the ``tokenizers`` library, so serving never imports
torch or loads the PyTorch weights once the export exists.

A lone batch (a question) runs in a session over every core.  Batches run side by
side (a build: the Embedder runs ``parallel_batches`` at once) go to a second session,
opened when first needed, that computes each run on one thread.  On our 2-core
machine, shared with other work (load 4-5), two single-threaded runs at once embedded
1.5 times as many paragraphs per second as one run over both cores (median of 10
interleaved rounds, ``bench/embed_settings.py``): a run over two threads waits at every
operator for the slower one, two single-threaded runs never wait for each other.  A
question on one thread was slower on a quiet machine (p50 1.24x), hence the two sessions;
the second holds its own copy of the weights (about 90 MB) in a process that builds.
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
        self.session = self._session(0)  # onnxruntime's default: one thread per physical core
        self._one_core_session = None  # for batches run side by side, opened when first needed
        self._lock = threading.Lock()
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.pooling = pooling
        self.mean_pooling = pooling == "mean"

    def _session(self, threads: int):
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
        return self._forward(self.session, texts)

    def forward_one_core(self, texts: Sequence) -> list[ModelOutput]:
        """``forward`` in the single-threaded session: for a batch run beside others."""
        if self._one_core_session is None:
            with self._lock:
                if self._one_core_session is None:
                    self._one_core_session = self._session(1)
        return self._forward(self._one_core_session, texts)

    def _forward(self, session, texts: Sequence) -> list[ModelOutput]:
        encodings = self.prepare(texts) if texts and isinstance(texts[0], str) else list(texts)
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
