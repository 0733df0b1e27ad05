"""The runtime interface: a runtime implements one method (``forward``); batching, progress,
normalising, the cache and late chunking are the Embedder's, the same for every runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from index import text
from index.embed import RUNTIMES, Embedder, EmbeddingRuntime, ModelOutput, ModelSource, RuntimeOptions, resolve_model
from tests.helpers import ROOT, clean_env

PARAGRAPHS = [
    "Blinken wrote to Lavrov. He proposed a meeting in Europe next week.",
    "The kindergarten in Stanytsia Luhanska was shelled, Ukrainian officials said. No children were hurt.",
    "Russia expelled the deputy chief of mission at the US Embassy in Moscow on Thursday.",
    "Is Russia withdrawing its troops?",
    "Ministers met in Brussels on Monday to discuss a cap on gas prices. No deal was reached. Talks resume in October.",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    model = Embedder(backend="torch")
    model.load()
    return model


class Wrapped(EmbeddingRuntime):
    """A new runtime: only ``forward``.  It runs the torch runtime, halves every vector (the
    Embedder normalises) and records the batches it was given."""

    def __init__(self, inner: EmbeddingRuntime):
        self.inner = inner
        self.batches: list[list[str]] = []

    def forward(self, texts: Sequence[str]) -> list[ModelOutput]:
        self.batches.append(list(texts))
        return [output._replace(vector=output.vector / 2) for output in self.inner.forward(texts)]


class WrappedMeanPooling(Wrapped):
    mean_pooling = True  # its vectors are the mean of its token outputs: sentence vectors can be late-chunked


@pytest.fixture
def register(monkeypatch, torch_embedder):
    """Register a runtime class under a new name, wrapping the loaded torch model; returns the opened runtimes."""
    opened: list[Wrapped] = []

    def add(name: str, kind: type[Wrapped]) -> list[Wrapped]:
        def open_runtime(source: ModelSource, options: RuntimeOptions) -> Wrapped:
            assert source.name == torch_embedder.name
            opened.append(kind(torch_embedder.model))
            return opened[-1]

        monkeypatch.setitem(RUNTIMES, name, open_runtime)
        return opened

    return add


def test_a_runtime_with_only_forward_serves_every_embedder_method(register, torch_embedder):
    opened = register("wrapped", Wrapped)
    progress: list[tuple[str, int, int]] = []
    model = Embedder(backend="wrapped", batch_size=2)
    vectors = model.encode(PARAGRAPHS, progress=lambda *step: progress.append(step), stage="testing")

    assert model.runtime == "wrapped" and model.dimension == 384 and len(opened) == 1
    np.testing.assert_allclose(vectors, torch_embedder.encode(PARAGRAPHS), atol=1e-6)  # normalised by the Embedder
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    batches = opened[0].batches[1:]  # the first is the dimension probe
    assert [len(b) for b in batches] == [2, 2, 1]  # batch_size, longest first
    assert sorted(t for b in batches for t in b) == sorted(PARAGRAPHS)
    assert [len(b[0]) for b in batches] == sorted((len(b[0]) for b in batches), reverse=True)
    assert progress == [("testing", 2, 5), ("testing", 4, 5), ("testing", 5, 5)]

    np.testing.assert_allclose(model.encode_one(PARAGRAPHS[3]), vectors[3], atol=1e-6)
    calls = len(opened[0].batches)
    cached = model.encode_cached([PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[0]])
    cached_again = model.encode_cached([PARAGRAPHS[1], PARAGRAPHS[0]])
    assert len(opened[0].batches) == calls + 1  # the second call is served from the cache
    np.testing.assert_allclose(cached_again, cached[[1, 0]])

    # Not declared mean-pooling: no late chunking, sentences are embedded when asked.
    assert not model.late_chunking
    paragraph_vectors, sentences = model.encode_with_sentences(PARAGRAPHS)
    assert sentences == [None] * len(PARAGRAPHS)
    np.testing.assert_allclose(paragraph_vectors, vectors, atol=1e-6)


def test_a_mean_pooling_runtime_gets_late_chunking_from_the_embedder(register, torch_embedder):
    register("wrapped-mean", WrappedMeanPooling)
    model = Embedder(backend="wrapped-mean")
    assert model.late_chunking
    vectors, sentences = model.encode_with_sentences(PARAGRAPHS)
    expected_vectors, expected_sentences = torch_embedder.encode_with_sentences(PARAGRAPHS)
    np.testing.assert_allclose(vectors, expected_vectors, atol=1e-6)
    for paragraph, ours, theirs in zip(PARAGRAPHS, sentences, expected_sentences):
        assert ours.shape == (len(text.sentence_spans(paragraph)), 384)
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_a_registered_runtime_is_a_valid_backend_and_an_unregistered_one_is_not(register):
    with pytest.raises(Exception, match="unknown embedding backend 'wrapped'"):
        Embedder(backend="wrapped")
    register("wrapped", Wrapped)
    assert Embedder(backend="wrapped").backend == "wrapped"


def test_a_runtime_must_implement_forward():
    class Nothing(EmbeddingRuntime):
        pass

    with pytest.raises(TypeError, match="forward"):
        Nothing()  # type: ignore[abstract]


def test_resolving_the_model_leaves_the_environment_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    before = dict(os.environ)
    bundled = resolve_model("bundled")
    assert dict(os.environ) == before
    assert bundled.name == "sentence-transformers/all-MiniLM-L6-v2" and bundled.local
    assert resolve_model(str(tmp_path)) == ModelSource(str(tmp_path.resolve()), tmp_path.name)
    assert not resolve_model("some-org/a-hub-model").local


def test_the_bundled_model_loads_and_exports_without_the_network_or_hf_hub_offline(tmp_path):
    """In a fresh process without HF_HUB_OFFLINE, and with every connection refused and recorded,
    torch loads the bundled model and onnx exports it: neither reaches for a hub."""
    script = """
import os, socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args[:2])
    raise OSError("no network in this test")
socket.getaddrinfo = refuse
socket.socket.connect = lambda self, address: refuse(address)
from index.embed import Embedder
for backend in ("torch", "onnx"):
    model = Embedder(backend=backend, onnx_cache=os.environ["EXPORT_TO"])
    assert model.encode(["Blinken wrote to Lavrov."]).shape == (1, 384)
    assert model.runtime == backend
assert "HF_HUB_OFFLINE" not in os.environ
print("attempts", attempts)
"""
    env = {**clean_env(("CRISISBOT_", "HF_")), "PYTHONPATH": str(ROOT), "EXPORT_TO": str(tmp_path / "export")}
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "attempts []" in done.stdout
    assert list((tmp_path / "export").glob("*/model.onnx"))
