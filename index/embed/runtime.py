"""The embedding runtime interface, and the torch runtime (sentence-transformers).

A runtime implements one method, ``forward``: one batch of texts through the
model, giving per text the model's sentence vector and its token outputs.
Everything else (batching, progress, normalising, the text cache, late
chunking) is the ``Embedder``'s, written once for every runtime.  A runtime may
also say what a text costs it (``prepare``: tokenised once, so batches can be
sized in tokens) and how many batches may run at once (``parallel_batches``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from index.embed.resolve import ModelSource, ModelUnavailable


class ModelOutput(NamedTuple):
    """One text through the model."""

    vector: np.ndarray  # the sentence vector as the model pools it, not necessarily unit length
    tokens: np.ndarray  # (tokens, dimension): the transformer's output per token, special tokens included
    offsets: np.ndarray | None  # (tokens, 2): each token's (start, end) characters, (0, 0) for special
    # tokens; None when the runtime cannot place its tokens in the text (no late chunking for it)


@dataclass(frozen=True)
class RuntimeOptions:
    """What the ``Embedder`` tells every runtime it opens; each uses what applies to it."""

    device: str = "cpu"
    onnx_cache: Path | None = None  # where ONNX exports are kept (``onnx_export.onnx_cache_dir``)
    threads: int = 0  # batches run at once, one core each, by runtimes that can (onnx); 0: one per available CPU


BATCH_CHARS = 8192  # padded characters per batch for runtimes that count characters (torch): about 2,000 tokens


class EmbeddingRuntime(ABC):
    """A loaded model.  Subclasses implement ``forward``; the rest follows from it."""

    mean_pooling: bool = False  # is ``vector`` the mean of ``tokens``?  Then sentence vectors can be late-chunked.
    parallel_batches: int = 1  # batches the Embedder may run at once from as many threads (``forward_one_core``)
    batch_budget: int = BATCH_CHARS  # padded size of a batch (rows x the longest ``len`` of ``prepare``'s items)

    def prepare(self, texts: Sequence[str]) -> Sequence:
        """Per text, what ``forward`` takes for it, whose ``len`` is what it costs the model:
        by default the text itself (its characters); the onnx runtime gives its tokens, so a
        text is tokenised once and batches are sorted and sized by what the model computes."""
        return list(texts)

    @abstractmethod
    def forward(self, texts: Sequence) -> list[ModelOutput]:
        """One forward pass over ``texts`` (a batch the caller has sized: texts, or ``prepare``'s items), in order."""

    def forward_one_core(self, texts: Sequence) -> list[ModelOutput]:
        """``forward`` for a batch the Embedder runs beside others (``parallel_batches`` > 1):
        a runtime that can should compute it on one core."""
        return self.forward(texts)

    @cached_property
    def dimension(self) -> int:
        return int(self.forward(["dimension"])[0].vector.shape[-1])

    def token_states(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per text: its token outputs and their character offsets (see ``ModelOutput``)."""
        return [(output.tokens, output.offsets) for output in self.forward(texts)]


def quiet_transformers() -> None:
    """No weight-loading progress bars or info chatter from transformers: our own progress reporting is enough."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class TorchSentenceEncoder(EmbeddingRuntime):
    """Any sentence-transformers model, run by sentence-transformers on torch."""

    def __init__(self, model):
        self.model = model
        modules = list(model)
        kinds = [type(m).__name__ for m in modules]
        self.mean_pooling = (
            kinds[:2] == ["Transformer", "Pooling"]
            and getattr(modules[1], "pooling_mode", None) == "mean"
            and set(kinds[2:]) <= {"Normalize"}
        )

    @classmethod
    def open(cls, source: ModelSource, options: RuntimeOptions) -> TorchSentenceEncoder:
        from sentence_transformers import SentenceTransformer

        quiet_transformers()
        try:
            return cls(SentenceTransformer(source.source, device=options.device, local_files_only=source.local))
        except Exception as exc:
            raise ModelUnavailable(f"cannot load embedding model {source.name!r}: {exc}") from exc

    def forward(self, texts: Sequence[str]) -> list[ModelOutput]:
        texts = list(texts)
        outputs = self.model.encode(texts, batch_size=len(texts), output_value=None, show_progress_bar=False)
        # sentence-transformers does not give offsets: tokenise again with them, and trust them
        # only where the tokens are the ones the model read.
        tokenized = self.model.tokenizer(texts, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length)
        result = []
        for output, ids, offsets in zip(outputs, tokenized["input_ids"], tokenized["offset_mapping"]):
            n = int(output["attention_mask"].sum())
            same = output["input_ids"][:n].tolist() == list(ids)
            result.append(
                ModelOutput(
                    output["sentence_embedding"].float().numpy(),
                    output["token_embeddings"][:n].float().numpy(),
                    np.asarray(offsets, np.int64).reshape(-1, 2) if same else None,
                )
            )
        return result
